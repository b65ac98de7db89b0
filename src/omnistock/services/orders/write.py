"""The writes every order use case shares: stock movements, fulfillments from a plan, and
the order's status, history and `order.changed` event, all in the caller's transaction.

Lock order: the order row first (see store/orders.py), then positions in (item_id,
location_id) order, whatever the use case; so two order transactions cannot deadlock, and
none can deadlock with the ledger's own batches, which lock in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ...domain.errors import NotFound
from ...domain.ledger import Movement
from ...domain.movements import MovementType
from ...domain.sourcing.plan import SourcingPlan
from ...domain.sourcing.problem import Mode
from ...store.unit_of_work import UnitOfWork
from .. import transfers
from ..context import iso, payload_hash
from ..ledger import Refused, record
from .network import Network, channel_policy
from .view import event_data, order_status, order_view

SOURCE = "order"
KINDS = {Mode.SHIP: "ship", Mode.PICKUP: "pickup", Mode.TRANSFER: "transfer"}


@dataclass(frozen=True, slots=True)
class LedgerOp:
    """One movement an order makes. Its key is (source "order", `external_id`)."""

    number: int  # the fulfillment
    item_id: int
    location_id: int
    sku: str
    location: str
    type: MovementType
    quantity: int  # signed for an adjustment
    step: str  # names the movement within the fulfillment: allocate, ship, deallocate, ...
    reason: str | None = None
    expected_at: datetime | None = None

    def external_id(self, order_id: str) -> str:
        return f"{order_id}:{self.number}:{self.sku}:{self.step}"


def apply_ops(uow: UnitOfWork, order_id: str, ops: list[LedgerOp], now: datetime,
              actor: str | None) -> LedgerOp | None:
    """Apply the movements in lock order; the first allocation that does not fit (after
    returning lapsed holds there) is returned, and the caller must roll back."""
    moves = [Movement(
        op.type, op.item_id, op.location_id, op.sku, op.location, op.quantity, now, SOURCE,
        op.external_id(order_id),
        payload_hash({"order": order_id, "fulfillment": op.number, "type": op.type.value,
                      "sku": op.sku, "quantity": op.quantity}),
        reason=op.reason, reference=order_id, actor=actor, expected_at=op.expected_at,
        inbound_kind="order")
        for op in ops]
    try:
        record(uow, moves, now, dedupe=False, with_ids=False)
    except Refused as e:
        return ops[moves.index(e.movement)]
    return None


def add_fulfillments(uow: UnitOfWork, order_id: str, plan: SourcingPlan, network: Network,
                     pickup: str | None, now: datetime) -> tuple[list[int], list[LedgerOp]]:
    """A fulfillment per shipment of the plan (numbered after the order's last), and the
    allocations that hold their units."""
    first = uow.orders.next_number(order_id)
    numbers, ops = [], []
    for number, shipment in enumerate(plan.shipments, start=first):
        kind = KINDS[shipment.mode]
        location_id = network.location_ids[shipment.location]
        lines = [(network.item_ids[ln.sku], ln.quantity) for ln in shipment.lines]
        transfer = kind == "transfer"
        destination = network.location_ids[pickup] if transfer and pickup else None
        expected_at = now + timedelta(days=shipment.transfer_days)
        uow.orders.add_fulfillment({
            "order_id": order_id, "number": number, "kind": kind, "location_id": location_id,
            "destination_id": destination,
            "status": "allocated", "created_at": now, "updated_at": now,
            "expected_at": expected_at if transfer else None,
        }, lines)
        if destination is not None:
            transfers.open_leg(uow, order_id, number, location_id, destination, lines,
                               expected_at, now)
        numbers.append(number)
        ops += [LedgerOp(number, network.item_ids[ln.sku], location_id, ln.sku,
                         shipment.location, MovementType.ALLOCATE, ln.quantity, "allocate")
                for ln in shipment.lines]
    return numbers, ops


def decision(plan: SourcingPlan, network: Network, cause: str, numbers: list[int],
             now: datetime) -> dict[str, Any]:
    data = plan.to_dict()
    data["explanation"]["notes"] += network.notes()
    return {"at": iso(now), "cause": cause, "fulfillments": numbers, **data}


def locked_order(uow: UnitOfWork, order_id: str) -> dict[str, Any]:
    order = uow.orders.get(order_id, lock=True)
    if order is None:
        raise NotFound(f"order {order_id!r} not found", field="order_id")
    return order


def load_view(uow: UnitOfWork, order: dict[str, Any], *, full: bool = True) -> dict[str, Any]:
    lines = uow.orders.lines([order["id"]])[order["id"]]
    fulfillments = uow.orders.fulfillments([order["id"]])[order["id"]]
    return order_view(order, lines, fulfillments, full=full)


def finish(uow: UnitOfWork, order: dict[str, Any], event: dict[str, Any], now: datetime, *,
           cancelled: bool = False, **changes: Any) -> dict[str, Any]:
    """Derive the status, keep the pickup hold, append `event` to the history, save the order
    and queue its `order.changed` event; returns the order's view."""
    order = {**order, **changes}
    fulfillments = uow.orders.fulfillments([order["id"]])[order["id"]]
    status = order_status(fulfillments, order["unsourced"],
                          cancelled or order["status"] == "cancelled")
    ready_at, hold_until = order["ready_at"], order["hold_until"]
    if status != "ready_for_pickup":
        hold_until = None
    elif hold_until is None:
        policy = channel_policy(uow.orders.channel(order["channel"]) or {"policy": {}})
        ready_at, hold_until = now, now + timedelta(hours=policy.bopis_hold_hours)
    history = [*order["history"], {"at": iso(now), **event}]
    saved = {**changes, "status": status, "ready_at": ready_at, "hold_until": hold_until,
             "history": history, "updated_at": now}
    uow.orders.update(order["id"], **saved)
    order.update(saved)
    lines = uow.orders.lines([order["id"]])[order["id"]]
    view = order_view(order, lines, fulfillments)
    uow.outbox.add("order.changed", order["id"], event_data(view, event["event"]), now, now)
    return view
