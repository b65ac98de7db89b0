"""The prepared problem: the order's usable routes, with unit costs, and the excluded nodes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from .inputs import SourcingOrder
from .money import to_cents
from .policy import SourcingPolicy

Allocation = dict[str, dict[str, int]]  # location code -> sku -> units


class Mode(StrEnum):
    SHIP = "ship"  # to the customer
    PICKUP = "pickup"  # the customer collects at this store (pickup or curbside)
    TRANSFER = "transfer"  # endless aisle: shipped into the pickup store first


class Exclusion(StrEnum):
    CANNOT_SHIP = "cannot_ship"
    ENDLESS_AISLE_DISABLED = "endless_aisle_disabled"
    NO_STOCK = "no_stock"
    PROTECTED = "protected"
    NO_CAPACITY = "no_capacity"


class UnitSource(StrEnum):
    EXCESS = "excess"
    FREE = "free"
    PROTECTED = "protected"


@dataclass(frozen=True, slots=True)
class Segment:
    """Units of one sku at one node that cost the same per unit (cents, negative = bonus)."""

    source: UnitSource
    units: int
    unit_cents: int


@dataclass(frozen=True, slots=True)
class Route:
    """A usable candidate for this order. Segments are in increasing unit cost."""

    code: str
    mode: Mode
    distance_km: float
    transfer_days: float
    shipping: int
    capacity: int
    segments: Mapping[str, tuple[Segment, ...]]
    withheld: Mapping[str, int]  # protected units this order may not take
    rank: int  # by distance then code; the tie-break
    units: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # allocatable() sits in every inner loop of the planners: count once
        object.__setattr__(self, "units", {sku: sum(seg.units for seg in segments)
                                           for sku, segments in self.segments.items()})

    def allocatable(self, sku: str) -> int:
        return self.units.get(sku, 0)


@dataclass(frozen=True, slots=True)
class Excluded:
    code: str
    reason: Exclusion
    mode: Mode | None
    distance_km: float | None
    withheld: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class SourcingProblem:
    order: SourcingOrder
    policy: SourcingPolicy
    quantities: Mapping[str, int]  # per sku, duplicate lines merged
    routes: tuple[Route, ...]  # in rank order
    excluded: tuple[Excluded, ...]
    by_code: Mapping[str, Route] = field(init=False, repr=False, compare=False)
    covering: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_code", {r.code: r for r in self.routes})
        object.__setattr__(self, "covering", frozenset(
            r.code for r in self.routes
            if all(r.allocatable(s) >= q for s, q in self.quantities.items())))

    def route(self, code: str) -> Route:
        return self.by_code[code]

    def fixed_cents(self, route: Route) -> int:
        return route.shipping + to_cents(self.policy.handling_cost) + route.capacity

    def covers(self, route: Route) -> bool:
        return route.code in self.covering
