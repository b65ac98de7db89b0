"""Availability per location, per channel (ATP) and future ATP."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ..domain.buckets import BUCKETS, available
from ..store.database import Database


def availability(db: Database, sku: str, channel: str | None = None,
                 horizon_days: int | None = None) -> dict[str, Any]:
    """Buckets of `sku` at each location. Holds past their expiry count as released even
    before the sweeper returns them, so a lapsed cart never hides stock."""
    with db.uow(readonly=True) as uow:
        now = db.clock()
        item_id = uow.catalog.item_id(sku)
        scope = None
        if channel:  # NotFound (404) for an unknown channel
            scope = set(uow.catalog.channel(channel)["locations"])
        rows = uow.ledger.positions_of(item_id, now)
        expected = uow.ledger.expected_by_location(
            item_id, now + timedelta(days=horizon_days)) if horizon_days is not None else {}
    result = []
    for r in rows:
        if scope is not None and r["code"] not in scope:
            continue
        buckets = {b: r[b] for b in BUCKETS}
        buckets["reserved"] -= r["lapsed"]
        entry = {"location": r["code"], **buckets, "available": available(buckets),
                 "sequence": r["seq"]}
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
