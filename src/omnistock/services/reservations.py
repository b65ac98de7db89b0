"""Holds with a time to live: reserve, release, commit, and the expiry sweeper."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from ..domain.buckets import BUCKETS, available
from ..domain.errors import InsufficientStock, InvalidInput, NotFound
from ..domain.reservations import ReservationStatus, ensure_active, expiry
from ..store.catalog import CatalogRepository
from ..store.database import Database
from ..store.hot_path import reserve_in_one_statement
from ..store.unit_of_work import UnitOfWork
from .context import iso, payload_hash
from .movements import availability_event, movement_row
from .refusals import record_refusal


def reservation_view(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "sku": row["sku"], "location": row["location"],
            "quantity": row["quantity"], "status": row["status"],
            "expires_at": iso(row["expires_at"]), "reference": row.get("reference"),
            "created_at": iso(row["created_at"])}


def reserve(db: Database, *, sku: str, location: str, quantity: int, ttl_seconds: int,
            reference: str | None = None, actor: str | None = None) -> dict[str, Any]:
    """Hold `quantity` units for `ttl_seconds`, or InsufficientStock (and the refusal is
    recorded for the KPIs)."""
    try:
        return _reserve(db, sku=sku, location=location, quantity=quantity,
                        ttl_seconds=ttl_seconds, reference=reference, actor=actor)
    except InsufficientStock as e:
        record_refusal(db, "reservation", e, reference)
        raise


def _reserve(db: Database, *, sku: str, location: str, quantity: int, ttl_seconds: int,
             reference: str | None, actor: str | None) -> dict[str, Any]:
    """Hold units atomically. The position row is touched last, by one conditional UPDATE, so
    the row lock is held only from that statement to the commit."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise InvalidInput("quantity must be a positive integer", field="quantity")
    if db.engine.dialect.name == "postgresql":
        held = _reserve_in_one_statement(db, sku, location, quantity, ttl_seconds,
                                         reference, actor)
        if held is not None:
            return held
    with db.uow() as uow:
        now = db.clock()
        expires_at = expiry(now, ttl_seconds)
        item_id = uow.catalog.item_id(sku)
        location_id = uow.catalog.location_id(location)
        rid = str(uuid.uuid4())
        row = {"id": rid, "item_id": item_id, "location_id": location_id,
               "quantity": quantity, "status": ReservationStatus.ACTIVE.value,
               "expires_at": expires_at, "reference": reference, "created_at": now,
               "updated_at": now, "actor": actor}
        uow.reservations.add(row)
        _record(uow, "reserve", rid, item_id, location_id, quantity, {"reserved": quantity},
                now, actor, reference)
        buckets = uow.ledger.guarded_add("reserved", item_id, location_id, quantity, now)
        if buckets is None and expire_due_holds(uow, now, item_id=item_id, location_id=location_id):
            buckets = uow.ledger.guarded_add("reserved", item_id, location_id, quantity, now)
        if buckets is None:
            raise insufficient(uow, item_id, location_id, sku, location, quantity)
        uow.outbox.add_many([availability_event(sku, location, buckets, "reserve", now, now)])
        uow.commit()
    return reservation_view({**row, "sku": sku, "location": location})


def _reserve_in_one_statement(db: Database, sku: str, location: str, quantity: int,
                              ttl_seconds: int, reference: str | None,
                              actor: str | None) -> dict[str, Any] | None:
    """The fast path (store/hot_path.py). None sends the caller to the general path, which
    also returns lapsed holds before giving up."""
    now = db.clock()
    expires_at = expiry(now, ttl_seconds)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        names = CatalogRepository(conn, db.ids)
        item_id, location_id = names.item_id(sku), names.location_id(location)
        rid = str(uuid.uuid4())
        held = reserve_in_one_statement(conn, {
            "id": rid, "item_id": item_id, "location_id": location_id, "quantity": quantity,
            "expires_at": expires_at, "reference": reference, "actor": actor, "now": now,
            "now_iso": iso(now), "sku": sku, "location": location,
            "external_id": f"{rid}:reserve",
            "digest": payload_hash({"reservation": rid, "type": "reserve"})})
    if held is None:
        return None
    return reservation_view({"id": rid, "sku": sku, "location": location, "quantity": quantity,
                             "status": ReservationStatus.ACTIVE.value, "expires_at": expires_at,
                             "reference": reference, "created_at": now})


def insufficient(uow: UnitOfWork, item_id: int, location_id: int, sku: str, location: str,
                 quantity: int) -> InsufficientStock:
    pos = uow.ledger.lock([(item_id, location_id)]).get((item_id, location_id))
    have = max(available(pos), 0) if pos else 0
    return InsufficientStock(
        f"{quantity} of {sku} requested at {location}, {have} available",
        lines=[{"sku": sku, "location": location, "requested": quantity, "available": have}])


def release(db: Database, reservation_id: str, actor: str | None = None) -> dict[str, Any]:
    return _close(db, reservation_id, ReservationStatus.RELEASED, actor)


def commit(db: Database, reservation_id: str, actor: str | None = None) -> dict[str, Any]:
    return _close(db, reservation_id, ReservationStatus.COMMITTED, actor)


_CLOSING = {
    ReservationStatus.RELEASED: ("release", lambda q: {"reserved": -q}),
    ReservationStatus.COMMITTED: ("commit", lambda q: {"reserved": -q, "committed": q}),
}


def _close(db: Database, reservation_id: str, status: ReservationStatus,
           actor: str | None) -> dict[str, Any]:
    type_, delta_of = _CLOSING[status]
    with db.uow() as uow:
        now = db.clock()
        closed = uow.reservations.close(reservation_id, status.value, now)
        current = uow.reservations.get(reservation_id)
        if current is None:
            raise NotFound(f"reservation {reservation_id} not found", field="id")
        if closed is None:
            ensure_active(reservation_id, current["status"], current["expires_at"], now)
        q = current["quantity"]
        _record(uow, type_, reservation_id, current["item_id"], current["location_id"], q,
                delta_of(q), now, actor, current["reference"])
        buckets = uow.ledger.add(current["item_id"], current["location_id"], delta_of(q), now)
        uow.outbox.add_many([availability_event(current["sku"], current["location"], buckets,
                                                type_, now, now)])
        uow.commit()
    return reservation_view(current)


def get(db: Database, reservation_id: str) -> dict[str, Any]:
    with db.uow(readonly=True) as uow:
        row = uow.reservations.get(reservation_id)
    if row is None:
        raise NotFound(f"reservation {reservation_id} not found", field="id")
    if row["status"] == ReservationStatus.ACTIVE and row["expires_at"] <= db.clock():
        row["status"] = ReservationStatus.EXPIRED.value  # due, even if not swept yet
    return reservation_view(row)


def sweep_expired(db: Database, *, batch: int = 500) -> int:
    """Return the units of due holds; safe to run in many processes at once."""
    total = 0
    while True:
        with db.uow() as uow:
            n = expire_due_holds(uow, db.clock(), limit=batch)
            uow.commit()
        total += n
        if n < batch:
            return total


def expire_due_holds(uow: UnitOfWork, now: datetime, *, item_id: int | None = None,
                     location_id: int | None = None, limit: int = 500) -> int:
    """Return the units of due holds inside the caller's transaction (optionally for one
    position); the number of holds expired."""
    due = uow.reservations.expire_due(now, item_id=item_id, location_id=location_id,
                                      limit=limit)
    for r in sorted(due, key=lambda r: (r["item_id"], r["location_id"])):
        _record(uow, "expire", r["id"], r["item_id"], r["location_id"], r["quantity"],
                {"reserved": -r["quantity"]}, now, None, None)
        uow.ledger.add(r["item_id"], r["location_id"], {"reserved": -r["quantity"]}, now)
    _announce(uow, due, now)
    return len(due)


def _announce(uow: UnitOfWork, due: Iterable[dict[str, Any]], now: datetime) -> None:
    keys = sorted({(r["item_id"], r["location_id"]) for r in due})
    if not keys:
        return
    names = uow.catalog.names(keys)
    positions = uow.ledger.lock(keys)
    uow.outbox.add_many([
        availability_event(*names[k], {b: positions[k][b] for b in BUCKETS}, "expire", now, now)
        for k in keys])


def _record(uow: UnitOfWork, type_: str, reservation_id: str, item_id: int, location_id: int,
            quantity: int, deltas: dict[str, int], now: datetime, actor: str | None,
            reference: str | None) -> None:
    uow.ledger.insert_movement(movement_row(
        type_=type_, item_id=item_id, location_id=location_id, quantity=quantity, raw=deltas,
        occurred_at=now, now=now, source="reservation", external_id=f"{reservation_id}:{type_}",
        digest=payload_hash({"reservation": reservation_id, "type": type_}), actor=actor,
        reference=reference))
