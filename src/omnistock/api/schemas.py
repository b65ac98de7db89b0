"""Request and response bodies of the HTTP API.

Requests are strict (no booleans for integers, no strings for numbers, no unknown fields,
timestamps with a zone) and bounded to what the columns hold, so that whatever the schema
accepts the database can store. What JSON Schema cannot say (a GTIN's check digit, that a
sku exists) the domain checks, naming the field the same way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StringConstraints,
    Tag,
)

from ..domain.catalog import LocationKind
from ..domain.reservations import MAX_TTL_SECONDS, ReservationStatus

MAX_QUANTITY = 1_000_000_000
MAX_INT32 = 2**31 - 1


def _integral(value: Any) -> Any:
    """JSON Schema counts 5.0 as an integer: take it as 5 (never a boolean, never "5")."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


# Integers: strict (booleans and strings refused), integral floats taken.
Integer = Annotated[StrictInt, BeforeValidator(_integral)]


def _utf8(value: str) -> str:
    value.encode("utf-8")  # lone surrogates cannot be stored; UnicodeEncodeError is a ValueError
    return value


# An identifier: no whitespace, '/' or control characters (domain/catalog.py `_code`).
CODE_PATTERN = r"^[^\s/\x00-\x1f\x7f]+$"
Code = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=CODE_PATTERN),
                 AfterValidator(_utf8)]


_NO_NUL = r"^[^\x00]*$"
_NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"
Name = Annotated[str, StringConstraints(max_length=200, pattern=_NO_NUL), AfterValidator(_utf8)]
Reference = Annotated[str, StringConstraints(max_length=200, pattern=_NO_NUL),
                      AfterValidator(_utf8)]
Source = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=_NOT_BLANK),
                   AfterValidator(_utf8)]
ExternalId = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=_NOT_BLANK),
                       AfterValidator(_utf8)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=_NOT_BLANK),
                   AfterValidator(_utf8)]
Positive = Annotated[Integer, Field(gt=0, le=MAX_QUANTITY)]
NonZero = Annotated[Integer, Field(ge=-MAX_QUANTITY, le=MAX_QUANTITY,
                                     json_schema_extra={"not": {"const": 0}})]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def example(**values: Any) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [values]})


T0 = "2026-11-01T09:00:00Z"


# -- catalog -------------------------------------------------------------------------------
Cost = Annotated[StrictFloat, Field(ge=0, le=99_999_999.99, allow_inf_nan=False)]  # Numeric(12,4)


class ItemIn(Strict):
    model_config = example(sku="SKU-1", name="Green apple", gtin="4006381333931")
    sku: Code
    name: Name = ""
    gtin: Annotated[str, StringConstraints(pattern=r"^([0-9]{8}|[0-9]{12,14})$")] | None = None
    unit_cost: Cost | None = None


class Item(BaseModel):
    sku: str
    name: str
    gtin: str | None
    unit_cost: float | None
    created_at: datetime


class ItemSummary(BaseModel):
    sku: str
    name: str
    gtin: str | None


class ItemList(BaseModel):
    items: list[ItemSummary]


Latitude = Annotated[StrictFloat, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[StrictFloat, Field(ge=-180, le=180, allow_inf_nan=False)]


class LocationIn(Strict):
    model_config = example(code="S1", kind="store", name="Paris Rivoli", gln="4000001000005",
                           latitude=48.86, longitude=2.35, can_ship=True, can_pickup=True,
                           daily_capacity=200)
    code: Code
    kind: LocationKind
    name: Name = ""
    gln: Annotated[str, StringConstraints(pattern=r"^[0-9]{13}$")] | None = None
    latitude: Latitude | None = Field(None, description="with longitude, or neither")
    longitude: Longitude | None = Field(None, description="with latitude, or neither")
    can_ship: StrictBool = False
    can_pickup: StrictBool = False
    daily_capacity: Annotated[Integer, Field(ge=0, le=MAX_INT32)] | None = None


class Location(BaseModel):
    code: str
    name: str
    kind: LocationKind
    gln: str | None
    latitude: float | None
    longitude: float | None
    can_ship: bool
    can_pickup: bool
    daily_capacity: int | None


class LocationList(BaseModel):
    locations: list[Location]


class ChannelIn(Strict):
    model_config = example(code="web", name="Web shop", locations=["S1"])
    code: Code
    name: Name = ""
    locations: Annotated[list[Code], Field(max_length=10_000)] = []


class Channel(BaseModel):
    code: str
    name: str
    locations: list[str]


# -- movements and counts ------------------------------------------------------------------
class _MovementFields(Strict):
    sku: Code
    location: Code
    occurred_at: AwareDatetime
    source: Source
    external_id: ExternalId
    reference: Reference | None = None


class UnsignedMovementIn(_MovementFields):
    model_config = example(type="receipt", sku="SKU-1", location="S1", quantity=12,
                           occurred_at=T0, source="erp", external_id="GRN-1001")
    type: Literal["receipt", "sale", "return", "damage", "write_off", "quality_control_in",
                  "quality_control_out", "transfer_out", "transfer_in", "ship"]
    quantity: Positive
    reason: Reason | None = None


class ExpectedMovementIn(_MovementFields):
    type: Literal["expected"]
    quantity: Positive
    expected_at: AwareDatetime
    reason: Reason | None = None


class AdjustmentIn(_MovementFields):
    type: Literal["adjustment"]
    quantity: NonZero
    reason: Reason


class SafetyStockIn(_MovementFields):
    type: Literal["safety_stock"]
    quantity: NonZero
    reason: Reason | None = None


MovementIn = Annotated[UnsignedMovementIn | ExpectedMovementIn | AdjustmentIn | SafetyStockIn,
                       Field(discriminator="type")]


class MovementBatchIn(Strict):
    movements: Annotated[list[MovementIn], Field(min_length=1, max_length=5_000)]


def _shape(value: Any) -> str:
    return "batch" if isinstance(value, dict) and "movements" in value else "single"


MovementsBody = Annotated[
    Annotated[MovementIn, Tag("single")] | Annotated[MovementBatchIn, Tag("batch")],
    Discriminator(_shape)]


class Movement(BaseModel):
    id: int
    type: str
    sku: str
    location: str
    quantity: int
    deltas: dict[str, int]
    occurred_at: datetime
    recorded_at: datetime
    source: str
    external_id: str
    reason: str | None
    reference: str | None
    actor: str | None


class MovementBatch(BaseModel):
    movements: list[Movement]


class CountIn(Strict):
    model_config = example(sku="SKU-1", location="S1", counted_quantity=10, counted_at=T0,
                           source="rfid", external_id="sweep-77")
    sku: Code
    location: Code
    counted_quantity: Annotated[Integer, Field(ge=0, le=MAX_QUANTITY)]
    counted_at: AwareDatetime
    source: Source
    external_id: ExternalId
    reason: Reason | None = None


# Tags pydantic puts in error locations of the unions above; problems.py leaves them out of
# the field paths it reports.
UNION_TAGS = frozenset({"single", "batch", "receipt", "sale", "return", "damage", "write_off",
                        "quality_control_in", "quality_control_out", "transfer_out",
                        "transfer_in", "ship", "expected", "adjustment", "safety_stock"})


# -- availability and reservations ---------------------------------------------------------
class LocationAvailability(BaseModel):
    location: str
    on_hand: int
    committed: int
    reserved: int
    damaged: int
    quality_control: int
    safety_stock: int
    incoming: int
    available: int
    expected_within_horizon: int | None = None


class Availability(BaseModel):
    sku: str
    channel: str | None
    available: int
    locations: list[LocationAvailability]
    horizon_days: int | None = None
    future_available: int | None = None


class ReservationIn(Strict):
    model_config = example(sku="SKU-1", location="S1", quantity=1, ttl_seconds=900,
                           reference="cart-42")
    sku: Code
    location: Code
    quantity: Positive
    ttl_seconds: Annotated[Integer, Field(ge=1, le=MAX_TTL_SECONDS)]
    reference: Reference | None = None


class Reservation(BaseModel):
    id: str
    sku: str
    location: str
    quantity: int
    status: ReservationStatus
    expires_at: datetime
    reference: str | None
    created_at: datetime
