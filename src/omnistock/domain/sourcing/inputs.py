"""What sourcing is given: the order (lines and delivery) and the channel's candidate nodes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from ..errors import InvalidInput
from .checks import check_integer
from .policy import SourcingPolicy


class DeliveryMethod(StrEnum):
    SHIP = "ship"
    PICKUP = "pickup"
    CURBSIDE = "curbside"


@dataclass(frozen=True, slots=True)
class OrderLine:
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class Delivery:
    """`ship` to latitude/longitude, or `pickup`/`curbside` at the store `location`."""

    method: DeliveryMethod | str
    latitude: float | None = None
    longitude: float | None = None
    location: str | None = None


@dataclass(frozen=True, slots=True)
class SourcingOrder:
    order_id: str
    lines: tuple[OrderLine, ...]
    delivery: Delivery


def order_quantities(order: SourcingOrder) -> dict[str, int]:
    if not order.lines:
        raise InvalidInput("an order needs at least one line", field="lines")
    quantities: dict[str, int] = {}
    for i, line in enumerate(order.lines):
        if not isinstance(line.sku, str) or not line.sku:
            raise InvalidInput("sku must be a non-empty string", field=f"lines[{i}].sku")
        check_integer(line.quantity, f"lines[{i}].quantity", minimum=1)
        quantities[line.sku] = quantities.get(line.sku, 0) + line.quantity
    return quantities


@dataclass(frozen=True, slots=True)
class Candidate:
    """One location of the channel as sourcing sees it.

    `available` per sku counts every unit an order may take, protected ones included;
    `protected` per sku says how many of them only a pickup at this store may take (a store
    without an entry gets the policy's store_protection_units); `excess` per sku counts units
    the retailer wants to move (they earn the excess bonus).
    """

    code: str
    latitude: float
    longitude: float
    kind: str = "store"
    can_ship: bool = True
    can_pickup: bool = False
    daily_capacity: int | None = None
    open_fulfillments: int = 0
    available: Mapping[str, int] = field(default_factory=dict)
    protected: Mapping[str, int] = field(default_factory=dict)
    excess: Mapping[str, int] = field(default_factory=dict)

    def protected_units(self, sku: str, policy: SourcingPolicy) -> int:
        if sku in self.protected:
            return max(0, self.protected[sku])
        return policy.store_protection_units if self.kind == "store" else 0
