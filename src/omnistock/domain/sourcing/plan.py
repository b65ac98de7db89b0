"""A sourcing plan: the shipments, their summed cost terms, and the explanation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .costs import CostTerms
from .explanation import Explanation, candidate_reports, winner_reason
from .problem import Allocation, SourcingProblem
from .shipments import Shipment, check_allocation, shipments_for


@dataclass(frozen=True, slots=True)
class SourcingPlan:
    order_id: str
    shipments: tuple[Shipment, ...]
    terms: CostTerms
    explanation: Explanation

    @property
    def total_cents(self) -> int:
        return self.terms.total

    @property
    def total_cost(self) -> float:
        return self.terms.total / 100

    def allocation(self) -> Allocation:
        return {s.location: {ln.sku: ln.quantity for ln in s.lines} for s in self.shipments}

    def to_dict(self) -> dict[str, Any]:
        return {"order_id": self.order_id, "total_cost": self.total_cost,
                "terms": self.terms.to_dict(),
                "shipments": [s.to_dict() for s in self.shipments],
                "explanation": self.explanation.to_dict()}


def make_plan(problem: SourcingProblem, shipments: Sequence[Shipment], strategy: str, *,
              reason: str | None = None, notes: Sequence[str] = ()) -> SourcingPlan:
    terms = sum((s.terms for s in shipments), CostTerms())
    reports = candidate_reports(problem, {s.location for s in shipments})
    why = reason or winner_reason(reports, shipments, terms.total)
    return SourcingPlan(problem.order.order_id, tuple(shipments), terms,
                        Explanation(strategy, why, tuple(reports), tuple(notes)))


def build_plan(problem: SourcingProblem, allocation: Allocation, strategy: str,
               notes: Sequence[str] = ()) -> SourcingPlan:
    check_allocation(problem, allocation)
    return make_plan(problem, shipments_for(problem, allocation), strategy, notes=notes)
