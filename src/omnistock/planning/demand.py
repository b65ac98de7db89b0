"""Daily demand per item x location, from what the ledger says was sold and returned.

Demand is what customers took: walk-in sales at a till (`sale`), order lines picked up at a
store (BOPIS) and order lines shipped from a node. Returns are kept apart and netted out. A day
that ended with nothing on hand is *censored*: customers may have wanted more than they could
take, so its figure is a floor of demand, not a measure of it, and a forecast must not read it
as low demand.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

CHANNELS = ("walk_in", "bopis", "ship")
Key = tuple[int, int]  # (item_id, location_id)


@dataclass(frozen=True, slots=True)
class DemandRow:
    """Units of one kind on one day at one position, as the store sums them."""

    key: Key
    day: date
    kind: str  # one of CHANNELS, or "return"
    units: int


@dataclass(frozen=True, slots=True)
class DemandSeries:
    key: Key
    start: date
    by_channel: Mapping[str, tuple[int, ...]]
    returns: tuple[int, ...]
    censored: tuple[bool, ...]
    net: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        gross = [sum(day) for day in zip(*(self.by_channel[c] for c in CHANNELS), strict=True)]
        object.__setattr__(self, "net", tuple(max(0, g - r) for g, r in
                                              zip(gross, self.returns, strict=True)))

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(len(self.net))]

    def to_dict(self) -> dict[str, object]:
        return {"start": self.start.isoformat(), "days": len(self.net),
                "net": list(self.net), "returns": list(self.returns),
                "censored": list(self.censored),
                "by_channel": {c: list(self.by_channel[c]) for c in CHANNELS}}


def day_range(start: date, end: date) -> list[date]:
    """The days from `start` up to, not including, `end`."""
    return [start + timedelta(days=i) for i in range((end - start).days)]


def build_series(rows: Iterable[DemandRow], on_hand_before: Mapping[Key, int],
                 on_hand_deltas: Iterable[tuple[Key, date, int]], start: date,
                 end: date) -> dict[Key, DemandSeries]:
    """One dense series per position with any demand in [start, end). `on_hand_before` is each
    position's on_hand as the period starts, `on_hand_deltas` its net change per day; a day
    is censored when it ends with on_hand <= 0."""
    days = day_range(start, end)
    index = {d: i for i, d in enumerate(days)}
    n = len(days)
    units: dict[Key, dict[str, list[int]]] = defaultdict(
        lambda: {k: [0] * n for k in (*CHANNELS, "return")})
    for r in rows:
        if r.day in index:
            units[r.key][r.kind][index[r.day]] += r.units
    change: dict[Key, list[int]] = defaultdict(lambda: [0] * n)
    for key, day, delta in on_hand_deltas:
        if key in units and day in index:
            change[key][index[day]] += delta
    out = {}
    for key, kinds in units.items():
        level, censored = on_hand_before.get(key, 0), []
        for delta in change[key]:
            level += delta
            censored.append(level <= 0)
        out[key] = DemandSeries(key, start, {c: tuple(kinds[c]) for c in CHANNELS},
                                tuple(kinds["return"]), tuple(censored))
    return out


def uncensored(series: DemandSeries) -> list[float]:
    """The net series with each censored day replaced by the mean of the uncensored days of
    the same weekday (or of all uncensored days, or 0), so a stockout reads as usual demand."""
    values = [float(v) for v in series.net]
    seen = [v for v, c in zip(values, series.censored, strict=True) if not c]
    overall = sum(seen) / len(seen) if seen else 0.0
    by_weekday: dict[int, list[float]] = defaultdict(list)
    for i, (v, c) in enumerate(zip(values, series.censored, strict=True)):
        if not c:
            by_weekday[i % 7].append(v)
    for i, c in enumerate(series.censored):
        if c:
            same = by_weekday.get(i % 7)
            values[i] = max(values[i], sum(same) / len(same) if same else overall)
    return values
