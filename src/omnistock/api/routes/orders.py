"""Orders, fulfillment actions, a location's work list, and channels' sourcing policies."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query

from ...services import orders
from ...services.orders import ORDER_STATUSES, act
from ..auth import Principal, require
from ..deps import DbDep, Reader
from ..idempotency import Idempotent, idempotent_for
from ..problems import responses
from ..schemas import Code
from ..schemas.orders import (
    ActionIn,
    NoBody,
    Order,
    OrderIn,
    OrderList,
    OrderStatusFilter,
    Policy,
    PolicyIn,
    Work,
)

router = APIRouter(prefix="/v1", tags=["orders"])

_orders = require("orders:write")
_fulfillment = require("fulfillment:write")
OrderWriter = Annotated[Principal, Depends(_orders)]
OrdersOnce = Annotated[Idempotent, Depends(idempotent_for(_orders))]
Fulfiller = Annotated[Principal, Depends(_fulfillment)]
FulfillmentOnce = Annotated[Idempotent, Depends(idempotent_for(_fulfillment))]
NetworkWriter = Annotated[Principal, Depends(require("network:write"))]

WRITE = responses(400, 401, 403, 404, 409, 422)
READ = responses(401, 403, 404, 422)


@router.post("/orders", status_code=201, response_model=Order,
             responses={**WRITE, 200: {"description": "An identical replay: the order again"}})
def place_order(body: OrderIn, db: DbDep, who: OrderWriter, once: OrdersOnce):
    """Source and allocate every line (201), or 409 `insufficient-stock` naming the lines
    that cannot be met, and nothing is held. The same order_id and payload again: 200 with
    the order; with another payload: 409 `idempotency-conflict`."""
    data = body.model_dump(exclude_none=True)

    def work() -> tuple[int, Any]:
        placed = orders.place_order(db, data["order_id"], data["channel"], data["lines"],
                                    data["delivery"], actor=who.prefix)
        return (201 if placed.created else 200), placed.order

    return once.respond(work)


@router.get("/orders", response_model=OrderList, responses=responses(401, 403, 422))
def list_orders(db: DbDep, _: Reader,
                status: Annotated[OrderStatusFilter | None, Query(
                    description=f"open, or one of {', '.join(ORDER_STATUSES)}")] = None,
                channel: Annotated[Code | None, Query()] = None,
                limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict:
    """Orders, newest first."""
    return orders.list_orders(db, status=status, channel=channel, limit=limit)


@router.get("/orders/{order_id}", response_model=Order, responses=READ)
def get_order(order_id: Code, db: DbDep, _: Reader) -> dict:
    return orders.get_order(db, order_id)


Action = Literal["pick", "pack", "ship", "ready", "pickup"]


@router.post("/orders/{order_id}/fulfillments/{id}/short", response_model=Order,
             responses=WRITE)
def short_fulfillment(order_id: Code, id: Annotated[int, Path(ge=1)], body: ActionIn,
                      db: DbDep, who: Fulfiller, once: FulfillmentOnce):
    """Record the units found of a fulfillment that cannot be completed; the missing ones are
    re-sourced at once (see the order's history). A store key acts at its own location."""
    return once.respond(lambda: (200, act(db, order_id, id, "short", found=body.found(),
                                          actor=who.prefix, authorize=who.at)))


@router.post("/orders/{order_id}/fulfillments/{id}/{action}", response_model=Order,
             responses=WRITE)
def fulfillment_action(order_id: Code, id: Annotated[int, Path(ge=1)], action: Action,
                       db: DbDep, who: Fulfiller, once: FulfillmentOnce,
                       _: Annotated[NoBody | None, Body()] = None):  # a stray field: 422
    """Move a fulfillment on (see its `allowed_actions`). A store key acts only at its own
    location (a transfer's `ready` and `pickup` happen at its destination)."""
    return once.respond(lambda: (200, act(db, order_id, id, action, found=None,
                                          actor=who.prefix, authorize=who.at)))


@router.post("/orders/{order_id}/cancel", response_model=Order, responses=WRITE)
def cancel_order(order_id: Code, db: DbDep, who: OrderWriter, once: OrdersOnce):
    """Cancel what is not yet shipped or picked up, and release the units it holds."""
    return once.respond(lambda: (200, orders.cancel_order(db, order_id, actor=who.prefix)))


@router.get("/locations/{code}/work", response_model=Work, responses=READ)
def location_work(code: Code, db: DbDep, _: Reader) -> dict:
    """Open fulfillments at the location (to pick, pack, ship, make ready or hand over, and
    transfers on their way to it), oldest promise first."""
    return orders.location_work(db, code)


@router.get("/channels/{code}/policy", response_model=Policy, responses=READ)
def get_policy(code: Code, db: DbDep, _: Reader) -> dict:
    return orders.get_policy(db, code)


@router.put("/channels/{code}/policy", response_model=Policy, responses=WRITE)
def put_policy(code: Code, db: DbDep, _: NetworkWriter,
               body: PolicyIn) -> dict:
    """Replace the channel's sourcing policy (admin keys). A problem names the offending
    field, e.g. `rate_table.bands[1].cost`; fields left out take their defaults."""
    return orders.set_policy(db, code, body.model_dump(exclude_unset=True))
