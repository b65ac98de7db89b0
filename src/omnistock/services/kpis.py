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
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from ..domain.errors import InvalidInput
from ..store.database import Database
from ..store.reports import ReportRepository
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
        stockouts = stockout_series(uow.reports, start, end, days)
        units = units_by_day(uow.reports, start, end, days)
        latency = data_latency(uow.reports, start, end)
        orders = order_figures(uow.reports, start, end, days)
        refused = _refused(uow.refusals.count_by_kind(start, end))
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


# -- stockouts ----------------------------------------------------------------------------------
def stockout_series(reports: ReportRepository, start: datetime, end: datetime,
                    days: Sequence[date]) -> list[dict[str, Any]]:
    before = reports.on_hand_before(start)
    index = {d.isoformat(): i for i, d in enumerate(days)}
    active: dict[tuple[int, int], list[int | None]] = {}
    for item_id, location_id, day, change in reports.on_hand_deltas_by_day(start, end):
        active.setdefault((item_id, location_id), [None] * len(days))[index[day]] = change
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


def units_by_day(reports: ReportRepository, start: datetime, end: datetime,
                 days: Sequence[date]) -> list[dict[str, Any]]:
    kinds = {"sale": "sold", "ship": "shipped", "return": "returned", "receipt": "received",
             "transfer_in": "received"}
    counts: dict[str, dict[str, int]] = {
        d.isoformat(): dict.fromkeys(set(kinds.values()), 0) for d in days}
    for day, type_, qty in reports.quantities_by_day(start, end, list(kinds)):
        counts[day][kinds[type_]] += qty
    return [{"date": d, **c} for d, c in counts.items()]


# -- data latency -------------------------------------------------------------------------------
def data_latency(reports: ReportRepository, start: datetime,
                 end: datetime) -> list[dict[str, Any]]:
    rows = reports.latency_by_source(start, end, except_types=INTERNAL_TYPES,
                                     except_sources=INTERNAL_SOURCES)
    return [{"source": s, "movements": n, "p50_seconds": round(p50, 3),
             "p99_seconds": round(p99, 3)} for s, n, p50, p99 in rows]


def _refused(by_kind: dict[str, int]) -> dict[str, Any]:
    return figure(sum(by_kind.values()), recorded=True, scope="period", by_kind=by_kind,
                  note="reservations and orders refused for want of stock in the period")


# -- orders ---------------------------------------------------------------------------------------
_ORDER_FIGURES = ("fill_rate", "bopis_share", "ship_from_store_share", "split_shipment_rate")


def order_figures(reports: ReportRepository, start: datetime, end: datetime,
                  days: Sequence[date]) -> dict[str, Any]:
    """The order-based figures; null (with a note) while the orders tables do not exist."""
    if not reports.orders_recorded():
        return _no_orders(NO_ORDERS)
    rows = reports.order_parts(start, end)
    if rows is None:
        return _no_orders("the orders tables do not have the columns these figures need "
                          "(created_at, delivery method, fulfillments.order_id and status)")
    return _order_stats(rows, days)


def _no_orders(note: str) -> dict[str, Any]:
    return {**{k: figure(None, note=note) for k in _ORDER_FIGURES},
            "orders": {"recorded": False, "count": None, "series": [], "note": note}}


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
    with db.uow(readonly=True) as uow:
        negative = uow.reports.negative_positions(limit)
        counts = uow.reports.large_counts(count_threshold, since, limit)
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
