"""The lists an integrator pages through: channels, the ledger, the stock of one location.

Each is keyset-paged on a unique key (channel code, movement id, item id), through an index, so a
page costs the same wherever it starts and rows added while a client pages are neither
repeated nor shifted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, text

from ..domain.buckets import BUCKETS
from .ledger import LAPSED_HOLDS_SQL
from .tables import channel_locations, channels, items, locations, movements
from .types import UTCDateTime


@dataclass(frozen=True, slots=True)
class MovementFilter:
    """Which movements: every field is optional; time ranges are [from, to)."""

    item_id: int | None = None
    location_id: int | None = None
    source: str | None = None
    type: str | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None
    recorded_from: datetime | None = None
    recorded_to: datetime | None = None


class ReadRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def channels(self, after: str | None, limit: int) -> list[dict[str, Any]]:
        q = select(channels.c.id, channels.c.code, channels.c.name).order_by(channels.c.code)
        if after is not None:
            q = q.where(channels.c.code > after)
        rows = [dict(r) for r in self.conn.execute(q.limit(limit)).mappings()]
        codes: dict[int, list[str]] = {r["id"]: [] for r in rows}
        if codes:
            for channel_id, code in self.conn.execute(
                    select(channel_locations.c.channel_id, locations.c.code)
                    .join(locations, locations.c.id == channel_locations.c.location_id)
                    .where(channel_locations.c.channel_id.in_(sorted(codes)))
                    .order_by(locations.c.code)):
                codes[channel_id].append(code)
        return [{"code": r["code"], "name": r["name"], "locations": codes[r["id"]]}
                for r in rows]

    def last_movement_id(self) -> int:
        return int(self.conn.execute(select(func.coalesce(func.max(movements.c.id), 0)))
                   .scalar_one())

    def movements(self, f: MovementFilter, after: int, upto: int | None,
                  limit: int) -> list[dict[str, Any]]:
        """Movements with after < id (<= upto), in id order, with their sku and location."""
        m = movements.c
        q = (select(movements, items.c.sku, locations.c.code.label("location"))
             .join(items, items.c.id == m.item_id)
             .join(locations, locations.c.id == m.location_id)
             .where(m.id > after).order_by(m.id).limit(limit))
        if upto is not None:
            q = q.where(m.id <= upto)
        for column, value in ((m.item_id, f.item_id), (m.location_id, f.location_id),
                              (m.source, f.source), (m.type, f.type)):
            if value is not None:
                q = q.where(column == value)
        for column, start, end in ((m.occurred_at, f.occurred_from, f.occurred_to),
                                   (m.recorded_at, f.recorded_from, f.recorded_to)):
            if start is not None:
                q = q.where(column >= start)
            if end is not None:
                q = q.where(column < end)
        return [dict(r) for r in self.conn.execute(q).mappings()]

    def location_stock(self, location_id: int, after: int | None, limit: int,
                       now: datetime) -> list[dict[str, Any]]:
        """Positions at one location in item id order (an index reads them in that order:
        store/integration_tables.py), with the units of their lapsed holds."""
        params = {"location_id": location_id, "limit": limit, "now": now}
        if after is not None:
            params["after"] = after
        return [dict(r) for r in self.conn.execute(_LOCATION_STOCK[after is not None],
                                                   params).mappings()]

    def item_ids(self, skus: Sequence[str]) -> dict[str, int]:
        return {sku: int(i) for sku, i in self.conn.execute(
            select(items.c.sku, items.c.id).where(items.c.sku.in_(sorted(set(skus)))))}

    def location_codes(self, ids: Sequence[int]) -> dict[int, str]:
        return {int(i): code for i, code in self.conn.execute(
            select(locations.c.id, locations.c.code).where(locations.c.id.in_(sorted(set(ids)))))}


_LOCATION_STOCK = {
    paged: text(
        f"""
        SELECT p.item_id, i.sku, {", ".join("p." + b for b in BUCKETS)}, p.seq,
          {LAPSED_HOLDS_SQL}
        FROM positions p JOIN items i ON i.id = p.item_id
        WHERE p.location_id = :location_id {"AND p.item_id > :after" if paged else ""}
        ORDER BY p.item_id LIMIT :limit
        """
    ).bindparams(bindparam("now", type_=UTCDateTime))
    for paged in (False, True)
}
