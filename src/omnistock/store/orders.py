"""Orders, their lines and fulfillments, and the reads that sourcing needs.

Lock order: a write locks its order row first (the insert of a new order, or SELECT ... FOR
UPDATE on PostgreSQL; SQLite's write lock covers the whole transaction), then position rows in
(item_id, location_id) order through the ledger. No statement here touches positions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, insert, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from ..domain.buckets import BUCKETS
from .ledger import LAPSED_HOLDS_SQL
from .order_tables import fulfillment_lines, fulfillments, order_lines, orders
from .tables import channel_locations, channels, items, locations
from .types import UTCDateTime

# Fulfillment statuses in which the node still has work to do today (pick, pack, ship).
WORKING = ("allocated", "picking", "packed", "short")

_STOCK = text(
    f"""
    SELECT p.item_id, p.location_id, {", ".join("p." + b for b in BUCKETS)},
      {LAPSED_HOLDS_SQL}
    FROM positions p
    WHERE p.item_id IN :item_ids AND p.location_id IN :location_ids
    """
).bindparams(bindparam("now", type_=UTCDateTime), bindparam("item_ids", expanding=True),
             bindparam("location_ids", expanding=True))


class OrderRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._for_update = conn.dialect.name == "postgresql"

    # -- orders ----------------------------------------------------------------------------
    def insert(self, row: dict[str, Any]) -> bool:
        """Insert a new order; False (and nothing written) when the id exists. On PostgreSQL
        a concurrent insert of the same id waits for the other transaction to finish."""
        stmt: Any
        if self.conn.dialect.name == "postgresql":
            stmt = postgresql.insert(orders).values(**row).on_conflict_do_nothing()
        else:
            stmt = sqlite.insert(orders).values(**row).on_conflict_do_nothing()
        return self.conn.execute(stmt.returning(orders.c.id)).first() is not None

    def get(self, order_id: str, *, lock: bool = False) -> dict[str, Any] | None:
        stmt = (select(orders, channels.c.code.label("channel"))
                .join(channels, channels.c.id == orders.c.channel_id)
                .where(orders.c.id == order_id))
        if lock and self._for_update:
            stmt = stmt.with_for_update(of=orders)
        row = self.conn.execute(stmt).mappings().first()
        return dict(row) if row else None

    def update(self, order_id: str, **values: Any) -> None:
        self.conn.execute(update(orders).where(orders.c.id == order_id).values(**values))

    def add_lines(self, order_id: str, lines: Sequence[tuple[int, int]]) -> None:
        self.conn.execute(insert(order_lines), [
            {"order_id": order_id, "line_no": i + 1, "item_id": item_id, "quantity": q}
            for i, (item_id, q) in enumerate(lines)])

    def lines(self, order_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {o: [] for o in order_ids}
        if not order_ids:
            return out
        rows = self.conn.execute(
            select(order_lines.c.order_id, items.c.sku, order_lines.c.quantity)
            .join(items, items.c.id == order_lines.c.item_id)
            .where(order_lines.c.order_id.in_(order_ids))
            .order_by(order_lines.c.order_id, order_lines.c.line_no)).mappings()
        for r in rows:
            out[r["order_id"]].append({"sku": r["sku"], "quantity": int(r["quantity"])})
        return out

    def search(self, *, statuses: Sequence[str] | None, channel: str | None,
               limit: int) -> list[dict[str, Any]]:
        stmt = (select(orders, channels.c.code.label("channel"))
                .join(channels, channels.c.id == orders.c.channel_id))
        if statuses:
            stmt = stmt.where(orders.c.status.in_(statuses))
        if channel:
            stmt = stmt.where(channels.c.code == channel)
        stmt = stmt.order_by(orders.c.placed_at.desc(), orders.c.id.desc()).limit(limit)
        return [dict(r) for r in self.conn.execute(stmt).mappings()]

    def due_no_shows(self, now: datetime, limit: int) -> list[str]:
        return list(self.conn.execute(
            select(orders.c.id).where(orders.c.hold_until <= now,
                                      orders.c.status == "ready_for_pickup")
            .order_by(orders.c.hold_until, orders.c.id).limit(limit)).scalars())

    # -- fulfillments ----------------------------------------------------------------------
    def add_fulfillment(self, row: dict[str, Any], lines: Sequence[tuple[int, int]]) -> None:
        self.conn.execute(insert(fulfillments).values(**row))
        self.conn.execute(insert(fulfillment_lines), [
            {"order_id": row["order_id"], "number": row["number"], "item_id": item_id,
             "quantity": q, "allocated": q} for item_id, q in lines])

    def next_number(self, order_id: str) -> int:
        top = self.conn.execute(select(func.max(fulfillments.c.number))
                                .where(fulfillments.c.order_id == order_id)).scalar()
        return int(top or 0) + 1

    def update_fulfillment(self, order_id: str, number: int, **values: Any) -> None:
        self.conn.execute(update(fulfillments).where(
            fulfillments.c.order_id == order_id, fulfillments.c.number == number).values(**values))

    def set_line(self, order_id: str, number: int, item_id: int, quantity: int) -> None:
        self.conn.execute(update(fulfillment_lines).where(
            fulfillment_lines.c.order_id == order_id, fulfillment_lines.c.number == number,
            fulfillment_lines.c.item_id == item_id).values(quantity=quantity))

    def fulfillments(self, order_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """Fulfillments per order, by number, each with its `lines` (sku, item_id, quantity)."""
        out: dict[str, list[dict[str, Any]]] = {o: [] for o in order_ids}
        if not order_ids:
            return out
        for f in self._fulfillment_rows(fulfillments.c.order_id.in_(order_ids)):
            out[f["order_id"]].append(f)
        return out

    def work_at(self, location_id: int) -> list[dict[str, Any]]:
        """Open fulfillments at a location: its own work, and transfers coming to it."""
        own = and_(fulfillments.c.location_id == location_id,
                   fulfillments.c.status.in_((*WORKING, "ready_for_pickup")),
                   or_(fulfillments.c.kind != "transfer",
                       fulfillments.c.status != "ready_for_pickup"))
        incoming = and_(fulfillments.c.destination_id == location_id,
                        fulfillments.c.status.in_(("shipped", "ready_for_pickup")))
        return self._fulfillment_rows(or_(own, incoming))

    def _fulfillment_rows(self, where: Any) -> list[dict[str, Any]]:
        dest = locations.alias("dest")
        rows = [dict(r) for r in self.conn.execute(
            select(fulfillments, locations.c.code.label("location"),
                   dest.c.code.label("destination"), orders.c.delivery_method)
            .join(locations, locations.c.id == fulfillments.c.location_id)
            .outerjoin(dest, dest.c.id == fulfillments.c.destination_id)
            .join(orders, orders.c.id == fulfillments.c.order_id)
            .where(where).order_by(fulfillments.c.order_id, fulfillments.c.number)).mappings()]
        keys = [(r["order_id"], r["number"]) for r in rows]
        lines: dict[tuple[str, int], list[dict[str, Any]]] = {k: [] for k in keys}
        for start in range(0, len(keys), 500):
            order_ids = sorted({k[0] for k in keys[start:start + 500]})
            for ln in self.conn.execute(
                    select(fulfillment_lines, items.c.sku)
                    .join(items, items.c.id == fulfillment_lines.c.item_id)
                    .where(fulfillment_lines.c.order_id.in_(order_ids))
                    .order_by(fulfillment_lines.c.item_id)).mappings():
                key = (ln["order_id"], ln["number"])
                if key in lines:
                    lines[key].append({"sku": ln["sku"], "item_id": ln["item_id"],
                                       "quantity": int(ln["quantity"]),
                                       "allocated": int(ln["allocated"])})
        for r in rows:
            r["lines"] = lines[(r["order_id"], r["number"])]
        return rows

    # -- what sourcing reads ---------------------------------------------------------------
    def channel(self, code: str) -> dict[str, Any] | None:
        row = self.conn.execute(select(channels).where(channels.c.code == code)).mappings().first()
        return dict(row) if row else None

    def channel_nodes(self, channel_id: int) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute(
            select(locations)
            .join(channel_locations, channel_locations.c.location_id == locations.c.id)
            .where(channel_locations.c.channel_id == channel_id)
            .order_by(locations.c.code)).mappings()]

    def stock(self, item_ids: Iterable[int], location_ids: Iterable[int],
              now: datetime) -> list[dict[str, Any]]:
        """Positions of these items at these locations, with the units of lapsed holds."""
        item_ids, location_ids = sorted(set(item_ids)), sorted(set(location_ids))
        if not item_ids or not location_ids:
            return []
        return [dict(r) for r in self.conn.execute(_STOCK, {
            "item_ids": item_ids, "location_ids": location_ids, "now": now}).mappings()]

    def load(self, location_ids: Iterable[int], day_start: datetime) -> dict[int, int]:
        """Fulfillments per location still to work, or taken on since `day_start` (the day's
        load against daily_capacity); cancelled ones do not count."""
        ids = sorted(set(location_ids))
        if not ids:
            return {}
        rows = self.conn.execute(
            select(fulfillments.c.location_id, func.count())
            .where(fulfillments.c.location_id.in_(ids), fulfillments.c.status != "cancelled",
                   or_(fulfillments.c.status.in_(WORKING),
                       fulfillments.c.created_at >= day_start))
            .group_by(fulfillments.c.location_id)).all()
        return {int(loc): int(n) for loc, n in rows}
