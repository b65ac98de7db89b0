"""Positions as of a past time: the ledger folded up to T in SQL (the rule: domain/history.py).

One statement per read: the movements kept by the two bounds, the latest count among them per
position (a window function, ties broken by `source:external_id` in byte order, as Python
compares the count marks), and per position that count plus the raw on_hand of the movements
after it, beside the sums of the other buckets' deltas. Movements are found through the
(item_id, location_id, occurred_at) index.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Connection, and_, case, collate, func, literal, or_, select

from ..domain.buckets import BUCKETS
from ..domain.history import AsOf
from .tables import movements as m
from .tables import reservations

# Stands for "no bound" on an axis: later than any time the window accepts.
_END = datetime(9999, 12, 31, tzinfo=UTC)
_OTHER = [b for b in BUCKETS if b != "on_hand"]


class HistoryRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._postgres = conn.dialect.name == "postgresql"

    def positions(self, item_ids: Sequence[int], as_of: AsOf,
                  location_ids: Sequence[int] | None = None) -> dict[tuple[int, int],
                                                                     dict[str, int]]:
        """(item_id, location_id) -> buckets and `seq` (the chain link of the last movement
        kept), for every position with a movement kept by `as_of`."""
        if not item_ids:
            return {}
        kept = select(m.c.item_id, m.c.location_id, m.c.occurred_at, m.c.raw_on_hand,
                      m.c.counted, m.c.seq, m.c.source, m.c.external_id,
                      *[getattr(m.c, f"d_{b}") for b in _OTHER]).where(
            m.c.item_id.in_(sorted(set(item_ids))),
            m.c.occurred_at <= (as_of.occurred or _END),
            m.c.recorded_at <= (as_of.recorded or _END))
        if location_ids is not None:
            kept = kept.where(m.c.location_id.in_(sorted(set(location_ids))))
        k = kept.cte("kept")
        key = k.c.source + literal(":") + k.c.external_id
        ranked = select(k.c.item_id, k.c.location_id, k.c.occurred_at, k.c.counted,
                        func.row_number().over(
                            partition_by=(k.c.item_id, k.c.location_id),
                            order_by=(k.c.occurred_at.desc(),
                                      (collate(key, "C") if self._postgres else key).desc())
                        ).label("rn")).where(k.c.counted.is_not(None)).cte("ranked")
        c = select(ranked).where(ranked.c.rn == 1).cte("last_count")
        after_count = and_(k.c.counted.is_(None),
                           or_(c.c.occurred_at.is_(None), k.c.occurred_at > c.c.occurred_at))
        on_hand = (func.coalesce(func.max(c.c.counted), 0)
                   + func.coalesce(func.sum(case((after_count, k.c.raw_on_hand), else_=0)), 0))
        rows = self.conn.execute(
            select(k.c.item_id, k.c.location_id, on_hand.label("on_hand"),
                   *[func.coalesce(func.sum(getattr(k.c, f"d_{b}")), 0).label(b)
                     for b in _OTHER],
                   func.coalesce(func.max(k.c.seq), 0).label("seq"))
            .select_from(k.outerjoin(c, and_(c.c.item_id == k.c.item_id,
                                             c.c.location_id == k.c.location_id)))
            .group_by(k.c.item_id, k.c.location_id)).mappings()
        return {(r["item_id"], r["location_id"]): {b: int(r[b]) for b in (*BUCKETS, "seq")}
                for r in rows}

    def lapsed_holds(self, item_ids: Sequence[int], as_of: AsOf,
                     at: datetime) -> dict[tuple[int, int], int]:
        """Units of holds open in the replay whose expiry lies at or before `at`, the time the
        answer is about.

        A hold's movements occur when they are recorded, so it is in the replay from its
        creation until it was closed, up to the earlier of the two bounds."""
        if not item_ids:
            return {}
        r = reservations.c
        seen = min(as_of.occurred or _END, as_of.recorded or _END)
        rows = self.conn.execute(
            select(r.item_id, r.location_id, func.sum(r.quantity))
            .where(r.item_id.in_(sorted(set(item_ids))), r.created_at <= seen,
                   r.expires_at <= at,
                   or_(r.status == "active", r.updated_at > seen))
            .group_by(r.item_id, r.location_id)).all()
        return {(int(i), int(loc)): int(q) for i, loc, q in rows}

