"""Availability per location, per channel (ATP) and future ATP."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from ..domain.buckets import BUCKETS, available
from ..store.tables import inbound, locations, positions
from .context import Store


def availability(store: Store, sku: str, channel: str | None = None,
                 horizon_days: int | None = None) -> dict[str, Any]:
    """Buckets of `sku` at each location. Holds past their expiry count as released even
    before the sweeper returns them, so a lapsed cart never hides stock."""
    with store.uow(readonly=True) as uow:
        now = store.clock()
        item_id = uow.catalog.item_id(sku)
        scope = uow.catalog.channel_location_ids(channel) if channel else None
        if channel:
            uow.catalog.channel(channel)  # 404 for an unknown channel
        rows = _positions(uow.conn, item_id, scope)
        lapsed = uow.reservations.lapsed_by_location(item_id, now)
        expected = _expected(uow.conn, item_id, now + timedelta(days=horizon_days)) \
            if horizon_days is not None else {}
    result = []
    for r in rows:
        buckets = {b: int(r[b]) for b in BUCKETS}
        buckets["reserved"] -= lapsed.get(r["location_id"], 0)
        entry = {"location": r["code"], **buckets, "available": available(buckets)}
        if horizon_days is not None:
            entry["expected_within_horizon"] = expected.get(r["location_id"], 0)
        result.append(entry)
    body: dict[str, Any] = {
        "sku": sku, "channel": channel,
        "available": sum(max(e["available"], 0) for e in result), "locations": result}
    if horizon_days is not None:
        body["horizon_days"] = horizon_days
        body["future_available"] = body["available"] + sum(
            e["expected_within_horizon"] for e in result)
    return body


def _positions(conn: Any, item_id: int, scope: list[int] | None) -> list[Any]:
    stmt = (select(positions, locations.c.code)
            .join(locations, locations.c.id == positions.c.location_id)
            .where(positions.c.item_id == item_id).order_by(locations.c.code))
    if scope is not None:
        stmt = stmt.where(positions.c.location_id.in_(scope))
    return list(conn.execute(stmt).mappings())


def _expected(conn: Any, item_id: int, until: datetime) -> dict[int, int]:
    rows = conn.execute(
        select(inbound.c.location_id, func.sum(inbound.c.quantity_open))
        .where(inbound.c.item_id == item_id, inbound.c.quantity_open > 0,
               inbound.c.expected_at <= until)
        .group_by(inbound.c.location_id)).all()
    return {int(loc): int(q) for loc, q in rows}
