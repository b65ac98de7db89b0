"""Orders, fulfillment actions, a location's work list, and channels' sourcing policies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, Field, StrictInt

from ...services.orders import ORDER_STATUSES
from . import MAX_QUANTITY, Code, Latitude, Longitude, Positive, Strict


class LineIn(Strict):
    sku: Code
    quantity: Positive


class DeliveryIn(Strict):
    method: Literal["ship", "pickup", "curbside"]
    latitude: Latitude | None = Field(None, description="ship: where to")
    longitude: Longitude | None = Field(None, description="ship: where to")
    location: Code | None = Field(None, description="pickup, curbside: the store")


class OrderIn(Strict):
    order_id: Code
    channel: Code
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=500)]
    delivery: DeliveryIn


Found = Annotated[StrictInt, Field(ge=0, le=MAX_QUANTITY)]


class FoundLine(Strict):
    sku: Code
    quantity_found: Found


class ActionIn(Strict):
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
