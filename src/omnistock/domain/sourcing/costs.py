"""What a shipment costs, term by term, in integer cents.

Cost of a plan = sum over its shipments of
    shipping    rate table by haversine km (nothing for a pickup at the store itself)
  + handling    per shipment
  + split       split_penalty for each shipment beyond the first
  + capacity    capacity_penalty * u**2, u = the node's utilisation including this shipment
  + protection  protection_penalty per unit drawn from a store's protected units
  - excess      excess_bonus per unit taken from the node's excess stock
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .money import to_cents
from .problem import Route, SourcingProblem, UnitSource


@dataclass(frozen=True, slots=True)
class CostTerms:
    """Cost terms in cents; excess_bonus is a saving, subtracted in the total."""

    shipping: int = 0
    handling: int = 0
    split: int = 0
    capacity: int = 0
    protection: int = 0
    excess_bonus: int = 0

    @property
    def total(self) -> int:
        return (self.shipping + self.handling + self.split + self.capacity + self.protection
                - self.excess_bonus)

    def __add__(self, other: CostTerms) -> CostTerms:
        return CostTerms(*(getattr(self, n) + getattr(other, n) for n in _TERMS))

    def to_dict(self) -> dict[str, float]:
        data = {n: getattr(self, n) / 100 for n in _TERMS}
        data["total"] = self.total / 100
        return data


_TERMS = ("shipping", "handling", "split", "capacity", "protection", "excess_bonus")


def take(route: Route, sku: str, quantity: int) -> dict[UnitSource, int]:
    """Units per source when `quantity` is taken cheapest first (the optimal order)."""
    taken: dict[UnitSource, int] = {}
    left = quantity
    for seg in route.segments.get(sku, ()):
        n = min(left, seg.units)
        if n:
            taken[seg.source] = n
            left -= n
    if left:
        raise ValueError(f"{route.code} cannot supply {quantity} of {sku}")
    return taken


def taken_units(route: Route, lines: Mapping[str, int]) -> dict[UnitSource, int]:
    units: dict[UnitSource, int] = {}
    for sku, q in lines.items():
        for source, n in take(route, sku, q).items():
            units[source] = units.get(source, 0) + n
    return units


def units_cents(problem: SourcingProblem, route: Route, lines: Mapping[str, int]) -> int:
    """The per-unit part of a shipment's cost (protection minus excess bonus)."""
    taken = taken_units(route, lines)
    return (taken.get(UnitSource.PROTECTED, 0) * to_cents(problem.policy.protection_penalty)
            - taken.get(UnitSource.EXCESS, 0) * to_cents(problem.policy.excess_bonus))


def shipment_terms(problem: SourcingProblem, route: Route, lines: Mapping[str, int], *,
                   split: bool, capacity: int | None = None,
                   taken: Mapping[UnitSource, int] | None = None) -> CostTerms:
    """Terms of one shipment; `capacity` and `taken` override the single-order defaults."""
    if taken is None:
        taken = taken_units(route, lines)
    policy = problem.policy
    return CostTerms(
        shipping=route.shipping,
        handling=to_cents(policy.handling_cost),
        split=to_cents(policy.split_penalty) if split else 0,
        capacity=route.capacity if capacity is None else capacity,
        protection=taken.get(UnitSource.PROTECTED, 0) * to_cents(policy.protection_penalty),
        excess_bonus=taken.get(UnitSource.EXCESS, 0) * to_cents(policy.excess_bonus),
    )
