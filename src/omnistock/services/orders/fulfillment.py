"""Fulfillment actions (pick, pack, ship, ready, pickup, short) and re-sourcing after a short.

| action | stock movements (source "order")                                                |
|--------|---------------------------------------------------------------------------------|
| ship   | `ship` at the node; a transfer: `deallocate` + `transfer_out` at the source and |
|        | `expected` (with expected_at) at the pickup store                               |
| ready  | none; a transfer on its way: `transfer_in` + `allocate` at the pickup store     |
|        | (making it ready is receiving it: do not also post its transfer_in)             |
| pickup | `ship` at the pickup store                                                      |
| short  | `deallocate` + `adjustment` (reason short_pick) of the missing units            |

A transfer's leg is also a transfer record (services/transfers/legs.py), kept in step here.

A short is committed first (the missing units are a physical fact), with the units to find
recorded on the order as `unsourced`; then they are sourced again by the engine, without the
node that was short, in a transaction of their own (retried like placing an order). If that
fails the order stays `short`, and its history says why.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from ...domain.errors import DomainError, InsufficientStock, InvalidInput, InvalidState, NotFound
from ...domain.fulfillment import FulfillmentAction, implied_movements, transition
from ...domain.movements import MovementType
from ...domain.sourcing.inputs import Delivery, OrderLine, SourcingOrder
from ...domain.sourcing.milp import plan_order
from ...domain.sourcing.plan import SourcingPlan
from ...solver import quiet_highs
from ...store.database import Database
from ...store.errors import TransientConflict
from ...store.unit_of_work import UnitOfWork
from .. import transfers
from .network import Network, channel_policy, read_network
from .place import PLACE_ATTEMPTS
from .view import acting_location, in_transit, is_transfer, leg
from .write import (
    LedgerOp,
    add_fulfillments,
    apply_ops,
    decision,
    finish,
    load_view,
    locked_order,
)

A = FulfillmentAction
Found = int | Mapping[str, int] | None


def act(db: Database, order_id: str, number: int, action: str, *, found: Found = None,
        actor: str | None = None,
        authorize: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Do `action` on fulfillment `number`; `authorize(location)` may refuse (a store key
    acting elsewhere). `found` is for a short: units found, or per sku for several lines."""
    step = _action(action, found)
    with db.uow() as uow:
        now = db.clock()
        order = locked_order(uow, order_id)
        f = _fulfillment(uow, order, number)
        if authorize is not None:
            authorize(acting_location(f))
        status, method = leg(f, order["delivery_method"])
        if in_transit(f) and step is not A.READY:
            raise InvalidState(f"fulfillment {number} is on its way to {f['destination']}; "
                               "`ready` receives it there", field="action", status_now="shipped")
        target = transition(status, step, method)
        ops, event, changes = _STEPS[step](uow, order, f, now, found)
        uow.orders.update_fulfillment(order_id, number, status=changes.pop("status", target),
                                      updated_at=now, **changes.pop("fulfillment", {}))
        view = finish(uow, order, {"event": step.value, "actor": actor, "fulfillment": number,
                                   **event}, now, **changes)
        failed = apply_ops(uow, order_id, ops, now, actor)
        if failed is not None:
            raise InsufficientStock(
                f"{failed.location} cannot hold {failed.quantity} of {failed.sku} for the order",
                lines=[{"sku": failed.sku, "location": failed.location,
                        "requested": failed.quantity}])
        uow.commit()
    return resource(db, order_id, actor) if step is A.SHORT else view


def _action(action: str, found: Found) -> FulfillmentAction:
    try:
        step = FulfillmentAction(action)
    except ValueError:
        raise InvalidInput(f"action {action!r} is not one of pick, pack, ship, ready, pickup, "
                           "short", field="action") from None
    if step is A.CANCEL:
        raise InvalidInput("cancel the whole order (POST /v1/orders/{order_id}/cancel)",
                           field="action")
    if (found is not None) != (step is A.SHORT):
        raise InvalidInput("quantity_found goes with short, and only with short",
                           field="quantity_found")
    return step


def _fulfillment(uow: UnitOfWork, order: dict[str, Any], number: int) -> dict[str, Any]:
    for f in uow.orders.fulfillments([order["id"]])[order["id"]]:
        if f["number"] == number:
            return f
    raise NotFound(f"order {order['id']} has no fulfillment {number}", field="id")


def _op(f: dict[str, Any], line: dict[str, Any], at: tuple[int, str], type_: MovementType,
        quantity: int, step: str, **kw: Any) -> LedgerOp:
    return LedgerOp(f["number"], line["item_id"], at[0], line["sku"], at[1], type_, quantity,
                    step, **kw)


def _lines(f: dict[str, Any]) -> list[dict[str, Any]]:
    return [ln for ln in f["lines"] if ln["quantity"] > 0]


Step = tuple[list[LedgerOp], dict[str, Any], dict[str, Any]]


def _no_stock(*_: Any) -> Step:
    return [], {}, {}


def _ship(uow: UnitOfWork, order: dict[str, Any], f: dict[str, Any], now: datetime,
          _: Found) -> Step:
    source = (f["location_id"], f["location"])
    if not is_transfer(f):
        return [_op(f, ln, source, MovementType.SHIP, ln["quantity"], "ship")
                for ln in _lines(f)], {}, {}
    policy = channel_policy(uow.orders.channel(order["channel"]) or {"policy": {}})
    expected_at = now + timedelta(days=policy.transfer_days)
    pickup_at = (f["destination_id"], f["destination"])
    ops = []
    for ln in _lines(f):
        ops += [_op(f, ln, source, MovementType.DEALLOCATE, ln["quantity"], "dispatch"),
                _op(f, ln, source, MovementType.TRANSFER_OUT, ln["quantity"], "transfer_out"),
                _op(f, ln, pickup_at, MovementType.EXPECTED, ln["quantity"], "expected",
                    expected_at=expected_at)]
    transfers.ship_leg(uow, order["id"], f["number"],
                       {ln["sku"]: ln["quantity"] for ln in _lines(f)}, expected_at, now)
    event = {"to": f["destination"], "expected_at": expected_at.isoformat()}
    return ops, event, {"fulfillment": {"expected_at": expected_at}}


def _ready(uow: UnitOfWork, order: dict[str, Any], f: dict[str, Any], now: datetime,
           _: Found) -> Step:
    ops = []
    if in_transit(f):
        pickup_at = (f["destination_id"], f["destination"])
        for ln in _lines(f):
            ops += [_op(f, ln, pickup_at, MovementType.TRANSFER_IN, ln["quantity"], "transfer_in"),
                    _op(f, ln, pickup_at, MovementType.ALLOCATE, ln["quantity"], "receive")]
        transfers.receive_leg(uow, order["id"], f["number"], now)
    return ops, {}, {"fulfillment": {"ready_at": now}}


def _pickup(uow: UnitOfWork, order: dict[str, Any], f: dict[str, Any], now: datetime,
            _: Found) -> Step:
    pickup_at = ((f["destination_id"], f["destination"]) if is_transfer(f)
             else (f["location_id"], f["location"]))
    return [_op(f, ln, pickup_at, MovementType.SHIP, ln["quantity"], "pickup")
            for ln in _lines(f)], {}, {}


def _count(value: Any, most: int, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= most:
        raise InvalidInput(f"{field} must be an integer from 0 to {most}", field=field)
    return value


def _found_per_sku(f: dict[str, Any], found: Found) -> dict[str, int]:
    lines = {ln["sku"]: ln["quantity"] for ln in _lines(f)}
    if isinstance(found, Mapping):
        for sku, value in found.items():
            if sku not in lines:
                raise InvalidInput(f"fulfillment {f['number']} has no line of {sku}",
                                   field="lines")
            _count(value, lines[sku], f"lines[{sku}].quantity_found")
        return dict(found)
    if len(lines) != 1:
        raise InvalidInput(f"fulfillment {f['number']} has {len(lines)} lines: send lines "
                           "[{sku, quantity_found}]", field="quantity_found")
    sku, quantity = next(iter(lines.items()))
    return {sku: _count(found, quantity, "quantity_found")}


def _short(uow: UnitOfWork, order: dict[str, Any], f: dict[str, Any], now: datetime,
           found: Found) -> Step:
    per_sku = _found_per_sku(f, found)
    at = (f["location_id"], f["location"])
    ops, missing = [], []
    for ln in _lines(f):
        have = per_sku.get(ln["sku"], ln["quantity"])
        if have == ln["quantity"]:
            continue
        for m in implied_movements(A.SHORT, ln["quantity"], have):
            step = "short_pick" if m.type is MovementType.ADJUSTMENT else "short"
            ops.append(_op(f, ln, at, m.type, m.quantity, step, reason=m.reason))
        uow.orders.set_line(order["id"], f["number"], ln["item_id"], have)
        missing.append({"sku": ln["sku"], "quantity": ln["quantity"] - have})
    if not missing:
        raise InvalidInput("every unit was found: that is not a short", field="quantity_found")
    left = sum(per_sku.get(ln["sku"], ln["quantity"]) for ln in _lines(f))
    unsourced = [*order["unsourced"], *({**m, "exclude": [f["location"]]} for m in missing)]
    changes: dict[str, Any] = {"unsourced": unsourced}
    if left == 0:
        changes["status"] = "cancelled"  # nothing found: nothing left to do here
        transfers.cancel_leg(uow, order["id"], f["number"], now)
    return ops, {"location": f["location"], "missing": missing}, changes


_STEPS: dict[FulfillmentAction, Callable[..., Step]] = {
    A.PICK: _no_stock, A.PACK: _no_stock, A.SHIP: _ship, A.READY: _ready, A.PICKUP: _pickup,
    A.SHORT: _short,
}


# -- re-sourcing ------------------------------------------------------------------------------


def resource(db: Database, order_id: str, actor: str | None = None) -> dict[str, Any]:
    """Source the order's `unsourced` units again, without the nodes that were short."""
    unsourced: list[Any] = []
    for _ in range(PLACE_ATTEMPTS):
        with db.uow(readonly=True) as uow:
            order = uow.orders.get(order_id)
            if order is None:
                raise NotFound(f"order {order_id!r} not found", field="order_id")
            if not order["unsourced"] or order["status"] == "cancelled":
                return load_view(uow, order)
            unsourced = order["unsourced"]
            wanted = _merge(order["unsourced"])
            exclude = {code for u in order["unsourced"] for code in u.get("exclude", [])}
            try:
                network = read_network(uow, order["channel"], list(wanted), db.clock(),
                                       exclude=exclude)
            except DomainError as e:
                return _unsourced(db, order_id, order["unsourced"], e, actor)
        d = order["delivery"]
        request = SourcingOrder(order_id, tuple(OrderLine(s, q) for s, q in wanted.items()),
                                Delivery(d["method"], d.get("latitude"), d.get("longitude"),
                                         d.get("location")))
        try:
            plan = plan_order(request, network.candidates, network.policy,
                              new_solver=quiet_highs)
        except DomainError as e:
            return _unsourced(db, order_id, order["unsourced"], e, actor)
        try:
            view = _write_resourced(db, order, plan, network, sorted(exclude), actor)
        except TransientConflict:
            continue
        if view is not None:
            return view
    error = InsufficientStock("stock was taken by concurrent orders while re-sourcing")
    return _unsourced(db, order_id, unsourced, error, actor)


def _write_resourced(db: Database, order: dict[str, Any], plan: SourcingPlan, network: Network,
                     excluded: list[str], actor: str | None) -> dict[str, Any] | None:
    """Allocate the new plan; None when the order changed or the stock went meanwhile."""
    with db.uow() as uow:
        now = db.clock()
        current = locked_order(uow, order["id"])
        if current["unsourced"] != order["unsourced"]:
            return None
        numbers, ops = add_fulfillments(uow, order["id"], plan, network,
                                        order["delivery"].get("location"), now)
        cause = "short at " + ", ".join(excluded)
        view = finish(uow, current, {"event": "resourced", "actor": actor,
                                     "fulfillments": numbers, "excluded": excluded},
                      now, unsourced=[], decisions=[
                          *current["decisions"], decision(plan, network, cause, numbers, now)])
        if apply_ops(uow, order["id"], ops, now, actor) is not None:
            return None
        uow.commit()
    return view


def _merge(unsourced: list[dict[str, Any]]) -> dict[str, int]:
    wanted: dict[str, int] = {}
    for u in unsourced:
        wanted[u["sku"]] = wanted.get(u["sku"], 0) + int(u["quantity"])
    return wanted


def _unsourced(db: Database, order_id: str, unsourced: list[Any], error: DomainError,
               actor: str | None) -> dict[str, Any]:
    """Say on the order that its missing units found no node (it stays `short`)."""
    with db.uow() as uow:
        order = locked_order(uow, order_id)
        if order["unsourced"] != unsourced or order["status"] == "cancelled":
            return load_view(uow, order)
        view = finish(uow, order, {"event": "resource_failed", "actor": actor,
                                   "detail": error.detail, "lines": error.data.get("lines", [])},
                      db.clock())
        uow.commit()
    return view
