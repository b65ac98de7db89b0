"""Counts as of a time, and why the order of arrival does not matter.

A count observed at time T says what on_hand *was* at T. Each position remembers the latest count
applied to it (its mark: the count's time, tie-broken by its key). Then, whatever the order in
which facts arrive:

* a count newer than the mark sets on_hand to `counted` plus the on_hand effect of every movement
  already recorded that occurred after T;
* a count older than the mark changes nothing (a later count already superseded it);
* a movement that occurred at or before the mark does not change on_hand (the count saw it);
  its other buckets (reserved, committed, ...) still apply, since counts observe on_hand only.

`fold` replays a whole ledger in time order and gives the same result as applying its entries
one by one in any arrival order (a hypothesis property checks this).

A mistaken count (a wrong figure, a scanner dated a day ahead) is corrected by a reversal, a
movement of its own that names the count: from then on the ledger is replayed as if that count
had never been taken. The position's mark goes back to the latest count still standing (or to
none), on_hand becomes what the replay without the count gives, and movements the count had
"seen" count again. A later count still wins: reversing a count that a newer one superseded
changes nothing. A reversal is never undone; a new count corrects it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .buckets import Buckets


@dataclass(frozen=True, order=True, slots=True)
class CountMark:
    at: datetime
    key: str

    def saw(self, occurred_at: datetime) -> bool:
        return occurred_at <= self.at


def effective_deltas(
    raw: Mapping[str, int], occurred_at: datetime, mark: CountMark | None
) -> dict[str, int]:
    """The deltas a non-count movement makes, given the position's latest count."""
    if mark is not None and mark.saw(occurred_at):
        return seen_deltas(raw)
    return dict(raw)


def seen_deltas(raw: Mapping[str, int]) -> dict[str, int]:
    """What a movement that a count already saw still changes: every bucket but on_hand."""
    return {k: v for k, v in raw.items() if k != "on_hand"}


def count_delta(
    counted: int,
    mark: CountMark,
    current: CountMark | None,
    on_hand_now: int,
    on_hand_after: int,
) -> int | None:
    """on_hand delta that applies a count at `mark`, or None when an existing count supersedes it.

    `on_hand_after` is the sum of the raw on_hand deltas of recorded movements after `mark.at`.
    """
    if current is not None and mark <= current:
        return None
    return counted + on_hand_after - on_hand_now


@dataclass(frozen=True, slots=True)
class LedgerFact:
    """One ledger entry as needed for a replay: raw deltas, or a counted value, or the
    reversal of the count whose key is `reverses`."""

    occurred_at: datetime
    key: str
    raw: Mapping[str, int]
    counted: int | None = None
    reverses: str | None = None


REVERSAL_TYPE = "count_reversal"
REVERSAL_REFERENCE = "count:"  # a reversal's reference: "count:<the count's movement id>"


def ledger_facts(rows: Iterable[Mapping[str, Any]]) -> list[LedgerFact]:
    """Ledger rows (id, type, reference, occurred_at, source, external_id, raw_on_hand,
    counted) as facts, a reversal resolved to the key of the count it names."""
    rows = list(rows)
    keys = {r.get("id"): f"{r['source']}:{r['external_id']}" for r in rows
            if r["counted"] is not None and r.get("id") is not None}
    return [LedgerFact(r["occurred_at"], f"{r['source']}:{r['external_id']}",
                       {"on_hand": r["raw_on_hand"]} if r["raw_on_hand"] else {}, r["counted"],
                       _reversed_key(r, keys))
            for r in rows]


def _reversed_key(row: Mapping[str, Any], keys: Mapping[Any, str]) -> str | None:
    if row["type"] != REVERSAL_TYPE:
        return None
    reference = row["reference"] or ""
    number = reference.removeprefix(REVERSAL_REFERENCE)
    return keys.get(int(number)) if number.isdigit() else None


def standing(facts: Iterable[LedgerFact]) -> list[LedgerFact]:
    """The facts a replay takes: every one but the counts that were reversed."""
    facts = list(facts)
    void = {f.reverses for f in facts if f.reverses is not None}
    return [f for f in facts if f.counted is None or f.key not in void]


def latest_mark(facts: Iterable[LedgerFact]) -> CountMark | None:
    """The mark a position holds after these facts: its latest count still standing."""
    marks = [CountMark(f.occurred_at, f.key) for f in standing(facts) if f.counted is not None]
    return max(marks, default=None)


def reverse(facts: Sequence[LedgerFact], count_key: str) -> tuple[int, CountMark | None]:
    """A position's on_hand and mark once the count `count_key` is reversed."""
    after = [*facts, LedgerFact(max(f.occurred_at for f in facts), "", {}, None, count_key)]
    return fold(after).on_hand, latest_mark(after)


def fold(facts: Iterable[LedgerFact]) -> Buckets:
    """Positions as the replay of a ledger in the order things happened (reversed counts
    left out)."""
    # At the same instant, movements come before counts: a count at T saw what happened at T.
    ordered = sorted(standing(facts), key=lambda f: (f.occurred_at, f.counted is not None,
                                                     f.key))
    pos = Buckets()
    for fact in ordered:
        if fact.counted is not None:
            pos = pos.apply({"on_hand": fact.counted - pos.on_hand})
        else:
            pos = pos.apply(fact.raw)
    return pos
