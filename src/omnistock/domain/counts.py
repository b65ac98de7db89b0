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
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

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
    """One ledger entry as needed for a replay: raw deltas, or a counted value."""

    occurred_at: datetime
    key: str
    raw: Mapping[str, int]
    counted: int | None = None


def fold(facts: Iterable[LedgerFact]) -> Buckets:
    """Positions as the replay of a ledger in the order things happened."""
    # At the same instant, movements come before counts: a count at T saw what happened at T.
    ordered = sorted(facts, key=lambda f: (f.occurred_at, f.counted is not None, f.key))
    pos = Buckets()
    for fact in ordered:
        if fact.counted is not None:
            pos = pos.apply({"on_hand": fact.counted - pos.on_hand})
        else:
            pos = pos.apply(fact.raw)
    return pos
