"""Queries of planning: demand history by day and kind, the stored forecasts, the positions
replenishment looks at, and the proposals."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, case, delete, func, insert, select, update

from ..domain.movements import MovementType
from .planning_tables import forecasts, proposals
from .reports import ReportRepository
from .tables import items, locations, movements, positions

# How an order's movements say which way the units left: fulfillment steps name them
# (services/orders/fulfillment.py: "...:pickup" at the store counter, "...:ship" otherwise).
_KIND = case(
    (movements.c.type == MovementType.SALE.value, "walk_in"),
    (movements.c.type == MovementType.RETURN.value, "return"),
    (movements.c.external_id.like("%:pickup"), "bopis"),
    else_="ship")


class PlanningRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._reports = ReportRepository(conn)

    def demand(self, start: datetime, end: datetime) -> list[tuple[int, int, date, str, int]]:
        """(item_id, location_id, day, kind, units) of what customers took or brought back in
        [start, end): walk-in sales, order lines picked up or shipped, returns."""
        day = self._reports._day(movements.c.occurred_at)
        demand = and_(movements.c.occurred_at >= start, movements.c.occurred_at < end,
                      movements.c.type.in_([MovementType.SALE.value, MovementType.RETURN.value,
                                            MovementType.SHIP.value]))
        rows = self.conn.execute(
            select(movements.c.item_id, movements.c.location_id, day, _KIND,
                   func.sum(movements.c.quantity))
            .where(demand)
            .group_by(movements.c.item_id, movements.c.location_id, day, _KIND))
        return [(i, loc, date.fromisoformat(str(d)[:10]), kind, int(units))
                for i, loc, d, kind, units in rows]

    def on_hand_before(self, start: datetime) -> dict[tuple[int, int], int]:
        return self._reports.on_hand_before(start)

    def on_hand_deltas(self, start: datetime, end: datetime
                       ) -> list[tuple[tuple[int, int], date, int]]:
        return [((i, loc), date.fromisoformat(d), delta) for i, loc, d, delta in
                self._reports.on_hand_deltas_by_day(start, end)]

    def replace_forecasts(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            self.conn.execute(delete(forecasts).where(
                forecasts.c.item_id == row["item_id"],
                forecasts.c.location_id == row["location_id"]))
        if rows:
            self.conn.execute(insert(forecasts), rows)

    def forecasts_of(self, item_id: int, location_id: int | None = None
                     ) -> list[dict[str, Any]]:
        query = (select(forecasts, locations.c.code.label("location"))
                 .join(locations, locations.c.id == forecasts.c.location_id)
                 .where(forecasts.c.item_id == item_id).order_by(locations.c.code))
        if location_id is not None:
            query = query.where(forecasts.c.location_id == location_id)
        return [dict(r._mapping) for r in self.conn.execute(query)]

    def all_forecasts(self) -> list[dict[str, Any]]:
        query = (select(forecasts, items.c.sku, locations.c.code.label("location"))
                 .join(items, items.c.id == forecasts.c.item_id)
                 .join(locations, locations.c.id == forecasts.c.location_id))
        return [dict(r._mapping) for r in self.conn.execute(query)]

    def network_positions(self) -> list[dict[str, Any]]:
        """Every position with its sku, cost, location code and kind, and its buckets."""
        query = (select(positions, items.c.sku, items.c.unit_cost,
                        locations.c.code.label("location"), locations.c.kind)
                 .join(items, items.c.id == positions.c.item_id)
                 .join(locations, locations.c.id == positions.c.location_id)
                 .order_by(items.c.sku, locations.c.code))
        return [dict(r._mapping) for r in self.conn.execute(query)]

    def supersede_open(self, now: datetime) -> int:
        return self.conn.execute(update(proposals).where(proposals.c.status == "proposed")
                                 .values(status="superseded", decided_at=now)).rowcount

    def add_proposals(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.conn.execute(insert(proposals), rows)

    def _proposal_query(self) -> Any:
        frm, to = locations.alias("frm"), locations.alias("dest")
        return (select(proposals, items.c.sku, frm.c.code.label("from_location"),
                       to.c.code.label("to_location"))
                .join(items, items.c.id == proposals.c.item_id)
                .join(to, to.c.id == proposals.c.to_location_id)
                .outerjoin(frm, frm.c.id == proposals.c.from_location_id))

    def proposals(self, status: str | None, kind: str | None, limit: int
                  ) -> list[dict[str, Any]]:
        query = self._proposal_query()
        if status:
            query = query.where(proposals.c.status == status)
        if kind:
            query = query.where(proposals.c.kind == kind)
        query = query.order_by(proposals.c.created_at.desc(), proposals.c.id).limit(limit)
        return [dict(r._mapping) for r in self.conn.execute(query)]

    def proposal(self, proposal_id: str, *, lock: bool = False) -> dict[str, Any] | None:
        query = self._proposal_query().where(proposals.c.id == proposal_id)
        if lock and self.conn.dialect.name == "postgresql":
            query = query.with_for_update(of=proposals)
        row = self.conn.execute(query).first()
        return dict(row._mapping) if row else None

    def decide(self, proposal_id: str, **values: Any) -> None:
        self.conn.execute(update(proposals).where(proposals.c.id == proposal_id)
                          .values(**values))
