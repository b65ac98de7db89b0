"""Stock as of a past time, on either of the ledger's two time axes.

Every movement carries `occurred_at` (when it happened, at the source) and `recorded_at` (when
omnistock wrote it). So two questions have answers:

* `as_of=T` -- what was there at T, as the ledger knows it now: the replay, in the order things
  happened, of every movement that occurred at or before T. Counts set on_hand as of their own
  time (the latest count at or before T, ties broken by its key `source:external_id`, as a
  position's count mark is); at the same instant a movement comes before a count (the count saw
  it); movements after that count add their raw on_hand effect. The other buckets are the sums
  of the movements' recorded deltas (counts observe on_hand only).
* `as_recorded=R` -- what omnistock believed at R: the same replay restricted to movements
  recorded at or before R. Late and out-of-order facts recorded after R are not in it, so it
  answers "what did the availability API say then".

Both together ask what omnistock, at R, believed was there at T. Without either, the replay of
the whole ledger is the position itself (design invariant 4), so `as_of=now` equals the live
answer. Holds are counted as they are live: a hold whose expiry lies at or before T is not
counted against availability even if its expiry was recorded later (the sweeper runs after the
expiry, and a lapsed hold never hides stock).

Not historical: which locations a channel sells (its current set is used) and expected units
(future ATP is not kept per past time, so `horizon_days` cannot be combined with these).

`fold_as_of` is the reference, in plain Python; the store folds in SQL and a property test
checks that both agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from .buckets import BUCKETS, Buckets
from .counts import LedgerFact, fold


@dataclass(frozen=True, slots=True)
class AsOf:
    """The two bounds of a historical read; None means "no bound on this axis"."""

    occurred: datetime | None = None
    recorded: datetime | None = None

    @property
    def live(self) -> bool:
        return self.occurred is None and self.recorded is None

    def includes(self, occurred_at: datetime, recorded_at: datetime) -> bool:
        return ((self.occurred is None or occurred_at <= self.occurred)
                and (self.recorded is None or recorded_at <= self.recorded))


@dataclass(frozen=True, slots=True)
class HistoryFact:
    """One movement as a historical replay needs it: its times, key, recorded deltas, raw
    on_hand effect and, for a count, the counted quantity."""

    occurred_at: datetime
    recorded_at: datetime
    key: str
    deltas: Mapping[str, int] = field(default_factory=dict)
    raw_on_hand: int = 0
    counted: int | None = None


def fold_as_of(facts: Iterable[HistoryFact], as_of: AsOf) -> Buckets:
    """The buckets of one position as of `as_of` (see the module doc)."""
    kept = [f for f in facts if as_of.includes(f.occurred_at, f.recorded_at)]
    on_hand = fold(LedgerFact(f.occurred_at, f.key, {"on_hand": f.raw_on_hand}, f.counted)
                   for f in kept).on_hand
    sums = {b: sum(f.deltas.get(b, 0) for f in kept) for b in BUCKETS if b != "on_hand"}
    return Buckets(on_hand=on_hand, **sums)
