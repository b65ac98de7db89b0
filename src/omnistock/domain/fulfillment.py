"""Fulfillment life cycle, and the stock movements each step implies.

    allocated -> picking -> packed -> shipped                        (ship)
    allocated | picking | packed -> ready_for_pickup -> picked_up    (pickup, curbside)
    allocated | picking -> short      the node found fewer units than allocated; the found
                                      units go on (pack, ready), the missing ones are re-sourced
    any state not yet done -> cancelled
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from .errors import InvalidInput, InvalidState
from .movements import MovementType, validate_timestamp
from .sourcing.inputs import DeliveryMethod


class FulfillmentStatus(StrEnum):
    ALLOCATED = "allocated"
    PICKING = "picking"
    PACKED = "packed"
    SHIPPED = "shipped"
    READY_FOR_PICKUP = "ready_for_pickup"
    PICKED_UP = "picked_up"
    SHORT = "short"
    CANCELLED = "cancelled"


class FulfillmentAction(StrEnum):
    PICK = "pick"
    PACK = "pack"
    SHIP = "ship"
    READY = "ready"
    PICKUP = "pickup"
    SHORT = "short"
    CANCEL = "cancel"


S, A = FulfillmentStatus, FulfillmentAction  # short names keep the table readable
_SHIP_ONLY = frozenset({DeliveryMethod.SHIP})
_COLLECT = frozenset({DeliveryMethod.PICKUP, DeliveryMethod.CURBSIDE})
_ANY = _SHIP_ONLY | _COLLECT

# (action, from status) -> (to status, delivery methods that allow it)
TRANSITIONS: dict[tuple[FulfillmentAction, FulfillmentStatus],
                  tuple[FulfillmentStatus, frozenset[DeliveryMethod]]] = {
    (A.PICK, S.ALLOCATED): (S.PICKING, _ANY),
    (A.PACK, S.PICKING): (S.PACKED, _ANY),
    (A.PACK, S.SHORT): (S.PACKED, _ANY),
    (A.SHIP, S.PACKED): (S.SHIPPED, _SHIP_ONLY),
    (A.READY, S.ALLOCATED): (S.READY_FOR_PICKUP, _COLLECT),
    (A.READY, S.PICKING): (S.READY_FOR_PICKUP, _COLLECT),
    (A.READY, S.PACKED): (S.READY_FOR_PICKUP, _COLLECT),
    (A.READY, S.SHORT): (S.READY_FOR_PICKUP, _COLLECT),
    (A.PICKUP, S.READY_FOR_PICKUP): (S.PICKED_UP, _COLLECT),
    (A.SHORT, S.ALLOCATED): (S.SHORT, _ANY),
    (A.SHORT, S.PICKING): (S.SHORT, _ANY),
    **{(A.CANCEL, s): (S.CANCELLED, _ANY)
       for s in (S.ALLOCATED, S.PICKING, S.PACKED, S.READY_FOR_PICKUP, S.SHORT)},
}


E = TypeVar("E", bound=StrEnum)


def _parse(enum: type[E], value: str, field: str) -> E:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise InvalidInput(f"{field} {value!r} is not one of: {allowed}", field=field) from None


def transition(status: FulfillmentStatus | str, action: FulfillmentAction | str,
               delivery_method: DeliveryMethod | str) -> FulfillmentStatus:
    """The status after `action`; InvalidState when the action is not allowed now."""
    current = _parse(FulfillmentStatus, status, "status")
    act = _parse(FulfillmentAction, action, "action")
    method = _parse(DeliveryMethod, delivery_method, "delivery_method")
    target = TRANSITIONS.get((act, current))
    if target is None:
        raise InvalidState(f"cannot {act} a fulfillment that is {current}", field="action",
                           status_now=current.value, action=act.value)
    if method not in target[1]:
        raise InvalidState(f"cannot {act} a fulfillment of a {method} order", field="action",
                           status_now=current.value, action=act.value)
    return target[0]


def allowed_actions(status: FulfillmentStatus | str,
                    delivery_method: DeliveryMethod | str) -> tuple[FulfillmentAction, ...]:
    current = _parse(FulfillmentStatus, status, "status")
    method = _parse(DeliveryMethod, delivery_method, "delivery_method")
    return tuple(a for a in FulfillmentAction
                 if (a, current) in TRANSITIONS and method in TRANSITIONS[(a, current)][1])


@dataclass(frozen=True, slots=True)
class Shortage:
    found: int  # units the node has; they stay committed to this fulfillment
    to_resource: int  # units another node must supply


def shortage(allocated: int, found: int) -> Shortage:
    for name, value in (("allocated", allocated), ("found", found)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidInput(f"{name} must be a non-negative integer", field=name)
    if found >= allocated:
        raise InvalidInput(f"found {found} of {allocated} is not a shortage", field="found")
    return Shortage(found, allocated - found)


@dataclass(frozen=True, slots=True)
class ImpliedMovement:
    type: MovementType
    quantity: int  # signed for an adjustment
    reason: str | None = None


SHORT_PICK_REASON = "short_pick"


def implied_movements(action: FulfillmentAction | str, quantity: int,
                      found: int | None = None) -> tuple[ImpliedMovement, ...]:
    """Ledger movements an action implies for a fulfillment holding `quantity` committed units.

    ship, pickup -> ship (on_hand and committed down); cancel -> deallocate (committed down);
    short -> deallocate the missing units and lower on_hand by them: the node's count was wrong,
    and leaving on_hand up would offer the missing units to the re-sourcing again.
    pick, pack and ready move no stock.
    """
    act = _parse(FulfillmentAction, action, "action")
    if act is A.SHORT:
        if found is None:
            raise InvalidInput("a short needs the number of units found", field="found")
        missing = shortage(quantity, found).to_resource
        return (ImpliedMovement(MovementType.DEALLOCATE, missing),
                ImpliedMovement(MovementType.ADJUSTMENT, -missing, SHORT_PICK_REASON))
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise InvalidInput("quantity must be a positive integer", field="quantity")
    if act in (A.SHIP, A.PICKUP):
        return (ImpliedMovement(MovementType.SHIP, quantity),)
    if act is A.CANCEL:
        return (ImpliedMovement(MovementType.DEALLOCATE, quantity),)
    return ()


def is_no_show(ready_at: datetime, now: datetime, hold_hours: float) -> bool:
    """True once a pickup order has waited hold_hours (the policy's bopis_hold_hours)."""
    validate_timestamp(ready_at, "ready_at")
    validate_timestamp(now, "now")
    if isinstance(hold_hours, bool) or not isinstance(hold_hours, int | float) or hold_hours <= 0:
        raise InvalidInput("hold_hours must be a positive number", field="hold_hours")
    return now >= ready_at + timedelta(hours=hold_hours)
