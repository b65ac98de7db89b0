"""Reserve online, try in store: a hold for a named customer at a store, no payment taken,
until a collect-by time.

The hold is a reservation (the same id; `GET /v1/reservations/{id}` shows it), so it counts
against availability and lapses like every hold: past its collect-by time its units are
available again, and the sweeper expires it. It ends when the customer buys (`convert`:
the hold is committed and its units leave the store, as a picked-up order's do) or
declines (`cancel`: the units are released).

| status    | meaning                                                          |
|-----------|------------------------------------------------------------------|
| active    | held until collect_by                                            |
| converted | bought: the `commit` and `ship` movements took the units out     |
| cancelled | declined: released                                               |
| lapsed    | collect_by passed (swept or not yet)                             |
| committed | / released: the reservation was closed through /v1/reservations  |
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from ..domain.errors import InsufficientStock, InvalidInput, InvalidState, NotFound
from ..domain.ledger import Movement
from ..domain.movements import MovementType
from ..domain.reservations import MAX_TTL_SECONDS, ReservationStatus, ensure_active
from ..store.database import Database
from ..store.unit_of_work import UnitOfWork
from .context import iso, payload_hash
from .ledger import hold_movement, record
from .orders.network import channel_policy, channel_row
from .refusals import record_refusal

SOURCE = "try_in_store"
DEFAULT_HOLD_HOURS = 48
OPEN, CONVERTED, CANCELLED = "open", "converted", "cancelled"


def hold_view(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {"id": row["id"], "sku": row["sku"], "location": row["location"],
            "quantity": int(row["quantity"]),
            "customer": {k: row["customer"].get(k) for k in ("name", "phone", "email")},
            "channel": row["channel"], "reference": row["reference"],
            "status": status(row, now), "collect_by": iso(row["expires_at"]),
            "created_at": iso(row["created_at"]), "updated_at": iso(row["updated_at"])}


def status(row: dict[str, Any], now: datetime) -> str:
    if row["outcome"] != OPEN:
        return str(row["outcome"])
    if row["status"] == ReservationStatus.ACTIVE:
        return "active" if row["expires_at"] > now else "lapsed"
    return "lapsed" if row["status"] == ReservationStatus.EXPIRED else str(row["status"])


def hold(db: Database, *, sku: str, location: str, quantity: int, customer: dict[str, Any],
         collect_by: datetime | None = None, channel: str | None = None,
         reference: str | None = None, actor: str | None = None) -> dict[str, Any]:
    """Hold the units for the customer (InsufficientStock when they are not available, and
    the refusal is counted like a reservation's)."""
    try:
        return _hold(db, sku, location, quantity, customer, collect_by, channel, reference,
                     actor)
    except InsufficientStock as e:
        record_refusal(db, "reservation", e, reference)
        raise


def _hold(db: Database, sku: str, location: str, quantity: int, customer: dict[str, Any],
          collect_by: datetime | None, channel: str | None, reference: str | None,
          actor: str | None) -> dict[str, Any]:
    if not str(customer.get("name") or "").strip():
        raise InvalidInput("the customer needs a name", field="customer.name")
    with db.uow() as uow:
        now = db.clock()
        expires_at = _collect_by(uow, now, collect_by, channel)
        item_id, location_id = uow.catalog.item_id(sku), uow.catalog.location_id(location)
        rid = str(uuid.uuid4())
        uow.reservations.add({
            "id": rid, "item_id": item_id, "location_id": location_id, "quantity": quantity,
            "status": ReservationStatus.ACTIVE.value, "expires_at": expires_at,
            "reference": reference, "created_at": now, "updated_at": now, "actor": actor})
        record(uow, [hold_movement(MovementType.RESERVE, rid, item_id, location_id, sku,
                                   location, quantity, now, actor=actor, reference=reference)],
               now, dedupe=False)
        uow.holds.add({"id": rid, "location_id": location_id, "customer": customer,
                       "channel": channel, "outcome": OPEN, "created_at": now,
                       "updated_at": now, "actor": actor})
        view = _event(uow, rid, "try_in_store.held", now)
        uow.commit()
    return view


def _collect_by(uow: UnitOfWork, now: datetime, collect_by: datetime | None,
                channel: str | None) -> datetime:
    """The time given, else the channel's pickup hold (bopis_hold_hours), else 48 hours."""
    if channel is not None:
        hours = channel_policy(channel_row(uow, channel)).bopis_hold_hours
    else:
        hours = DEFAULT_HOLD_HOURS
    if collect_by is None:
        return now + timedelta(hours=hours)
    if collect_by.tzinfo is None:
        raise InvalidInput("collect_by must include a time zone", field="collect_by")
    if not now < collect_by <= now + timedelta(seconds=MAX_TTL_SECONDS):
        raise InvalidInput(f"collect_by must be after now and at most {MAX_TTL_SECONDS // 86400}"
                           " days ahead", field="collect_by")
    return collect_by


def _event(uow: UnitOfWork, hold_id: str, type_: str, now: datetime) -> dict[str, Any]:
    row = uow.holds.get(hold_id)
    assert row is not None
    view = hold_view(row, now)
    uow.outbox.add(type_, hold_id, view, now, now)
    return view


Authorize = Callable[[str], None]


def convert(db: Database, hold_id: str, *, actor: str | None = None,
            authorize: Authorize | None = None) -> dict[str, Any]:
    """The customer buys: the hold is committed and the units leave (commit, then ship)."""
    return _end(db, hold_id, CONVERTED, actor, authorize)


def cancel(db: Database, hold_id: str, *, actor: str | None = None,
           authorize: Authorize | None = None) -> dict[str, Any]:
    """The customer declines: the units are released."""
    return _end(db, hold_id, CANCELLED, actor, authorize)


def _end(db: Database, hold_id: str, outcome: str, actor: str | None,
         authorize: Authorize | None) -> dict[str, Any]:
    with db.uow() as uow:
        now = db.clock()
        row = uow.holds.get(hold_id)
        if row is None:
            raise NotFound(f"try-in-store hold {hold_id} not found", field="id")
        if authorize is not None:
            authorize(row["location"])
        if row["outcome"] != OPEN:
            raise InvalidState(f"try-in-store hold {hold_id} is {row['outcome']}", field="id",
                               status_now=row["outcome"])
        closing = ReservationStatus.COMMITTED if outcome == CONVERTED else \
            ReservationStatus.RELEASED
        if uow.reservations.close(hold_id, closing.value, now) is None:
            current = uow.reservations.get(hold_id) or row  # as it is now, not as first read
            ensure_active(hold_id, current["status"], current["expires_at"], now)
            raise InvalidState(f"try-in-store hold {hold_id} is no longer active", field="id")
        record(uow, _movements(row, outcome, now, actor), now, dedupe=False)
        uow.holds.end(hold_id, outcome, now)
        view = _event(uow, hold_id, f"try_in_store.{outcome}", now)
        uow.commit()
    return view


def _movements(row: dict[str, Any], outcome: str, now: datetime,
               actor: str | None) -> list[Movement]:
    args = (row["id"], row["item_id"], row["location_id"], row["sku"], row["location"],
            int(row["quantity"]), now)
    if outcome == CANCELLED:
        return [hold_movement(MovementType.RELEASE, *args, actor=actor,
                              reference=row["reference"])]
    sale = Movement(MovementType.SHIP, row["item_id"], row["location_id"], row["sku"],
                    row["location"], int(row["quantity"]), now, SOURCE, f"{row['id']}:sale",
                    payload_hash({"try_in_store": row["id"], "step": "sale"}),
                    reason="try_in_store_sale", reference=row["reference"], actor=actor)
    return [hold_movement(MovementType.COMMIT, *args, actor=actor, reference=row["reference"]),
            sale]


def get_hold(db: Database, hold_id: str) -> dict[str, Any]:
    with db.uow(readonly=True) as uow:
        row = uow.holds.get(hold_id)
    if row is None:
        raise NotFound(f"try-in-store hold {hold_id} not found", field="id")
    return hold_view(row, db.clock())


def list_holds(db: Database, *, location: str | None = None, active_only: bool = True,
               limit: int = 100) -> dict[str, Any]:
    """Holds (at a location), soonest collect-by first; `active_only`: those to collect."""
    with db.uow(readonly=True) as uow:
        location_id = uow.catalog.location_id(location) if location is not None else None
        rows = uow.holds.at(location_id, [OPEN] if active_only else None, limit,
                            active_at=db.clock() if active_only else None)
    now = db.clock()
    return {"holds": [hold_view(r, now) for r in rows]}
