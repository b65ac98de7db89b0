"""Exact minimum-cost sourcing of one order with HiGHS, and the `plan_order` entry point.

One order (a fixed-charge facility-location model, all money in cents):
    y[n]      binary: node n ships part of the order
    x[n,s,k]  integer units of sku s from node n's cost segment k (excess, free, protected)
    min   sum_n y[n] * (shipping + handling + capacity + split) - split
        + sum x[n,s,k] * unit_cents[n,s,k] + tie-break (< 0.4 cent in all, toward nearer nodes)
    s.t.  sum_{n,k} x[n,s,k] = q[s]                        each sku exactly
          sum_k x[n,s,k] <= min(q[s], allocatable) * y[n]   only from nodes that ship
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import highspy

from .heuristic import heuristic_allocation
from .highs import MilpModel, NewSolver
from .inputs import Candidate, SourcingOrder
from .money import to_cents
from .plan import SourcingPlan, build_plan
from .policy import SourcingPolicy
from .preparation import prepare
from .problem import Allocation, Route, SourcingProblem
from .shipments import allocation_cents

ORDER_TIME_LIMIT_S = 2.0  # a checkout waits on this; the heuristic plan stands in beyond it


def prune(problem: SourcingProblem, upper_bound_cents: int) -> tuple[Route, ...]:
    """Nodes that can appear in a plan costing at most the bound (a lower bound test).

    Any plan through node n pays n's fixed cost and at least the cheapest unit cost of every
    unit; one through a node that cannot cover the order also pays a split and another node.
    """
    fixed = sorted(problem.fixed_cents(r) for r in problem.routes)
    units_floor = sum(
        q * min((seg.unit_cents for r in problem.routes for seg in r.segments.get(s, ())),
                default=0)
        for s, q in problem.quantities.items())
    split = to_cents(problem.policy.split_penalty)
    kept = []
    for route in problem.routes:
        own = problem.fixed_cents(route)
        bound = own + units_floor
        if not problem.covers(route) and len(fixed) > 1:
            bound += split + (fixed[1] if own == fixed[0] else fixed[0])
        if bound <= upper_bound_cents:
            kept.append(route)
    return tuple(kept)


def order_model(problem: SourcingProblem, routes: Sequence[Route]
                ) -> tuple[MilpModel, list[tuple[str, str, int]], float]:
    """The model, its unit columns (code, sku, col), and the tie-break step (cents)."""
    model = MilpModel()
    split = to_cents(problem.policy.split_penalty)
    model.offset = -split
    step = 0.4 / max(1, len(routes) * (len(routes) + 1) // 2)  # all tie weights sum < 0.4
    sku_rows = {s: model.row(q, q) for s, q in problem.quantities.items()}
    units: list[tuple[str, str, int]] = []
    for i, route in enumerate(sorted(routes, key=lambda r: r.rank)):
        y = model.col(problem.fixed_cents(route) + split + (i + 1) * step, 1)
        for sku, segments in route.segments.items():
            cap = min(problem.quantities[sku], route.allocatable(sku))
            link = model.row(-highspy.kHighsInf, 0)
            model.add(link, y, -cap)
            for seg in segments:
                x = model.col(seg.unit_cents, min(seg.units, cap))
                model.add(sku_rows[sku], x, 1)
                model.add(link, x, 1)
                units.append((route.code, sku, x))
    return model, units, step


@dataclass(frozen=True, slots=True)
class ExactOutcome:
    allocation: Allocation | None
    optimal: bool
    variables: int
    note: str


def solve_exact(problem: SourcingProblem, upper_bound_cents: int | None = None, *,
                respect_limit: bool = True, new_solver: NewSolver = highspy.Highs
                ) -> ExactOutcome:
    """Minimum-cost allocation over the nodes the bound cannot rule out."""
    routes = problem.routes if upper_bound_cents is None else prune(problem, upper_bound_cents)
    model, units, step = order_model(problem, routes)
    size = len(model.cost)
    limit = problem.policy.milp_max_variables
    if respect_limit and size > limit:
        return ExactOutcome(None, False, size,
                            f"MILP skipped: {size} variables > milp_max_variables {limit}")
    solved = model.solve(time_limit=ORDER_TIME_LIMIT_S, abs_gap=step / 4,
                         new_solver=new_solver)
    if solved is None:
        return ExactOutcome(None, False, size, "MILP found no solution in time")
    values, optimal = solved
    allocation: Allocation = {}
    for code, sku, col in units:
        n = round(values[col])
        if n:
            lines = allocation.setdefault(code, {})
            lines[sku] = lines.get(sku, 0) + n
    note = "" if optimal else "MILP stopped at its time limit"
    return ExactOutcome(allocation, optimal, size, note)


def plan_exact(problem: SourcingProblem, *,
               new_solver: NewSolver = highspy.Highs) -> SourcingPlan | None:
    """The MILP alone over every usable node, without the size limit (for comparisons)."""
    outcome = solve_exact(problem, respect_limit=False, new_solver=new_solver)
    if outcome.allocation is None:
        return None
    return build_plan(problem, outcome.allocation, "milp")


def plan_order(order: SourcingOrder, candidates: Sequence[Candidate],
               policy: SourcingPolicy, *, new_solver: NewSolver = highspy.Highs
               ) -> SourcingPlan:
    """Source one order: the MILP optimum when the model fits, else the heuristic.

    The heuristic always runs first: it bounds the MILP (pruning nodes that cannot win) and is
    the answer whenever the MILP is skipped, fails or is stopped with a worse plan.
    `new_solver`: see `highs.NewSolver`.
    """
    problem = prepare(order, candidates, policy)
    fallback = heuristic_allocation(problem)
    bound = allocation_cents(problem, fallback)
    outcome = solve_exact(problem, bound, new_solver=new_solver)
    if outcome.allocation is not None:
        exact = allocation_cents(problem, outcome.allocation)
        if exact <= bound:
            notes = [outcome.note] if outcome.note else []
            return build_plan(problem, outcome.allocation, "milp", notes)
        notes = [f"{outcome.note}; heuristic plan was cheaper".lstrip("; ")]
        return build_plan(problem, fallback, "heuristic", notes)
    return build_plan(problem, fallback, "heuristic", [outcome.note])
