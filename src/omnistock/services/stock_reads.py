"""Availability of many SKUs in one read, now or as of a past time (domain/history.py).

One snapshot per call, so the SKUs of one answer are consistent with each other. A live answer
reads the positions (holds past their expiry count as released, as in services/availability.py);
a historical one folds the ledger up to the bounds in SQL (store/history.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ..domain.buckets import BUCKETS, available
from ..domain.errors import InvalidInput, NotFound
from ..domain.history import AsOf
from ..store.database import Database
from ..store.unit_of_work import UnitOfWork
from .context import iso
from .movements import time_window

MAX_SKUS = 100


def check_as_of(db: Database, as_of: AsOf, horizon_days: int | None) -> None:
    """Bounds lie in the time window (not before the earliest time, not past the clock plus
    its skew); future ATP is not kept per past time."""
    window = time_window(db)
    for field, value in (("as_of", as_of.occurred), ("as_recorded", as_of.recorded)):
        if value is not None:
            window.check(value, field)
    if horizon_days is not None and not as_of.live:
        raise InvalidInput("horizon_days cannot be combined with as_of or as_recorded: "
                           "expected units are not kept per past time", field="horizon_days")


def availability_many(db: Database, skus: list[str], channel: str | None = None, *,
                      horizon_days: int | None = None, as_of: AsOf = AsOf()) -> dict[str, Any]:
    """`{channel, as_of, as_recorded, items: [availability of each sku, in the order asked]}`;
    an unknown sku is a NotFound naming it (nothing else is answered)."""
    wanted = list(dict.fromkeys(skus))
    if not 1 <= len(wanted) <= MAX_SKUS:
        raise InvalidInput(f"ask for 1 to {MAX_SKUS} distinct skus", field="sku")
    check_as_of(db, as_of, horizon_days)
    with db.uow(snapshot=True) as uow:
        now = db.clock()
        ids = uow.reads.item_ids(wanted)
        missing = [s for s in wanted if s not in ids]
        if missing:
            raise NotFound(f"unknown sku {', '.join(map(repr, missing[:10]))}", field="sku",
                           skus=missing)
        scope = set(uow.catalog.channel(channel)["locations"]) if channel else None
        rows = (_live(uow, ids, now, horizon_days) if as_of.live
                else _historical(uow, ids, as_of, now))
    items = [_body(sku, channel, [e for e in rows.get(ids[sku], [])
                                  if scope is None or e["location"] in scope], horizon_days)
             for sku in wanted]
    return {"channel": channel, "as_of": iso(as_of.occurred), "as_recorded": iso(as_of.recorded),
            "items": items}


def availability_as_of(db: Database, sku: str, channel: str | None, as_of: AsOf,
                       horizon_days: int | None = None) -> dict[str, Any]:
    """One SKU's availability as of `as_of`, shaped as GET /v1/availability/{sku} answers."""
    body = availability_many(db, [sku], channel, horizon_days=horizon_days, as_of=as_of)
    return {**body["items"][0], "as_of": body["as_of"], "as_recorded": body["as_recorded"]}


def _entry(location: str, buckets: dict[str, int], seq: int) -> dict[str, Any]:
    return {"location": location, **{b: buckets[b] for b in BUCKETS},
            "available": available(buckets), "sequence": seq}


def _live(uow: UnitOfWork, ids: dict[str, int], now: datetime,
          horizon_days: int | None) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {}
    for item_id in sorted(set(ids.values())):
        expected = uow.ledger.expected_by_location(
            item_id, now + timedelta(days=horizon_days)) if horizon_days is not None else {}
        entries = []
        for r in uow.ledger.positions_of(item_id, now):
            buckets = {b: int(r[b]) for b in BUCKETS}
            buckets["reserved"] -= int(r["lapsed"])
            entry = _entry(r["code"], buckets, int(r["seq"]))
            if horizon_days is not None:
                entry["expected_within_horizon"] = expected.get(r["location_id"], 0)
            entries.append(entry)
        out[item_id] = entries
    return out


def _historical(uow: UnitOfWork, ids: dict[str, int], as_of: AsOf,
                now: datetime) -> dict[int, list[dict[str, Any]]]:
    item_ids = sorted(set(ids.values()))
    folded = uow.history.positions(item_ids, as_of)
    lapsed = uow.history.lapsed_holds(item_ids, as_of, as_of.occurred or as_of.recorded or now)
    codes = uow.reads.location_codes([k[1] for k in folded])
    out: dict[int, list[dict[str, Any]]] = {}
    for key, buckets in sorted(folded.items(), key=lambda kv: (kv[0][0], codes[kv[0][1]])):
        buckets = dict(buckets)
        buckets["reserved"] -= lapsed.get(key, 0)
        out.setdefault(key[0], []).append(_entry(codes[key[1]], buckets, buckets["seq"]))
    return out


def _body(sku: str, channel: str | None, entries: list[dict[str, Any]],
          horizon_days: int | None) -> dict[str, Any]:
    body: dict[str, Any] = {"sku": sku, "channel": channel,
                            "available": sum(max(e["available"], 0) for e in entries),
                            "locations": entries}
    if horizon_days is not None:
        body["horizon_days"] = horizon_days
        body["future_available"] = body["available"] + sum(
            e["expected_within_horizon"] for e in entries)
    return body
