"""Orders: place (source and allocate every line, or nothing), read, list, cancel, and cancel
BOPIS no-shows. Fulfillment actions are in fulfillment.py.

Placing reads the channel's network, plans with the pure engine outside any transaction, then
allocates the plan in one transaction with guarded updates. If a concurrent order took the
stock meanwhile, everything rolls back and the order is planned again on fresh stock, up to
PLACE_ATTEMPTS times; then it is refused (InsufficientStock, naming the lines).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ...domain.errors import (
    IdempotencyConflict,
    InsufficientStock,
    InvalidInput,
    InvalidState,
    NotFound,
)
from ...domain.fulfillment import is_no_show, transition
from ...domain.movements import MovementType
from ...domain.sourcing.milp import plan_order
from ...domain.sourcing.plan import SourcingPlan
from ...solver import quiet_highs
from ...store.database import Database
from ...store.errors import TransientConflict
from ...store.unit_of_work import UnitOfWork
from .. import transfers
from ..context import payload_hash
from ..refusals import record_refusal
from .network import Network, channel_policy, read_network
from .request import OrderRequest
from .view import (
    OPEN_STATUSES,
    ORDER_STATUSES,
    fulfillment_view,
    held_at,
    is_done,
    is_transfer,
    leg,
    order_view,
)
from .write import (
    LedgerOp,
    add_fulfillments,
    apply_ops,
    decision,
    finish,
    load_view,
    locked_order,
)

PLACE_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class Placed:
    order: dict[str, Any]
    created: bool  # False: an identical earlier request placed it (an idempotent replay)


def place_order(db: Database, order_id: str, channel: str, lines: list[dict[str, Any]],
                delivery: dict[str, Any], actor: str | None = None, *,
                plan: SourcingPlan | None = None) -> Placed:
    """Place an order once per order_id; every line held, or InsufficientStock and nothing
    (the refusal is recorded for the KPIs).

    `plan` (from a wave planned jointly) is tried first; a lost race re-plans alone."""
    try:
        return _place_order(db, order_id, channel, lines, delivery, actor, plan)
    except InsufficientStock as e:
        record_refusal(db, "order", e, order_id)
        raise


def _place_order(db: Database, order_id: str, channel: str, lines: list[dict[str, Any]],
                 delivery: dict[str, Any], actor: str | None,
                 plan: SourcingPlan | None) -> Placed:
    request = OrderRequest.parse(order_id, channel, lines, delivery)
    digest = payload_hash(request.payload())
    with db.uow(readonly=True) as uow:
        existing = uow.orders.get(request.order_id)
        if existing is not None:
            return Placed(_replay(uow, existing, digest), created=False)
    lost: list[LedgerOp] = []
    fields = {ln.sku: f"lines[{i}].sku" for i, ln in reversed(list(enumerate(request.lines)))}
    for _ in range(PLACE_ATTEMPTS):
        with db.uow(readonly=True) as uow:
            network = read_network(uow, request.channel, request.skus, db.clock(),
                                   fields=fields)
        chosen = plan or plan_order(request.sourcing(), network.candidates, network.policy,
                                    new_solver=quiet_highs)
        plan = None
        try:
            outcome = _write(db, request, digest, network, chosen, actor)
        except TransientConflict:
            continue
        if isinstance(outcome, Placed):
            return outcome
        lost.append(outcome)
    raise InsufficientStock(
        f"order {request.order_id} could not hold its stock in {PLACE_ATTEMPTS} attempts: "
        "concurrent orders took it first",
        order_id=request.order_id,
        lines=[{"sku": op.sku, "location": op.location, "requested": op.quantity}
               for op in lost[-1:]])


def _replay(uow: UnitOfWork, existing: dict[str, Any], digest: str) -> dict[str, Any]:
    if existing["payload_hash"] != digest:
        raise IdempotencyConflict(f"order {existing['id']} was already placed with other "
                                  "lines, channel or delivery", field="order_id")
    return load_view(uow, existing)


def _write(db: Database, request: OrderRequest, digest: str, network: Network,
           plan: SourcingPlan, actor: str | None) -> Placed | LedgerOp:
    with db.uow() as uow:
        now = db.clock()
        explanation = {**plan.explanation.to_dict(), "total_cost": plan.total_cost}
        explanation["notes"] += network.notes()
        row = {"id": request.order_id, "channel_id": network.channel_id, "status": "allocated",
               "delivery_method": request.method.value, "delivery": request.delivery_dict(),
               "payload_hash": digest, "explanation": explanation, "decisions": [],
               "history": [], "unsourced": [], "placed_at": now, "updated_at": now,
               "ready_at": None, "hold_until": None, "actor": actor}
        if not uow.orders.insert(row):
            existing = uow.orders.get(request.order_id)
            assert existing is not None
            return Placed(_replay(uow, existing, digest), created=False)
        uow.orders.add_lines(request.order_id, [(network.item_ids[ln.sku], ln.quantity)
                                                for ln in request.lines])
        numbers, ops = add_fulfillments(uow, request.order_id, plan, network,
                                        request.delivery.location, now)
        view = finish(uow, {**row, "channel": request.channel},
                      {"event": "placed", "actor": actor, "fulfillments": numbers}, now,
                      decisions=[decision(plan, network, "placed", numbers, now)])
        failed = apply_ops(uow, request.order_id, ops, now, actor)
        if failed is not None:
            return failed  # leaving the unit of work rolls everything back
        uow.commit()
    return Placed(view, created=True)


def get_order(db: Database, order_id: str) -> dict[str, Any]:
    with db.uow(readonly=True) as uow:
        order = uow.orders.get(order_id)
        if order is None:
            raise NotFound(f"order {order_id!r} not found", field="order_id")
        return load_view(uow, order)


def list_orders(db: Database, *, status: str | None = None, channel: str | None = None,
                limit: int = 50) -> dict[str, Any]:
    """Newest first; `status` is an order status or `open` (any not fulfilled or cancelled)."""
    if status is not None and status != "open" and status not in ORDER_STATUSES:
        raise InvalidInput(f"status must be open or one of {', '.join(ORDER_STATUSES)}",
                           field="status")
    if not 1 <= limit <= 500:
        raise InvalidInput("limit must be between 1 and 500", field="limit")
    statuses = OPEN_STATUSES if status == "open" else (status,) if status else None
    with db.uow(readonly=True) as uow:
        rows = uow.orders.search(statuses=statuses, channel=channel, limit=limit)
        ids = [r["id"] for r in rows]
        lines, fulfillments = uow.orders.lines(ids), uow.orders.fulfillments(ids)
    return {"orders": [order_view(r, lines[r["id"]], fulfillments[r["id"]], full=False)
                       for r in rows]}


def release_ops(f: dict[str, Any], step: str = "deallocate") -> list[LedgerOp]:
    """Deallocations of every unit the fulfillment still holds, wherever it holds them."""
    where = held_at(f)
    if where is None:
        return []
    return [LedgerOp(f["number"], ln["item_id"], where[0], ln["sku"], where[1],
                     MovementType.DEALLOCATE, ln["quantity"], step)
            for ln in f["lines"] if ln["quantity"] > 0]


def cancel_order(db: Database, order_id: str, actor: str | None = None) -> dict[str, Any]:
    """Cancel what is not yet shipped or picked up and release what it holds. Cancelling a
    cancelled order returns it unchanged; a fulfilled order cannot be cancelled."""
    with db.uow() as uow:
        order = locked_order(uow, order_id)
        if order["status"] == "cancelled":
            return load_view(uow, order)
        if order["status"] == "fulfilled":
            raise InvalidState(f"order {order_id} is fulfilled", field="order_id",
                               status_now="fulfilled")
        view = _cancel(uow, order, db.clock(), actor, "cancelled")
        uow.commit()
    return view


def _cancel(uow: UnitOfWork, order: dict[str, Any], now: datetime, actor: str | None,
            event: str) -> dict[str, Any]:
    method = order["delivery_method"]
    ops: list[LedgerOp] = []
    cancelled = []
    for f in uow.orders.fulfillments([order["id"]])[order["id"]]:
        if is_done(f):
            continue
        status, leg_method = leg(f, method)
        transition(status, "cancel", leg_method)
        ops += release_ops(f)
        uow.orders.update_fulfillment(order["id"], f["number"], status="cancelled",
                                      updated_at=now)
        if is_transfer(f):
            transfers.cancel_leg(uow, order["id"], f["number"], now, actor)
        cancelled.append(f["number"])
    view = finish(uow, order, {"event": event, "actor": actor, "fulfillments": cancelled},
                  now, cancelled=True, unsourced=[])
    failed = apply_ops(uow, order["id"], ops, now, actor)
    assert failed is None  # deallocations are not guarded
    return view


def expire_no_shows(db: Database, *, batch: int = 100) -> int:
    """Cancel pickup orders not collected within the channel's bopis_hold_hours and release
    their units; returns how many. Safe to run in many processes at once (each order is
    re-checked under its lock)."""
    total = 0
    while True:
        with db.uow(readonly=True) as uow:
            due = uow.orders.due_no_shows(db.clock(), batch)
        for order_id in due:
            total += _expire_one(db, order_id)
        if len(due) < batch:
            return total


def _expire_one(db: Database, order_id: str) -> int:
    with db.uow() as uow:
        now = db.clock()
        order = locked_order(uow, order_id)
        if (order["status"] != "ready_for_pickup" or order["hold_until"] is None
                or order["hold_until"] > now):
            return 0
        channel = uow.orders.channel(order["channel"])
        hours = channel_policy(channel).bopis_hold_hours if channel else 72
        if not is_no_show(order["ready_at"], now, hours):  # the hold was lengthened since
            return 0
        _cancel(uow, order, now, None, "no_show")
        uow.commit()
    return 1


def location_work(db: Database, code: str) -> dict[str, Any]:
    """Open fulfillments at a location (to pick, pack, ship, make ready or hand over, and
    transfers on their way to it), oldest promise first."""
    with db.uow(readonly=True) as uow:
        location = uow.catalog.location(code)
        rows = uow.orders.work_at(location["id"])
    views = [fulfillment_view(r, r["delivery_method"]) for r in rows]
    views.sort(key=lambda v: (v["promised_at"] or "", v["order_id"], v["id"]))
    return {"location": code, "fulfillments": views}

