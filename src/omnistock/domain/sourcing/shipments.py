"""Shipments: the parts of an order each location fulfils, priced from an allocation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .costs import CostTerms, shipment_terms
from .inputs import OrderLine
from .problem import Allocation, Mode, SourcingProblem


@dataclass(frozen=True, slots=True)
class Shipment:
    """The part of the order one location fulfils (one fulfillment)."""

    location: str
    mode: Mode
    lines: tuple[OrderLine, ...]
    distance_km: float
    transfer_days: float
    terms: CostTerms

    def to_dict(self) -> dict[str, Any]:
        return {"location": self.location, "mode": self.mode.value,
                "lines": [{"sku": ln.sku, "quantity": ln.quantity} for ln in self.lines],
                "distance_km": self.distance_km, "transfer_days": self.transfer_days,
                "terms": self.terms.to_dict()}


def shipments_for(problem: SourcingProblem, allocation: Allocation) -> tuple[Shipment, ...]:
    """Shipments of an allocation; the nearest is the first, the others carry the split."""
    used = sorted((problem.route(code) for code, lines in allocation.items()
                   if any(lines.values())), key=lambda r: r.rank)
    shipments = []
    for i, route in enumerate(used):
        lines = {s: q for s, q in allocation[route.code].items() if q}
        shipments.append(Shipment(
            route.code, route.mode,
            tuple(OrderLine(s, lines[s]) for s in problem.quantities if s in lines),
            round(route.distance_km, 1), route.transfer_days,
            shipment_terms(problem, route, lines, split=i > 0)))
    return tuple(shipments)


def allocation_cents(problem: SourcingProblem, allocation: Allocation) -> int:
    return sum(s.terms.total for s in shipments_for(problem, allocation))


def check_allocation(problem: SourcingProblem, allocation: Allocation) -> None:
    """Raise ValueError unless the allocation covers the order exactly within allocatable units."""
    for sku, requested in problem.quantities.items():
        got = sum(lines.get(sku, 0) for lines in allocation.values())
        if got != requested:
            raise ValueError(f"allocation gives {got} of {sku}, the order wants {requested}")
    for code, lines in allocation.items():
        route = problem.route(code)
        for sku, q in lines.items():
            if sku not in problem.quantities or not 0 <= q <= route.allocatable(sku):
                raise ValueError(f"{code} cannot supply {q} of {sku}")
