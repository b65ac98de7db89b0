"""Rules for items, locations and channels."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .errors import InvalidInput
from .gs1 import validate_gln, validate_gtin


class LocationKind(StrEnum):
    DC = "dc"
    STORE = "store"
    DARK_STORE = "dark_store"
    THIRD_PARTY = "3pl"


def _code(value: str, field: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        raise InvalidInput(f"{field} must be 1 to 64 characters", field=field)
    if any(c.isspace() for c in value) or "/" in value:
        raise InvalidInput(f"{field} must not contain spaces or '/'", field=field)
    return value


@dataclass(frozen=True, slots=True)
class Item:
    sku: str
    name: str = ""
    gtin: str | None = None
    unit_cost: float | None = None

    def validated(self) -> Item:
        gtin = validate_gtin(self.gtin) if self.gtin is not None else None
        if self.unit_cost is not None and self.unit_cost < 0:
            raise InvalidInput("unit_cost must be >= 0", field="unit_cost")
        return Item(_code(self.sku, "sku"), self.name, gtin, self.unit_cost)


@dataclass(frozen=True, slots=True)
class Location:
    code: str
    kind: str
    name: str = ""
    gln: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    can_ship: bool = False
    can_pickup: bool = False
    daily_capacity: int | None = None

    def validated(self) -> Location:
        try:
            LocationKind(self.kind)
        except ValueError:
            kinds = ", ".join(k.value for k in LocationKind)
            raise InvalidInput(f"kind must be one of {kinds}", field="kind") from None
        if (self.latitude is None) != (self.longitude is None):
            raise InvalidInput("latitude and longitude go together", field="latitude")
        if self.latitude is not None and not -90 <= self.latitude <= 90:
            raise InvalidInput("latitude must be within [-90, 90]", field="latitude")
        if self.longitude is not None and not -180 <= self.longitude <= 180:
            raise InvalidInput("longitude must be within [-180, 180]", field="longitude")
        if self.daily_capacity is not None and self.daily_capacity < 0:
            raise InvalidInput("daily_capacity must be >= 0", field="daily_capacity")
        gln = validate_gln(self.gln) if self.gln is not None else None
        _code(self.code, "code")
        return Location(self.code, self.kind, self.name, gln, self.latitude, self.longitude,
                        self.can_ship, self.can_pickup, self.daily_capacity)


def validate_channel_code(code: str) -> str:
    return _code(code, "code")
