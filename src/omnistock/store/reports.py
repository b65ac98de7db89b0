"""The queries behind the dashboard's figures (services/kpis.py does the arithmetic).

Every method reads; run them in one snapshot unit of work for figures that agree. Days are UTC
calendar days as 'YYYY-MM-DD' on both backends.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    MetaData,
    Table,
    and_,
    func,
    inspect,
    literal_column,
    select,
)
from sqlalchemy.sql import ColumnElement

from ..domain.buckets import available_sql
from .tables import items, locations, movements, positions

# Names the orders tables' columns have had; the figures read whichever is there.
_CREATED = ("created_at", "placed_at", "ordered_at")
_METHOD = ("delivery_method", "method")


def _in_period(column: Any, start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(column >= start, column < end)


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (as PostgreSQL's percentile_cont)."""
    pos = (len(sorted_values) - 1) * q
    low = int(pos)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (pos - low)


class ReportRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _day(self, column: Any) -> ColumnElement[Any]:
        if self.conn.dialect.name == "postgresql":
            return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
        return func.strftime("%Y-%m-%d", column)

    # -- the ledger ---------------------------------------------------------------------------
    def on_hand_before(self, start: datetime) -> dict[tuple[int, int], int]:
        """(item_id, location_id) -> the sum of on_hand deltas that occurred before `start`."""
        key = (movements.c.item_id, movements.c.location_id)
        return {(r[0], r[1]): int(r[2]) for r in self.conn.execute(
            select(*key, func.sum(movements.c.d_on_hand))
            .where(movements.c.occurred_at < start).group_by(*key))}

    def on_hand_deltas_by_day(self, start: datetime, end: datetime
                              ) -> list[tuple[int, int, str, int]]:
        """(item_id, location_id, day, on_hand delta) of the movements that occurred in the
        period, one row per position and day that has any."""
        key = (movements.c.item_id, movements.c.location_id)
        day = self._day(movements.c.occurred_at)
        return [(item_id, location_id, str(d)[:10], int(delta))
                for item_id, location_id, d, delta in self.conn.execute(
                    select(*key, day, func.sum(movements.c.d_on_hand))
                    .where(_in_period(movements.c.occurred_at, start, end))
                    .group_by(*key, day))]

    def quantities_by_day(self, start: datetime, end: datetime,
                          types: Sequence[str]) -> list[tuple[str, str, int]]:
        """(day, movement type, units) of the movements of `types` that occurred in the
        period."""
        day = self._day(movements.c.occurred_at)
        return [(str(d)[:10], type_, int(qty)) for d, type_, qty in self.conn.execute(
            select(day, movements.c.type, func.sum(movements.c.quantity))
            .where(_in_period(movements.c.occurred_at, start, end),
                   movements.c.type.in_(list(types)))
            .group_by(day, movements.c.type))]

    def latency_by_source(self, start: datetime, end: datetime, *,
                          except_types: Sequence[str], except_sources: Sequence[str]
                          ) -> list[tuple[str, int, float, float]]:
        """(source, movements, p50, p99 of recorded_at - occurred_at in seconds) of the
        movements recorded in the period, by source, in source order."""
        m = movements.c
        where = (_in_period(m.recorded_at, start, end), m.type.not_in(except_types),
                 m.source.not_in(except_sources))
        seconds: ColumnElement[Any]
        if self.conn.dialect.name == "postgresql":
            seconds = func.extract("epoch", m.recorded_at - m.occurred_at)
            rows = [(s, int(n), float(p50), float(p99)) for s, n, p50, p99 in self.conn.execute(
                select(m.source, func.count(), func.percentile_cont(0.5).within_group(seconds),
                       func.percentile_cont(0.99).within_group(seconds))
                .where(*where).group_by(m.source))]
        else:
            seconds = (func.julianday(m.recorded_at) - func.julianday(m.occurred_at)) * 86400.0
            by_source: dict[str, list[float]] = defaultdict(list)
            for source, s in self.conn.execute(select(m.source, seconds).where(*where)
                                               .order_by(seconds)):
                by_source[source].append(float(s))
            rows = [(s, len(v), percentile(v, 0.5), percentile(v, 0.99))
                    for s, v in by_source.items()]
        return sorted(rows)

    def negative_positions(self, limit: int) -> list[dict[str, Any]]:
        """Positions with available < 0 (with sku, location code and available), the most
        oversold first: more held than is on hand, then below safety stock."""
        avail: ColumnElement[int] = literal_column(available_sql("positions."))
        physical = avail + positions.c.safety_stock
        rows = self.conn.execute(
            select(items.c.sku, locations.c.code.label("location"), positions,
                   avail.label("available"))
            .join(items, items.c.id == positions.c.item_id)
            .join(locations, locations.c.id == positions.c.location_id)
            .where(avail < 0).order_by(physical, avail, items.c.sku).limit(limit)
        ).mappings()
        return [dict(r) for r in rows]

    def large_counts(self, threshold: int, since: datetime | None,
                     limit: int) -> list[dict[str, Any]]:
        """Counts that moved on_hand by at least `threshold` units, latest recorded first."""
        m = movements.c
        where = [m.type == "count", func.abs(m.d_on_hand) >= threshold]
        if since is not None:
            where.append(m.recorded_at >= since)
        rows = self.conn.execute(
            select(items.c.sku, locations.c.code.label("location"), m.d_on_hand, m.counted,
                   m.occurred_at, m.recorded_at, m.source, m.external_id)
            .join(items, items.c.id == m.item_id).join(locations, locations.c.id == m.location_id)
            .where(*where).order_by(m.recorded_at.desc(), m.id.desc()).limit(limit)
        ).mappings()
        return [dict(r) for r in rows]

    # -- orders -------------------------------------------------------------------------------
    def orders_recorded(self) -> bool:
        """Whether this database has the orders tables at all."""
        names = inspect(self.conn).get_table_names()
        return "orders" in names and "fulfillments" in names

    def order_parts(self, start: datetime, end: datetime) -> list[tuple[Any, ...]] | None:
        """(order id, placed at, delivery method, fulfillment status, location kind, leg) per
        fulfillment of the orders placed in the period (an order without any: one row of
        nulls after its method); None when the tables lack the columns this needs. The tables
        are reflected, so the figures work on whichever revision of them a database has."""
        meta = MetaData()
        orders = Table("orders", meta, autoload_with=self.conn)
        fulfillments = Table("fulfillments", meta, autoload_with=self.conn)
        created, link = _first(orders, _CREATED), _order_link(orders, fulfillments)
        method = _first(orders, (*_METHOD, "delivery"))
        if method is None:
            method = _first(fulfillments, _METHOD)
        if created is None or link is None or method is None or "status" not in fulfillments.c:
            return None
        kind = _location_kind(fulfillments)
        leg = fulfillments.c.kind if "kind" in fulfillments.c else literal_column("NULL")
        return [tuple(r) for r in self.conn.execute(
            select(link[0], created, method, fulfillments.c.status, kind, leg)
            .select_from(orders.outerjoin(fulfillments, link[0] == link[1])
                         .outerjoin(locations, _location_join(fulfillments)))
            .where(_in_period(created, start, end)))]


def _first(table: Table, names: Sequence[str]) -> Any:
    return next((table.c[n] for n in names if n in table.c), None)


def _order_link(orders: Table, fulfillments: Table) -> tuple[Any, Any] | None:
    if "order_id" not in fulfillments.c:
        return None
    fk = fulfillments.c.order_id
    target = next((f.column.name for f in fk.foreign_keys), None)
    name = target or ("order_id" if "order_id" in orders.c else "id")
    return (orders.c[name], fk) if name in orders.c else None


def _location_kind(fulfillments: Table) -> Any:
    if "location_id" in fulfillments.c or "location" in fulfillments.c:
        return locations.c.kind
    return literal_column("NULL")


def _location_join(fulfillments: Table) -> Any:
    if "location_id" in fulfillments.c:
        return locations.c.id == fulfillments.c.location_id
    if "location" in fulfillments.c:
        return locations.c.code == fulfillments.c.location
    return literal_column("1") == literal_column("0")
