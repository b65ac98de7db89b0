"""Why a plan chose its nodes: every candidate priced alone, and the winner's reason."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .costs import CostTerms, shipment_terms
from .money import format_money
from .problem import Exclusion, Mode, SourcingProblem
from .shipments import Shipment


@dataclass(frozen=True, slots=True)
class CandidateReport:
    """One candidate in an explanation. `terms` price this node alone shipping what it can of
    the order (split 0), which is what the winner is compared against."""

    code: str
    status: str  # selected | considered | excluded
    mode: Mode | None
    distance_km: float | None
    reason: Exclusion | None
    allocatable: Mapping[str, int]
    withheld: Mapping[str, int]
    covers_order: bool
    terms: CostTerms | None

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "status": self.status,
                "mode": self.mode.value if self.mode else None,
                "distance_km": self.distance_km,
                "reason": self.reason.value if self.reason else None,
                "allocatable": dict(self.allocatable), "protected": dict(self.withheld),
                "covers_order": self.covers_order,
                "terms": self.terms.to_dict() if self.terms else None}


@dataclass(frozen=True, slots=True)
class Explanation:
    strategy: str  # milp | heuristic | batch_milp | sequential
    reason: str
    candidates: tuple[CandidateReport, ...]
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"strategy": self.strategy, "reason": self.reason, "notes": list(self.notes),
                "candidates": [c.to_dict() for c in self.candidates]}


def candidate_reports(problem: SourcingProblem, selected: set[str]) -> list[CandidateReport]:
    eligible = []
    for r in problem.routes:
        lines = {s: min(q, r.allocatable(s)) for s, q in problem.quantities.items()}
        eligible.append(CandidateReport(
            r.code, "selected" if r.code in selected else "considered", r.mode,
            round(r.distance_km, 1),
            None, {s: r.allocatable(s) for s in problem.quantities}, dict(r.withheld),
            problem.covers(r), shipment_terms(problem, r, lines, split=False)))
    eligible.sort(key=lambda c: (c.status != "selected", not c.covers_order,
                                 c.terms.total if c.terms else 0))
    excluded = [CandidateReport(e.code, "excluded", e.mode, e.distance_km, e.reason, {},
                                dict(e.withheld), False, None) for e in problem.excluded]
    return eligible + excluded


def winner_reason(reports: Sequence[CandidateReport], shipments: Sequence[Shipment],
                  total: int) -> str:
    singles = [c for c in reports if c.covers_order and c.terms is not None]
    if len(shipments) == 1:
        winner = shipments[0].location
        others = [c for c in singles if c.code != winner]
        if not others:
            return f"only {winner} can serve the whole order (total cost {format_money(total)})"
        nxt = others[0]
        assert nxt.terms is not None
        tie = " (tie broken by distance)" if nxt.terms.total == total else ""
        return (f"lowest total cost {format_money(total)} vs next "
                f"{format_money(nxt.terms.total)} at {nxt.code}{tie}")
    count = f"split into {len(shipments)} shipments"
    if not singles or singles[0].terms is None:
        return (f"{count}: no single candidate holds the whole order; lowest total cost "
                f"{format_money(total)}")
    return (f"{count} costs {format_money(total)} vs {format_money(singles[0].terms.total)} in "
            f"one shipment from {singles[0].code}")
