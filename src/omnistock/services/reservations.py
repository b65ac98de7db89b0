"""Holds with a time to live: reserve, release, commit, and the expiry sweeper."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from ..domain.errors import InsufficientStock, InvalidInput, NotFound
from ..domain.ledger import Movement
from ..domain.movements import MovementType
from ..domain.reservations import ReservationStatus, ensure_active, expiry
from ..store.database import Database
from ..store.unit_of_work import UnitOfWork
from .context import iso
from .ledger import expire_lapsed, hold_in_one_statement, hold_movement, record
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
    """Hold units atomically. The position row is touched by one conditional UPDATE (on
    PostgreSQL, the whole hold is that one statement), so its row lock is held briefly."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise InvalidInput("quantity must be a positive integer", field="quantity")
    rid = str(uuid.uuid4())
    if db.holds_in_one_statement:
        # A hold that does not fit here goes on to the general path, which also returns the
        # position's lapsed holds before giving up.
        with db.uow(autocommit=True) as uow:
            now = db.clock()
            move, hold = _hold(uow, rid, sku, location, quantity, ttl_seconds, now, reference,
                               actor)
            if hold_in_one_statement(uow, move, hold, now) is not None:
                return reservation_view({**hold, "sku": sku, "location": location})
    with db.uow() as uow:
        now = db.clock()
        move, hold = _hold(uow, rid, sku, location, quantity, ttl_seconds, now, reference, actor)
        uow.reservations.add(hold)
        record(uow, [move], now, dedupe=False)
        uow.commit()
    return reservation_view({**hold, "sku": sku, "location": location})


def _hold(uow: UnitOfWork, rid: str, sku: str, location: str, quantity: int, ttl_seconds: int,
          now: datetime, reference: str | None, actor: str | None
          ) -> tuple[Movement, dict[str, Any]]:
    """The reserve movement and the reservation row of a new hold."""
    item_id, location_id = uow.catalog.item_id(sku), uow.catalog.location_id(location)
    hold = {"id": rid, "item_id": item_id, "location_id": location_id, "quantity": quantity,
            "status": ReservationStatus.ACTIVE.value, "expires_at": expiry(now, ttl_seconds),
            "reference": reference, "created_at": now, "updated_at": now, "actor": actor}
    move = hold_movement(MovementType.RESERVE, rid, item_id, location_id, sku, location,
                         quantity, now, actor=actor, reference=reference)
    return move, hold


def release(db: Database, reservation_id: str, actor: str | None = None) -> dict[str, Any]:
    return _close(db, reservation_id, ReservationStatus.RELEASED, actor)


def commit(db: Database, reservation_id: str, actor: str | None = None) -> dict[str, Any]:
    return _close(db, reservation_id, ReservationStatus.COMMITTED, actor)


_CLOSING = {ReservationStatus.RELEASED: MovementType.RELEASE,
            ReservationStatus.COMMITTED: MovementType.COMMIT}


def _close(db: Database, reservation_id: str, status: ReservationStatus,
           actor: str | None) -> dict[str, Any]:
    with db.uow() as uow:
        now = db.clock()
        closed = uow.reservations.close(reservation_id, status.value, now)
        current = uow.reservations.get(reservation_id)
        if current is None:
            raise NotFound(f"reservation {reservation_id} not found", field="id")
        if closed is None:
            ensure_active(reservation_id, current["status"], current["expires_at"], now)
        record(uow, [hold_movement(_CLOSING[status], reservation_id, current["item_id"],
                                   current["location_id"], current["sku"], current["location"],
                                   current["quantity"], now, actor=actor,
                                   reference=current["reference"])], now, dedupe=False)
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
            n = expire_lapsed(uow, db.clock(), limit=batch)
            uow.commit()
        total += n
        if n < batch:
            return total
