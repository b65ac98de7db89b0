"""Returns: record one (its disposition decided by the rules in force, its movements through
the ledger writer, its `return.recorded` event, in one transaction), and read them.

Idempotency: `external_id` is the caller's id of the return; the same id with the same payload
returns the first result (`created` False), with another payload it is refused
(IdempotencyConflict) and changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from ..domain.errors import IdempotencyConflict, InvalidInput, NotFound, UnknownReference
from ..domain.ledger import Movement
from ..domain.movements import MovementType, validate_quantity, validate_timestamp
from ..domain.returns import (
    MOVEMENTS,
    Action,
    Condition,
    OrderLineSale,
    check_returnable,
    decide,
)
from ..store.database import Database
from ..store.unit_of_work import UnitOfWork
from .context import iso, payload_hash
from .ledger import movement_view, record
from .movements import time_window
from .return_rules import policy_in_force, shelves

SOURCE = "return"
RETURNED = "return.recorded"


@dataclass(frozen=True, slots=True)
class ReturnRequest:
    sku: str
    quantity: int
    location: str
    condition: str
    order_id: str | None = None
    reason: str | None = None
    external_id: str | None = None
    occurred_at: datetime | None = None

    def digest(self) -> str:
        data = asdict(self)
        data["occurred_at"] = iso(self.occurred_at) if self.occurred_at else None
        return payload_hash(data)


@dataclass(frozen=True, slots=True)
class Recorded:
    view: dict[str, Any]
    created: bool


def record_return(db: Database, req: ReturnRequest, actor: str | None = None) -> Recorded:
    condition = _condition(req.condition)
    validate_quantity(MovementType.RETURN, req.quantity)
    if req.occurred_at is not None:
        validate_timestamp(req.occurred_at, "occurred_at", time_window(db))
    with db.uow() as uow:
        now = db.clock()
        if req.external_id is not None:
            seen = uow.returns.by_external_id(req.external_id)
            if seen is not None:
                return _replay(uow, seen, req)
        item_id = uow.catalog.item_id(req.sku)
        location_id = uow.catalog.location_id(req.location)
        before, channel = False, None
        if req.order_id is not None:
            order = uow.orders.get(req.order_id, lock=True)
            if order is None:
                raise UnknownReference(f"order {req.order_id!r} not found", field="order_id")
            before = check_returnable(req.order_id, req.sku, _sale(uow, order, item_id),
                                      req.quantity)
            channel = order["channel"]
        policy, scope = policy_in_force(uow, req.location, channel)
        here, others = shelves(uow, item_id, req.location, now)
        disposition = {**decide(condition, here, others, policy).to_dict(), "scope": scope}
        return_id, occurred_at = str(uuid.uuid4()), req.occurred_at or now
        row: dict[str, Any] = {"id": return_id, "external_id": req.external_id,
               "payload_hash": req.digest(), "item_id": item_id, "location_id": location_id,
               "quantity": req.quantity, "condition": condition.value,
               "order_id": req.order_id, "reason": req.reason, "disposition": disposition,
               "before_shipment": before, "occurred_at": occurred_at,
               "recorded_at": now, "actor": actor}
        if not uow.returns.insert(row):  # the same external_id, committed meanwhile
            seen = uow.returns.by_external_id(req.external_id or "")
            assert seen is not None
            return _replay(uow, seen, req)
        applied = record(uow, _movements(row, req, condition, actor), now, dedupe=False)
        view = return_view({**row, "sku": req.sku, "location": req.location},
                           [a.movement for a in applied])
        uow.outbox.add(RETURNED, return_id, {k: v for k, v in view.items() if k != "movements"},
                       occurred_at, now)
        uow.commit()
    return Recorded(view, True)


def _condition(value: str) -> Condition:
    try:
        return Condition(value)
    except ValueError:
        raise InvalidInput(f"condition {value!r} is not one of "
                           f"{', '.join(c.value for c in Condition)}", field="condition") from None


def _replay(uow: UnitOfWork, seen: dict[str, Any], req: ReturnRequest) -> Recorded:
    if seen["payload_hash"] != req.digest():
        raise IdempotencyConflict(f"external_id {req.external_id!r} was already used for "
                                  "another return", field="external_id")
    return Recorded(_views(uow, [seen])[0], False)


def _sale(uow: UnitOfWork, order: dict[str, Any], item_id: int) -> OrderLineSale:
    """Units of the item the order sold (not cancelled) and delivered (shipped to the customer
    or picked up; a transfer leg on its way to the pickup store is not delivered)."""
    sold = delivered = 0
    for f in uow.orders.fulfillments([order["id"]])[order["id"]]:
        if f["status"] == "cancelled":
            continue
        units = sum(ln["quantity"] for ln in f["lines"] if ln["item_id"] == item_id)
        sold += units
        if f["status"] == "picked_up" or (f["status"] == "shipped" and f["kind"] != "transfer"):
            delivered += units
    return OrderLineSale(sold, delivered, uow.returns.returned(order["id"], item_id))


def _movements(row: dict[str, Any], req: ReturnRequest, condition: Condition,
               actor: str | None) -> list[Movement]:
    steps = MOVEMENTS[Action(row["disposition"]["action"])]
    return [Movement(type_, row["item_id"], row["location_id"], req.sku, req.location,
                     req.quantity, row["occurred_at"], SOURCE, f"{row['id']}:{type_.value}",
                     payload_hash({"return": row["id"], "type": type_.value,
                                   "condition": condition.value}),
                     reason=reason, reference=f"return:{row['id']}", actor=actor)
            for type_, reason in steps]


def return_view(row: dict[str, Any], moves: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": row["id"], "sku": row["sku"], "quantity": int(row["quantity"]),
            "location": row["location"], "condition": row["condition"],
            "order_id": row["order_id"], "reason": row["reason"],
            "external_id": row["external_id"], "before_shipment": bool(row["before_shipment"]),
            "disposition": row["disposition"], "occurred_at": iso(row["occurred_at"]),
            "recorded_at": iso(row["recorded_at"]), "actor": row["actor"], "movements": moves}


def _views(uow: UnitOfWork, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    moves = uow.returns.movements([r["id"] for r in rows])
    return [return_view(r, [movement_view(m, m["sku"], m["location"]) for m in moves[r["id"]]])
            for r in rows]


def get_return(db: Database, return_id: str) -> dict[str, Any]:
    with db.uow(readonly=True) as uow:
        row = uow.returns.get(return_id)
        if row is None:
            raise NotFound(f"return {return_id} not found", field="id")
        return _views(uow, [row])[0]


def list_returns(db: Database, *, location: str | None = None, order_id: str | None = None,
                 limit: int = 50) -> dict[str, Any]:
    """Returns, newest first."""
    with db.uow(readonly=True) as uow:
        location_id = uow.catalog.location_id(location) if location is not None else None
        rows = uow.returns.search(location_id=location_id, order_id=order_id, limit=limit)
        return {"returns": _views(uow, rows)}

