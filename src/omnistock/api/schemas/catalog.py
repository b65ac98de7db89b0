"""Items, locations and channels."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StringConstraints,
)

from ...domain.catalog import LocationKind
from . import MAX_INT32, Code, Latitude, Longitude, Name, Strict, example, integral

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


class LocationIn(Strict):
    # Both coordinates or neither (domain/catalog.py checks the same).
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"code": "S1", "kind": "store", "name": "Paris Rivoli",
                      "gln": "4000001000005", "latitude": 48.86, "longitude": 2.35,
                      "can_ship": True, "can_pickup": True, "daily_capacity": 200}],
        "anyOf": [{"properties": {"latitude": {"type": "number"},
                                  "longitude": {"type": "number"}},
                   "required": ["latitude", "longitude"]},
                  {"properties": {"latitude": {"type": "null"}, "longitude": {"type": "null"}}}]})
    code: Code
    kind: LocationKind
    name: Name = ""
    gln: Annotated[str, StringConstraints(pattern=r"^[0-9]{13}$")] | None = None
    latitude: Latitude | None = Field(None, description="with longitude, or neither")
    longitude: Longitude | None = Field(None, description="with latitude, or neither")
    can_ship: StrictBool = False
    can_pickup: StrictBool = False
    daily_capacity: Annotated[StrictInt, Field(ge=0, le=MAX_INT32),
                              BeforeValidator(integral)] | None = None


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
    address: Address | None = None


class Address(BaseModel):
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None


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
