"""Key figures and exceptions for the dashboard, computed from what the ledger records (and from
orders, once they are recorded). Read-only: one read transaction per call.

How each figure is computed (the approximations are said):

stockout_rate    share of item x location x day cells whose end-of-day on_hand is <= 0. A cell
                 exists from the UTC day of the position's first movement. End-of-day on_hand
                 is the sum of the effective on_hand deltas (`d_on_hand`) of the movements that
                 occurred up to the end of that day (or up to `to`, for the last day). A count
                 adds the correction it made when it was recorded, so the days between a late
                 count's time and its arrival can be off by that correction; everything else
                 is exact.
data_latency     recorded_at - occurred_at of each movement recorded in the period, by source;
                 p50 and p99 with linear interpolation (PostgreSQL's percentile_cont). Movements
                 made by omnistock itself (holds and allocations, and what orders and
                 reservations write under the sources `order` and `reservation`) have no source
                 delay and are left out.
oversell_refused reservations and orders refused for want of stock in the period, from the
                 refusals table (a refusal changes no stock, so the ledger has no trace of it).
fill_rate ...    from the orders and fulfillments tables, when they exist (null before), over
                 the orders placed in the period. Transfer legs (stock moved to a pickup store)
                 are left out; live means not cancelled.
                 fill_rate = closed orders whose every live fulfillment was shipped or picked up
                 / closed orders (closed: every fulfillment shipped, picked up or cancelled);
                 bopis_share = pickup and curbside orders / orders; ship_from_store_share =
                 live ship fulfillments at a `store` location / live ship fulfillments;
                 split_shipment_rate = orders with more than one live fulfillment / orders with
                 at least one.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
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
from ..domain.errors import InvalidInput
from ..store.database import Database
from ..store.tables import items, locations, movements, positions, refusals
from .context import iso

MAX_DAYS = 400
INTERNAL_TYPES = ("reserve", "release", "expire", "commit", "allocate", "deallocate")
INTERNAL_SOURCES = ("order", "reservation")
DONE = frozenset({"shipped", "picked_up"})
CLOSED = DONE | {"cancelled"}
COLLECT = frozenset({"pickup", "curbside"})
NO_ORDERS = "orders are not recorded by this deployment yet"


def figure(value: Any, **extra: Any) -> dict[str, Any]:
    return {"value": value, **extra}


def kpis(db: Database, start: datetime, end: datetime) -> dict[str, Any]:
    days = period_days(start, end)
    with db.uow(readonly=True) as uow:
        conn = uow.conn
        stockouts = stockout_series(conn, start, end, days)
        units = units_by_day(conn, start, end, days)
        latency = data_latency(conn, start, end)
        orders = order_figures(conn, start, end, days)
        refused = oversell_refused(conn, start, end)
    cells = sum(d["cells"] for d in stockouts)
    out = sum(d["out"] for d in stockouts)
    return {
        "from": iso(start), "to": iso(end), "days": [d.isoformat() for d in days],
        "stockout_rate": figure(out / cells if cells else None, series=stockouts,
                                cells=cells, out=out),
        "units": {"series": units},
        "data_latency": {"sources": latency},
        "oversell_refused": refused,
        **orders,
    }


def period_days(start: datetime, end: datetime) -> list[date]:
    for name, value in (("from", start), ("to", end)):
        if value.tzinfo is None:
            raise InvalidInput(f"{name} must include a time zone", field=name)
    if end <= start:
        raise InvalidInput("to must be after from", field="to")
    first, last = start.astimezone(UTC).date(), (end - timedelta(microseconds=1)).astimezone(
        UTC).date()
    n = (last - first).days + 1
    if n > MAX_DAYS:
        raise InvalidInput(f"the period must be at most {MAX_DAYS} days", field="from")
    return [first + timedelta(days=i) for i in range(n)]


def day_of(column: Any, dialect: str) -> ColumnElement[Any]:
    """The UTC calendar day of a timestamp column, as 'YYYY-MM-DD' on both backends."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.strftime("%Y-%m-%d", column)


def _in_period(column: Any, start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(column >= start, column < end)


# -- stockouts ----------------------------------------------------------------------------------
def stockout_series(conn: Connection, start: datetime, end: datetime,
                    days: Sequence[date]) -> list[dict[str, Any]]:
    key = (movements.c.item_id, movements.c.location_id)
    before = {(r[0], r[1]): int(r[2]) for r in conn.execute(
        select(*key, func.sum(movements.c.d_on_hand))
        .where(movements.c.occurred_at < start).group_by(*key))}
    day = day_of(movements.c.occurred_at, conn.dialect.name)
    index = {d.isoformat(): i for i, d in enumerate(days)}
    active: dict[tuple[int, int], list[int | None]] = {}
    for item_id, location_id, d, delta in conn.execute(
            select(*key, day, func.sum(movements.c.d_on_hand))
            .where(_in_period(movements.c.occurred_at, start, end)).group_by(*key, day)):
        deltas = active.setdefault((item_id, location_id), [None] * len(days))
        deltas[index[str(d)[:10]]] = int(delta)
    cells, out = [0] * len(days), [0] * len(days)
    quiet = [oh for k, oh in before.items() if k not in active]
    for i in range(len(days)):  # positions without movements in the period: constant
        cells[i] += len(quiet)
        out[i] += sum(1 for oh in quiet if oh <= 0)
    for k, deltas in active.items():
        on_hand = before.get(k)
        for i, delta in enumerate(deltas):
            if delta is not None:
                on_hand = (on_hand or 0) + delta
            if on_hand is not None:
                cells[i] += 1
                out[i] += on_hand <= 0
    return [{"date": d.isoformat(), "cells": c, "out": o, "value": o / c if c else None}
            for d, c, o in zip(days, cells, out, strict=True)]


def units_by_day(conn: Connection, start: datetime, end: datetime,
                 days: Sequence[date]) -> list[dict[str, Any]]:
    kinds = {"sale": "sold", "ship": "shipped", "return": "returned", "receipt": "received",
             "transfer_in": "received"}
    day = day_of(movements.c.occurred_at, conn.dialect.name)
    counts: dict[str, dict[str, int]] = {
        d.isoformat(): dict.fromkeys(set(kinds.values()), 0) for d in days}
    for d, type_, qty in conn.execute(
            select(day, movements.c.type, func.sum(movements.c.quantity))
            .where(_in_period(movements.c.occurred_at, start, end),
                   movements.c.type.in_(list(kinds)))
            .group_by(day, movements.c.type)):
        counts[str(d)[:10]][kinds[type_]] += int(qty)
    return [{"date": d, **c} for d, c in counts.items()]


# -- data latency -------------------------------------------------------------------------------
def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (as percentile_cont)."""
    pos = (len(sorted_values) - 1) * q
    low = int(pos)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (pos - low)


def data_latency(conn: Connection, start: datetime, end: datetime) -> list[dict[str, Any]]:
    m = movements.c
    where = (_in_period(m.recorded_at, start, end), m.type.not_in(INTERNAL_TYPES),
             m.source.not_in(INTERNAL_SOURCES))
    seconds: ColumnElement[Any]
    if conn.dialect.name == "postgresql":
        seconds = func.extract("epoch", m.recorded_at - m.occurred_at)
        rows = [(s, int(n), float(p50), float(p99)) for s, n, p50, p99 in conn.execute(
            select(m.source, func.count(), func.percentile_cont(0.5).within_group(seconds),
                   func.percentile_cont(0.99).within_group(seconds))
            .where(*where).group_by(m.source))]
    else:
        seconds = (func.julianday(m.recorded_at) - func.julianday(m.occurred_at)) * 86400.0
        by_source: dict[str, list[float]] = defaultdict(list)
        for source, s in conn.execute(select(m.source, seconds).where(*where).order_by(seconds)):
            by_source[source].append(float(s))
        rows = [(s, len(v), percentile(v, 0.5), percentile(v, 0.99))
                for s, v in by_source.items()]
    return [{"source": s, "movements": n, "p50_seconds": round(p50, 3),
             "p99_seconds": round(p99, 3)} for s, n, p50, p99 in sorted(rows)]


def oversell_refused(conn: Connection, start: datetime, end: datetime) -> dict[str, Any]:
    rows = conn.execute(
        select(refusals.c.kind, func.count()).where(refusals.c.refused_at >= start,
                                                   refusals.c.refused_at < end)
        .group_by(refusals.c.kind)).all()
    by_kind = {kind: int(n) for kind, n in rows}
    return figure(sum(by_kind.values()), recorded=True, scope="period", by_kind=by_kind,
                  note="reservations and orders refused for want of stock in the period")


# -- orders ---------------------------------------------------------------------------------------
_CREATED = ("created_at", "placed_at", "ordered_at")
_METHOD = ("delivery_method", "method")
_ORDER_FIGURES = ("fill_rate", "bopis_share", "ship_from_store_share", "split_shipment_rate")


def _first(table: Table, names: Sequence[str]) -> Any:
    return next((table.c[n] for n in names if n in table.c), None)


def order_figures(conn: Connection, start: datetime, end: datetime,
                  days: Sequence[date]) -> dict[str, Any]:
    """The order-based figures; null (with a note) while the orders tables do not exist."""
    tables = inspect(conn).get_table_names()
    if "orders" not in tables or "fulfillments" not in tables:
        return _no_orders(NO_ORDERS)
    meta = MetaData()
    orders = Table("orders", meta, autoload_with=conn)
    fulfillments = Table("fulfillments", meta, autoload_with=conn)
    created, link = _first(orders, _CREATED), _order_link(orders, fulfillments)
    method = _first(orders, (*_METHOD, "delivery"))
    if method is None:
        method = _first(fulfillments, _METHOD)
    if created is None or link is None or method is None or "status" not in fulfillments.c:
        return _no_orders("the orders tables do not have the columns these figures need "
                          "(created_at, delivery method, fulfillments.order_id and status)")
    kind = _location_kind(fulfillments)
    leg = fulfillments.c.kind if "kind" in fulfillments.c else literal_column("NULL")
    rows = conn.execute(
        select(link[0], created, method, fulfillments.c.status, kind, leg)
        .select_from(orders.outerjoin(fulfillments, link[0] == link[1])
                     .outerjoin(locations, _location_join(fulfillments)))
        .where(_in_period(created, start, end))).all()
    return _order_stats(rows, days)


def _no_orders(note: str) -> dict[str, Any]:
    return {**{k: figure(None, note=note) for k in _ORDER_FIGURES},
            "orders": {"recorded": False, "count": None, "series": [], "note": note}}


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


def _method(value: Any) -> str | None:
    if isinstance(value, str) and value.startswith("{"):
        value = json.loads(value)
    if isinstance(value, dict):
        value = value.get("method")
    return str(value) if value is not None else None


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _ships(leg: str | None, method: str | None) -> bool:
    return leg == "ship" if leg is not None else method == "ship"


def _order_stats(rows: Sequence[Any], days: Sequence[date]) -> dict[str, Any]:
    """Per order: its method and its fulfillments (status, location kind, leg). Transfer legs
    (stock moved to a pickup store) are neither shipments nor parts of a split."""
    orders: dict[Any, dict[str, Any]] = {}
    for order_id, created, method, status, kind, leg in rows:
        o = orders.setdefault(order_id, {"created": created, "method": _method(method),
                                         "parts": []})
        if status is not None and leg != "transfer":
            o["parts"].append((status, kind, leg))
    n = len(orders)
    live = {k: [p for p in o["parts"] if p[0] != "cancelled"] for k, o in orders.items()}
    ships = [p for k, v in live.items() for p in v if _ships(p[2], orders[k]["method"])]
    with_live = [v for v in live.values() if v]
    closed = [k for k, o in orders.items()
              if o["parts"] and all(p[0] in CLOSED for p in o["parts"])]
    filled = sum(bool(live[k]) and all(p[0] in DONE for p in live[k]) for k in closed)
    per_day: dict[str, dict[str, int]] = {d.isoformat(): {"ship": 0, "collect": 0}
                                          for d in days}
    for o in orders.values():
        day = per_day.get(o["created"].astimezone(UTC).date().isoformat())
        if day is not None:
            day["collect" if o["method"] in COLLECT else "ship"] += 1
    return {
        "fill_rate": figure(_ratio(filled, len(closed)), closed=len(closed)),
        "bopis_share": figure(_ratio(sum(o["method"] in COLLECT for o in orders.values()), n),
                              orders=n),
        "ship_from_store_share": figure(_ratio(sum(p[1] == "store" for p in ships), len(ships)),
                                        fulfillments=len(ships)),
        "split_shipment_rate": figure(_ratio(sum(len(v) > 1 for v in with_live),
                                             len(with_live)), orders=len(with_live)),
        "orders": {"recorded": True, "count": n,
                   "series": [{"date": d, **c} for d, c in per_day.items()]},
    }


# -- exceptions -----------------------------------------------------------------------------------
def exceptions(db: Database, *, count_threshold: int = 20, since: datetime | None = None,
               limit: int = 100) -> dict[str, Any]:
    """Positions with available < 0, worst first: `oversold` when more units are held than are
    on hand (a physical fact outran the promises), else `below_safety_stock`; and counts that
    moved on_hand by at least `count_threshold` units (shrink, mis-picks, feed errors)."""
    if count_threshold < 1:
        raise InvalidInput("count_threshold must be at least 1", field="count_threshold")
    avail: ColumnElement[int] = literal_column(available_sql("positions."))
    physical = avail + positions.c.safety_stock  # below zero: more held than is there
    with db.uow(readonly=True) as uow:
        negative = uow.conn.execute(
            select(items.c.sku, locations.c.code.label("location"), positions,
                   avail.label("available"))
            .join(items, items.c.id == positions.c.item_id)
            .join(locations, locations.c.id == positions.c.location_id)
            .where(avail < 0).order_by(physical, avail, items.c.sku).limit(limit)
        ).mappings().all()
        m = movements.c
        where = [m.type == "count", func.abs(m.d_on_hand) >= count_threshold]
        if since is not None:
            where.append(m.recorded_at >= since)
        counts = uow.conn.execute(
            select(items.c.sku, locations.c.code.label("location"), m.d_on_hand, m.counted,
                   m.occurred_at, m.recorded_at, m.source, m.external_id)
            .join(items, items.c.id == m.item_id).join(locations, locations.c.id == m.location_id)
            .where(*where).order_by(m.recorded_at.desc(), m.id.desc()).limit(limit)
        ).mappings().all()
    return {
        "negative_availability": [_negative_view(r) for r in negative],
        "large_count_adjustments": [
            {"sku": r["sku"], "location": r["location"], "delta": int(r["d_on_hand"]),
             "counted": r["counted"], "counted_at": iso(r["occurred_at"]),
             "recorded_at": iso(r["recorded_at"]), "source": r["source"],
             "external_id": r["external_id"]} for r in counts],
        "count_threshold": count_threshold,
    }


def _negative_view(row: Any) -> dict[str, Any]:
    keys = ("on_hand", "committed", "reserved", "damaged", "quality_control", "safety_stock",
            "incoming", "available")
    values = {k: int(row[k]) for k in keys}
    cause = "oversold" if values["available"] + values["safety_stock"] < 0 else "below_safety_stock"
    return {"sku": row["sku"], "location": row["location"], **values, "cause": cause,
            "updated_at": iso(row["updated_at"])}


def default_period(now: datetime, days: int = 7) -> tuple[datetime, datetime]:
    """The last `days` whole UTC days up to now (today included)."""
    today = datetime.combine(now.astimezone(UTC).date(), time(), UTC)
    return today - timedelta(days=days - 1), now
