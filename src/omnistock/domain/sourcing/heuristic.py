"""The fast plan: greedy covers improved by dropping nodes; also the MILP's upper bound."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .costs import units_cents
from .money import to_cents
from .plan import SourcingPlan, build_plan
from .problem import Allocation, Route, SourcingProblem
from .shipments import allocation_cents


def distribute(problem: SourcingProblem, codes: Sequence[str]) -> Allocation | None:
    """Cheapest spread of the order's units over these nodes (None if they cannot cover it).

    Unit costs are convex per node, so taking the cheapest units first is optimal for a fixed
    set of nodes; nodes left without units drop out of the plan.
    """
    routes = [problem.route(c) for c in codes]
    allocation: Allocation = {}
    for sku, requested in problem.quantities.items():
        offers = sorted((seg.unit_cents, r.rank, i, r.code, seg.units)
                        for r in routes for i, seg in enumerate(r.segments.get(sku, ())))
        left = requested
        for _, _, _, code, units in offers:
            n = min(left, units)
            lines = allocation.setdefault(code, {})
            lines[sku] = lines.get(sku, 0) + n
            left -= n
            if not left:
                break
        if left:
            return None
    return {c: {s: q for s, q in lines.items() if q} for c, lines in allocation.items()
            if any(lines.values())}


def _greedy_cover(problem: SourcingProblem,
                  score: Callable[[int, int], tuple[float, ...]]) -> list[str]:
    """Add nodes one at a time by `score(marginal cents, units gained)`, lowest first."""
    remaining = dict(problem.quantities)
    chosen: list[str] = []
    split = to_cents(problem.policy.split_penalty)
    while any(remaining.values()):
        best: tuple[tuple[float, ...], Route, dict[str, int]] | None = None
        for route in problem.routes:
            if route.code in chosen:
                continue
            gain = {s: min(q, route.allocatable(s)) for s, q in remaining.items() if q}
            units = sum(gain.values())
            if not units:
                continue
            cents = (problem.fixed_cents(route) + (split if chosen else 0)
                     + units_cents(problem, route, gain))
            key = (*score(cents, units), route.rank)
            if best is None or key < best[0]:
                best = (key, route, gain)
        if best is None:  # cannot happen after prepare's coverage check
            raise ValueError("order cannot be covered")
        chosen.append(best[1].code)
        for sku, n in best[2].items():
            remaining[sku] -= n
    return chosen


def _drop_improve(problem: SourcingProblem, allocation: Allocation) -> Allocation:
    """Drop a node and respread its units over the rest while that lowers the cost."""
    best, best_cents = allocation, allocation_cents(problem, allocation)
    improved = True
    while improved and len(best) > 1:
        improved = False
        for code in sorted(best, key=lambda c: -problem.fixed_cents(problem.route(c))):
            trial = distribute(problem, [c for c in best if c != code])
            if trial is not None and (cents := allocation_cents(problem, trial)) < best_cents:
                best, best_cents, improved = trial, cents, True
                break
    return best


def heuristic_allocation(problem: SourcingProblem) -> Allocation:
    """Fast plan: the cheapest of every single node that covers the order and of two greedy
    covers (by cost per unit, by units), each improved by dropping nodes."""
    options = [{r.code: dict(problem.quantities)} for r in problem.routes if problem.covers(r)]
    for score in (lambda cents, units: (cents / units,), lambda cents, units: (-units, cents)):
        found = distribute(problem, _greedy_cover(problem, score))
        if found is not None:
            options.append(_drop_improve(problem, found))
    return min(options, key=lambda a: (allocation_cents(problem, a),
                                       sum(problem.route(c).rank for c in a)))


def plan_heuristic(problem: SourcingProblem) -> SourcingPlan:
    return build_plan(problem, heuristic_allocation(problem), "heuristic")
