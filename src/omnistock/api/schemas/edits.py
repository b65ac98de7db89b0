"""Bodies of the PATCH routes (JSON Merge Patch, RFC 7396): every field optional; a field left
out stays as it is, `null` clears an optional one. Fields that may not be null (a name, a
kind, a flag) refuse it with a 422 naming them."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
)

from ...domain.catalog import LocationKind
from . import MAX_INT32, Code, Latitude, Longitude, Name, Strict, integral
from .catalog import Cost
from .orders import PolicyIn


def _utf8(value: str) -> str:
    value.encode("utf-8")  # lone surrogates cannot be stored
    return value


def _text(max_length: int) -> Any:
    return Annotated[str, StringConstraints(max_length=max_length, pattern=r"^[^\x00]*$"),
                     AfterValidator(_utf8)]


Line = _text(200)
Place = _text(100)
PostalCode = _text(20)


def patch_config(**example: Any) -> ConfigDict:
    """Strict, with an example, and no `default` in the schema: a field left out of a patch
    means "unchanged", not a default value."""

    def schema(s: dict[str, Any]) -> None:
        for prop in s.get("properties", {}).values():
            prop.pop("default", None)
        s["examples"] = [example]

    return ConfigDict(extra="forbid", json_schema_extra=schema)


class AddressIn(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"line1": "1 Rue de Rivoli", "city": "Paris", "postal_code": "75001", "country": "FR"}]})
    line1: Line | None = None  # type: ignore[valid-type]
    line2: Line | None = None  # type: ignore[valid-type]
    city: Place | None = None  # type: ignore[valid-type]
    region: Place | None = None  # type: ignore[valid-type]
    postal_code: PostalCode | None = None  # type: ignore[valid-type]
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = Field(
        None, description="ISO 3166-1 alpha-2")


class ItemPatch(Strict):
    model_config = patch_config(name="Green apple, 1 kg", unit_cost=0.42)
    name: Name = None  # type: ignore[assignment]
    gtin: Annotated[str, StringConstraints(pattern=r"^([0-9]{8}|[0-9]{12,14})$")] | None = None
    unit_cost: Cost | None = None


class LocationPatch(Strict):
    model_config = patch_config(daily_capacity=150, can_ship=False, address={
        "line1": "1 Rue de Rivoli", "city": "Paris", "postal_code": "75001", "country": "FR"})
    name: Name = None  # type: ignore[assignment]
    kind: LocationKind = None  # type: ignore[assignment]
    gln: Annotated[str, StringConstraints(pattern=r"^[0-9]{13}$")] | None = None
    latitude: Latitude | None = Field(None, description="the result must have both "
                                      "coordinates or neither")
    longitude: Longitude | None = None
    can_ship: StrictBool = None  # type: ignore[assignment]
    can_pickup: StrictBool = None  # type: ignore[assignment]
    daily_capacity: Annotated[StrictInt, Field(ge=0, le=MAX_INT32),
                              BeforeValidator(integral)] | None = None
    address: AddressIn | None = Field(None, description="replaces the address; null removes "
                                      "it")


class ChannelPatch(Strict):
    model_config = patch_config(name="Web shop (EU)", locations=["S1", "S2"])
    name: Name = None  # type: ignore[assignment]
    locations: Annotated[list[Code], Field(
        max_length=10_000,
        description="replaces the set of locations whose stock the channel sells")
    ] = None  # type: ignore[assignment]
    policy: PolicyIn = Field(  # type: ignore[assignment]
        None, description="merged into the stored policy field by field (a nested object is "
        "replaced whole); PUT /v1/channels/{code}/policy replaces it")


def patch_of(body: Strict) -> dict[str, Any]:
    """The fields the client sent, as plain values (nested models as dicts)."""
    return body.model_dump(mode="json", exclude_unset=True)
