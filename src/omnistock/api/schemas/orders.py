"""Orders, fulfillment actions, a location's work list, and channels' sourcing policies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
)

from ...domain.fulfillment import FulfillmentStatus
from ...domain.sourcing.policy import SourcingPolicy
from ...services.orders import ORDER_STATUSES
from . import MAX_QUANTITY, Code, Latitude, Longitude, Positive, Strict, integral


class LineIn(Strict):
    sku: Code
    quantity: Positive


class DeliveryIn(Strict):
    # Which fields each method takes, for clients and fuzzers (services/orders/request.py
    # checks the same): ship a point and no store, pickup and curbside a store.
    model_config = ConfigDict(extra="forbid", json_schema_extra={"oneOf": [
        {"properties": {"method": {"const": "ship"}, "latitude": {"type": "number"},
                        "longitude": {"type": "number"}, "location": {"type": "null"}},
         "required": ["latitude", "longitude"]},
        {"properties": {"method": {"enum": ["pickup", "curbside"]},
                        "location": {"type": "string"}},
         "required": ["location"]}]})
    method: Literal["ship", "pickup", "curbside"]
    latitude: Latitude | None = Field(None, description="ship: where to")
    longitude: Longitude | None = Field(None, description="ship: where to")
    location: Code | None = Field(None, description="pickup, curbside: the store")


class OrderIn(Strict):
    order_id: Code
    channel: Code
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=500)]
    delivery: DeliveryIn


Found = Annotated[StrictInt, Field(ge=0, le=MAX_QUANTITY), BeforeValidator(integral)]


class FoundLine(Strict):
    sku: Code
    quantity_found: Found


class ActionIn(Strict):
    """For `short`: `quantity_found` (a one-line fulfillment) or `lines` (per sku)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"anyOf": [
        {"properties": {"quantity_found": {"type": "integer"}}, "required": ["quantity_found"]},
        {"properties": {"lines": {"type": "array"}}, "required": ["lines"]}]})

    quantity_found: Found | None = Field(
        None, validation_alias=AliasChoices("quantity_found", "found"))
    lines: Annotated[list[FoundLine], Field(min_length=1, max_length=500)] | None = None

    def found(self) -> int | dict[str, int] | None:
        if self.lines is not None:
            return {ln.sku: ln.quantity_found for ln in self.lines}
        return self.quantity_found


class NoBody(Strict):
    """The other actions take no input: no body, or `{}`."""


class Line(BaseModel):
    sku: str
    quantity: int


class Fulfillment(BaseModel):
    id: int
    order_id: str
    kind: Literal["ship", "pickup", "transfer"]
    location: str
    destination: str | None = Field(description="a transfer's pickup store")
    status: FulfillmentStatus
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


OrderStatusFilter = Literal[("open", *ORDER_STATUSES)]  # type: ignore[valid-type]


_DEFAULT = SourcingPolicy()


# Bounded so that sums, cents and dates stay finite (an amount near 1e308 overflows in cents).
Km = Annotated[StrictFloat, Field(ge=0, le=40_075, allow_inf_nan=False)]  # round the earth
Days = Annotated[StrictFloat, Field(ge=0, le=3_650, allow_inf_nan=False)]
MAX_MONEY = 99_999_999.99
Money = Annotated[StrictFloat, Field(ge=0, le=MAX_MONEY, allow_inf_nan=False,
                                     description="currency units, in whole cents")]
Count = Annotated[StrictInt, Field(ge=0, le=MAX_QUANTITY), BeforeValidator(integral)]


class BandIn(Strict):
    max_km: Km
    cost: Money


class RateTableIn(Strict):
    """Bands must grow in max_km and never fall in cost (which JSON Schema cannot say)."""

    bands: list[BandIn] = Field(default_factory=lambda: [
        BandIn(max_km=b.max_km, cost=b.cost) for b in _DEFAULT.rate_table.bands])
    per_km_beyond: Money = _DEFAULT.rate_table.per_km_beyond


class PolicyIn(Strict):
    """A channel's sourcing policy (domain/sourcing/policy.py); a field left out takes its
    default."""

    rate_table: RateTableIn = Field(default_factory=RateTableIn)
    handling_cost: Money = _DEFAULT.handling_cost
    split_penalty: Money = _DEFAULT.split_penalty
    capacity_penalty: Money = _DEFAULT.capacity_penalty
    excess_bonus: Money = _DEFAULT.excess_bonus
    protection_penalty: Money = _DEFAULT.protection_penalty
    store_protection_units: Count = _DEFAULT.store_protection_units
    allow_endless_aisle: StrictBool = _DEFAULT.allow_endless_aisle
    transfer_days: Days = _DEFAULT.transfer_days
    milp_max_variables: Count = _DEFAULT.milp_max_variables
    bopis_hold_hours: Annotated[StrictInt, Field(ge=1, le=24 * 3_650),
                                BeforeValidator(integral)] = _DEFAULT.bopis_hold_hours
