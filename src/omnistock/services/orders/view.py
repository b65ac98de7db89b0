"""How an order and its fulfillments read, and the order's status derived from them.

A transfer (endless aisle) has two legs under the one state machine: at its source it is a
shipment (allocated -> picking -> packed -> shipped, method `ship`); once shipped it is, at
the pickup store, a pickup that has not been made ready (`allocated`, the order's method), so
`ready` receives the units there and `pickup` hands them over.

Order status: `cancelled` once cancelled; `short` while units found missing could not be
sourced elsewhere; `fulfilled` when every live fulfillment is shipped or picked up;
`ready_for_pickup` when the rest wait at the counter; `allocated` while nothing has started;
otherwise `in_progress`.
"""

from __future__ import annotations

from typing import Any

from ...domain.fulfillment import FulfillmentAction, FulfillmentStatus, allowed_actions
from ..context import iso

S = FulfillmentStatus
FIRST_LEG = frozenset({S.ALLOCATED, S.PICKING, S.PACKED, S.SHORT})
ORDER_STATUSES = ("allocated", "in_progress", "ready_for_pickup", "fulfilled", "short",
                  "cancelled")
OPEN_STATUSES = ("allocated", "in_progress", "ready_for_pickup", "short")


def is_transfer(f: dict[str, Any]) -> bool:
    return bool(f["kind"] == "transfer")


def in_transit(f: dict[str, Any]) -> bool:
    return is_transfer(f) and f["status"] == S.SHIPPED


def leg(f: dict[str, Any], method: str) -> tuple[str, str]:
    """(status, delivery method) under which the state machine judges the next action."""
    if is_transfer(f) and f["status"] in FIRST_LEG:
        return f["status"], "ship"
    if in_transit(f):
        return S.ALLOCATED.value, method
    return f["status"], method


def acting_location(f: dict[str, Any]) -> str:
    """Where the next action happens: a transfer's second leg is at its destination."""
    if is_transfer(f) and f["status"] not in FIRST_LEG:
        return str(f["destination"])
    return str(f["location"])


def held_at(f: dict[str, Any]) -> tuple[int, str] | None:
    """(location id, code) where the fulfillment's units are committed now, if anywhere."""
    if f["status"] in FIRST_LEG or (f["status"] == S.READY_FOR_PICKUP and not is_transfer(f)):
        return f["location_id"], f["location"]
    if is_transfer(f) and f["status"] == S.READY_FOR_PICKUP:
        return f["destination_id"], f["destination"]
    return None


def is_done(f: dict[str, Any]) -> bool:
    return f["status"] in (S.PICKED_UP, S.CANCELLED) or (
        f["status"] == S.SHIPPED and not is_transfer(f))


def actions(f: dict[str, Any], method: str) -> list[str]:
    """What may be done next (cancel is for the whole order, not listed)."""
    if is_done(f):
        return []
    status, leg_method = leg(f, method)
    acts = [a.value for a in allowed_actions(status, leg_method)
            if a is not FulfillmentAction.CANCEL]
    if in_transit(f):
        acts = [a for a in acts if a == FulfillmentAction.READY]
    return acts


def order_status(fulfillments: list[dict[str, Any]], unsourced: list[Any],
                 cancelled: bool) -> str:
    if cancelled:
        return "cancelled"
    if unsourced:
        return "short"
    live = [f for f in fulfillments if f["status"] != S.CANCELLED]
    if not live:
        return "cancelled"
    if all(is_done(f) for f in live):
        return "fulfilled"
    if all(is_done(f) or f["status"] == S.READY_FOR_PICKUP for f in live):
        return "ready_for_pickup"
    if all(f["status"] == S.ALLOCATED for f in live):
        return "allocated"
    return "in_progress"


def fulfillment_view(f: dict[str, Any], method: str) -> dict[str, Any]:
    incoming = is_transfer(f) and f["status"] in (S.SHIPPED, S.READY_FOR_PICKUP)
    return {
        "id": f["number"], "order_id": f["order_id"], "kind": f["kind"],
        "location": f["location"], "destination": f["destination"], "status": f["status"],
        "delivery_method": method,
        "lines": [{"sku": ln["sku"], "quantity": ln["quantity"]} for ln in f["lines"]],
        "expected_at": iso(f["expected_at"]), "ready_at": iso(f["ready_at"]),
        "created_at": iso(f["created_at"]), "updated_at": iso(f["updated_at"]),
        "promised_at": iso(f["expected_at"] if incoming else f["created_at"]),
        "allowed_actions": actions(f, method),
    }


def order_view(order: dict[str, Any], lines: list[dict[str, Any]],
               fulfillments: list[dict[str, Any]], *, full: bool = True) -> dict[str, Any]:
    method = order["delivery_method"]
    view = {
        "order_id": order["id"], "channel": order["channel"], "status": order["status"],
        "delivery": order["delivery"], "lines": lines,
        "fulfillments": [fulfillment_view(f, method) for f in fulfillments],
        "unsourced": order["unsourced"], "explanation": order["explanation"],
        "placed_at": iso(order["placed_at"]), "updated_at": iso(order["updated_at"]),
        "ready_at": iso(order["ready_at"]), "hold_until": iso(order["hold_until"]),
    }
    if full:
        view["decisions"] = order["decisions"]
        view["history"] = order["history"]
    return view


def event_data(view: dict[str, Any], event: str) -> dict[str, Any]:
    """The `order.changed` outbox event: the order id, status and fulfillments."""
    return {"order_id": view["order_id"], "channel": view["channel"], "status": view["status"],
            "event": event, "delivery": view["delivery"],
            "fulfillments": [{k: f[k] for k in ("id", "kind", "location", "destination",
                                                "status", "lines", "expected_at")}
                             for f in view["fulfillments"]]}
