"""Orders, fulfillment actions, a location's work list, and channels' sourcing policies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query
from pydantic import AliasChoices, BaseModel, Field, StrictInt

from ..services import orders, orders_policy
from ..services.orders_fulfillment import act
from ..services.orders_view import ORDER_STATUSES
from . import schemas
from .auth import Principal, require
from .deps import DbDep, Reader
from .idempotency import Idempotent, idempotent_for
from .problems import responses

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


# -- schemas -----------------------------------------------------------------------------------
class LineIn(schemas.Strict):
    sku: schemas.Code
    quantity: schemas.Positive


class DeliveryIn(schemas.Strict):
    method: Literal["ship", "pickup", "curbside"]
    latitude: schemas.Latitude | None = Field(None, description="ship: where to")
    longitude: schemas.Longitude | None = Field(None, description="ship: where to")
    location: schemas.Code | None = Field(None, description="pickup, curbside: the store")


class OrderIn(schemas.Strict):
    order_id: schemas.Code
    channel: schemas.Code
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=500)]
    delivery: DeliveryIn


Found = Annotated[StrictInt, Field(ge=0, le=schemas.MAX_QUANTITY)]


class FoundLine(schemas.Strict):
    sku: schemas.Code
    quantity_found: Found


class ActionIn(schemas.Strict):
    """For `short`: `quantity_found` (a one-line fulfillment) or `lines` (per sku)."""

    quantity_found: Found | None = Field(
        None, validation_alias=AliasChoices("quantity_found", "found"))
    lines: Annotated[list[FoundLine], Field(min_length=1, max_length=500)] | None = None

    def found(self) -> int | dict[str, int] | None:
        if self.lines is not None:
            return {ln.sku: ln.quantity_found for ln in self.lines}
        return self.quantity_found


class Line(BaseModel):
    sku: str
    quantity: int


class Fulfillment(BaseModel):
    id: int
    order_id: str
    kind: Literal["ship", "pickup", "transfer"]
    location: str
    destination: str | None = Field(description="a transfer's pickup store")
    status: str
    delivery_method: str
    lines: list[Line]
    expected_at: datetime | None
    ready_at: datetime | None
    created_at: datetime
    updated_at: datetime
    promised_at: datetime | None
    allowed_actions: list[str]


class OrderSummary(BaseModel):
    order_id: str
    channel: str
    status: Literal[ORDER_STATUSES]  # type: ignore[valid-type]
    delivery: dict[str, Any]
    lines: list[Line]
    fulfillments: list[Fulfillment]
    unsourced: list[dict[str, Any]] = Field(description="units a short left without a node")
    explanation: dict[str, Any] = Field(description="why these nodes (the sourcing decision)")
    placed_at: datetime
    updated_at: datetime
    ready_at: datetime | None
    hold_until: datetime | None = Field(description="a pickup is cancelled as a no-show after")


class Order(OrderSummary):
    decisions: list[dict[str, Any]]
    history: list[dict[str, Any]]


class OrderList(BaseModel):
    orders: list[OrderSummary]


class Work(BaseModel):
    location: str
    fulfillments: list[Fulfillment]


class Policy(BaseModel):
    channel: str
    policy: dict[str, Any] = Field(description="in force, defaults filled in")
    stored: dict[str, Any] = Field(description="as set; a field left out takes its default")


# -- routes ------------------------------------------------------------------------------------
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
                status: Annotated[str | None, Query(
                    description=f"open, or one of {', '.join(ORDER_STATUSES)}")] = None,
                channel: Annotated[schemas.Code | None, Query()] = None,
                limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict:
    """Orders, newest first."""
    return orders.list_orders(db, status=status, channel=channel, limit=limit)


@router.get("/orders/{order_id}", response_model=Order, responses=READ)
def get_order(order_id: schemas.Code, db: DbDep, _: Reader) -> dict:
    return orders.get_order(db, order_id)


Action = Literal["pick", "pack", "ship", "ready", "pickup", "short"]


@router.post("/orders/{order_id}/fulfillments/{id}/{action}", response_model=Order,
             responses=WRITE)
def fulfillment_action(order_id: schemas.Code, id: Annotated[int, Path(ge=1)], action: Action,
                       db: DbDep, who: Fulfiller, once: FulfillmentOnce,
                       body: Annotated[ActionIn | None, Body()] = None):
    """Move a fulfillment on (see its `allowed_actions`). A store key acts only at its own
    location (a transfer's `ready` and `pickup` happen at its destination). `short` takes
    the units found; the missing ones are re-sourced at once (see the order's history)."""
    found = body.found() if body is not None else None
    return once.respond(lambda: (200, act(db, order_id, id, action, found=found,
                                          actor=who.prefix, authorize=who.at)))


@router.post("/orders/{order_id}/cancel", response_model=Order, responses=WRITE)
def cancel_order(order_id: schemas.Code, db: DbDep, who: OrderWriter, once: OrdersOnce):
    """Cancel what is not yet shipped or picked up, and release the units it holds."""
    return once.respond(lambda: (200, orders.cancel_order(db, order_id, actor=who.prefix)))


@router.get("/locations/{code}/work", response_model=Work, responses=READ)
def location_work(code: schemas.Code, db: DbDep, _: Reader) -> dict:
    """Open fulfillments at the location (to pick, pack, ship, make ready or hand over, and
    transfers on their way to it), oldest promise first."""
    return orders.location_work(db, code)


@router.get("/channels/{code}/policy", response_model=Policy, responses=READ)
def get_policy(code: schemas.Code, db: DbDep, _: Reader) -> dict:
    return orders_policy.get_policy(db, code)


@router.put("/channels/{code}/policy", response_model=Policy, responses=WRITE)
def put_policy(code: schemas.Code, db: DbDep, _: NetworkWriter,
               body: Annotated[dict[str, Any], Body()]) -> dict:
    """Replace the channel's sourcing policy (admin keys). A problem names the offending
    field, e.g. `rate_table.bands[1].cost`; fields left out take their defaults."""
    return orders_policy.set_policy(db, code, body)
