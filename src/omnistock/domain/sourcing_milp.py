"""Exact minimum-cost sourcing with HiGHS, the `plan_order` entry point, and wave planning.

One order (a fixed-charge facility-location model, all money in cents):
    y[n]      binary: node n ships part of the order
    x[n,s,k]  integer units of sku s from node n's cost segment k (excess, free, protected)
    min   sum_n y[n] * (shipping + handling + capacity + split) - split
        + sum x[n,s,k] * unit_cents[n,s,k] + tie-break (< 0.4 cent in all, toward nearer nodes)
    s.t.  sum_{n,k} x[n,s,k] = q[s]                        each sku exactly
          sum_k x[n,s,k] <= min(q[s], allocatable) * y[n]   only from nodes that ship
A batch shares stock and capacity between orders; see `plan_batch`.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import highspy

from .errors import InsufficientStock, InvalidInput
from .sourcing import (
    Allocation,
    Candidate,
    OrderLine,
    Route,
    Shipment,
    SourcingOrder,
    SourcingPlan,
    SourcingPolicy,
    SourcingProblem,
    UnitSource,
    allocation_cents,
    build_plan,
    capacity_cents,
    format_money,
    heuristic_allocation,
    make_plan,
    prepare,
    shipment_terms,
    to_cents,
)

ORDER_TIME_LIMIT_S = 2.0  # a checkout waits on this; the heuristic plan stands in beyond it
BATCH_TIME_LIMIT_S = 30.0

_silence_lock = threading.Lock()


@functools.cache
def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(None)
    except OSError:  # no C library to load by that name (Windows)
        return None


def _flush_c_stdio() -> None:
    libc = _libc()
    if libc is not None:
        libc.fflush(None)


@contextlib.contextmanager
def _stdout_silenced() -> Iterator[None]:
    """Point fd 1 at /dev/null: HiGHS prints its banner from C++ when a solver is built, and
    the CLI's stdout is machine-read. The lock keeps two threads from swapping fds at once."""
    with _silence_lock:
        sys.stdout.flush()
        saved = os.dup(1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
            yield
        finally:
            _flush_c_stdio()  # C stdio may still hold the banner
            os.dup2(saved, 1)
            os.close(devnull)
            os.close(saved)


def quiet_highs() -> highspy.Highs:
    with _stdout_silenced():
        highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    return highs


@dataclass
class MilpModel:
    """Columns, rows and coefficients, handed to HiGHS in one piece (column-wise)."""

    cost: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    integer: list[bool] = field(default_factory=list)
    row_lower: list[float] = field(default_factory=list)
    row_upper: list[float] = field(default_factory=list)
    entries: list[tuple[int, int, float]] = field(default_factory=list)  # (col, row, value)
    offset: float = 0.0

    def col(self, cost: float, upper: float, *, integer: bool = True) -> int:
        self.cost.append(cost)
        self.upper.append(upper)
        self.integer.append(integer)
        return len(self.cost) - 1

    def row(self, lower: float, upper: float) -> int:
        self.row_lower.append(lower)
        self.row_upper.append(upper)
        return len(self.row_lower) - 1

    def add(self, row: int, col: int, value: float) -> None:
        self.entries.append((col, row, value))

    def to_lp(self) -> highspy.HighsLp:
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = len(self.cost), len(self.row_lower)
        lp.col_cost_, lp.col_lower_, lp.col_upper_ = self.cost, [0.0] * len(self.cost), self.upper
        lp.row_lower_, lp.row_upper_ = self.row_lower, self.row_upper
        lp.offset_ = self.offset
        entries = sorted(self.entries)
        start, col = [0], 0
        for i, (c, _, _) in enumerate(entries):
            while col < c:
                start.append(i)
                col += 1
        start.extend([len(entries)] * (len(self.cost) + 1 - len(start)))
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = start
        lp.a_matrix_.index_ = [r for _, r, _ in entries]
        lp.a_matrix_.value_ = [v for _, _, v in entries]
        lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
                           for i in self.integer]
        return lp

    def solve(self, *, time_limit: float, abs_gap: float) -> tuple[list[float], bool] | None:
        """Values and whether they are proven optimal; None without a feasible solution."""
        highs = quiet_highs()
        highs.setOptionValue("time_limit", time_limit)
        highs.setOptionValue("mip_rel_gap", 0.0)
        highs.setOptionValue("mip_abs_gap", abs_gap)
        highs.passModel(self.to_lp())
        highs.run()
        optimal = highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
        feasible = (highs.getInfo().primal_solution_status
                    == highspy.SolutionStatus.kSolutionStatusFeasible)
        if not (optimal or feasible):
            return None
        return list(highs.getSolution().col_value), optimal


# --- one order ---------------------------------------------------------------------------------


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
                respect_limit: bool = True) -> ExactOutcome:
    """Minimum-cost allocation over the nodes the bound cannot rule out."""
    routes = problem.routes if upper_bound_cents is None else prune(problem, upper_bound_cents)
    model, units, step = order_model(problem, routes)
    size = len(model.cost)
    limit = problem.policy.milp_max_variables
    if respect_limit and size > limit:
        return ExactOutcome(None, False, size,
                            f"MILP skipped: {size} variables > milp_max_variables {limit}")
    solved = model.solve(time_limit=ORDER_TIME_LIMIT_S, abs_gap=step / 4)
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


def plan_exact(problem: SourcingProblem) -> SourcingPlan | None:
    """The MILP alone over every usable node, without the size limit (for comparisons)."""
    outcome = solve_exact(problem, respect_limit=False)
    if outcome.allocation is None:
        return None
    return build_plan(problem, outcome.allocation, "milp")


def plan_order(order: SourcingOrder, candidates: Sequence[Candidate],
               policy: SourcingPolicy) -> SourcingPlan:
    """Source one order: the MILP optimum when the model fits, else the heuristic.

    The heuristic always runs first: it bounds the MILP (pruning nodes that cannot win) and is
    the answer whenever the MILP is skipped, fails or is stopped with a worse plan.
    """
    problem = prepare(order, candidates, policy)
    fallback = heuristic_allocation(problem)
    bound = allocation_cents(problem, fallback)
    outcome = solve_exact(problem, bound)
    if outcome.allocation is not None:
        exact = allocation_cents(problem, outcome.allocation)
        if exact <= bound:
            notes = [outcome.note] if outcome.note else []
            return build_plan(problem, outcome.allocation, "milp", notes)
        notes = [f"{outcome.note}; heuristic plan was cheaper".lstrip("; ")]
        return build_plan(problem, fallback, "heuristic", notes)
    return build_plan(problem, fallback, "heuristic", [outcome.note])


# --- batch -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BatchPlan:
    """A wave planned jointly, and the same orders planned one by one for comparison."""

    strategy: str  # batch_milp | sequential
    plans: tuple[SourcingPlan, ...]
    unserved: tuple[str, ...]
    sequential_plans: tuple[SourcingPlan, ...]
    sequential_unserved: tuple[str, ...]
    notes: tuple[str, ...] = ()

    @property
    def total_cents(self) -> int:
        return sum(p.total_cents for p in self.plans)

    @property
    def sequential_cents(self) -> int:
        return sum(p.total_cents for p in self.sequential_plans)

    @property
    def total_cost(self) -> float:
        return self.total_cents / 100

    @property
    def sequential_cost(self) -> float:
        return self.sequential_cents / 100

    def to_dict(self) -> dict[str, Any]:
        return {"strategy": self.strategy, "total_cost": self.total_cost,
                "unserved": list(self.unserved), "notes": list(self.notes),
                "plans": [p.to_dict() for p in self.plans],
                "sequential": {"total_cost": self.sequential_cost,
                               "unserved": list(self.sequential_unserved),
                               "orders": {p.order_id: p.total_cost
                                          for p in self.sequential_plans}}}


def consume(candidate: Candidate, lines: dict[str, int], policy: SourcingPolicy) -> Candidate:
    """The candidate after one more shipment of these units (excess goes first)."""
    available, excess = dict(candidate.available), dict(candidate.excess)
    for sku, q in lines.items():
        free = max(0, available.get(sku, 0)) - candidate.protected_units(sku, policy)
        from_excess = min(q, max(0, min(excess.get(sku, 0), free)))
        if from_excess:
            excess[sku] -= from_excess
        available[sku] = available.get(sku, 0) - q
    return replace(candidate, available=available, excess=excess,
                   open_fulfillments=candidate.open_fulfillments + 1)


def plan_sequential(orders: Sequence[SourcingOrder], candidates: Sequence[Candidate],
                    policy: SourcingPolicy) -> tuple[list[SourcingPlan], list[str]]:
    """Orders one by one in the given order, each consuming stock and capacity."""
    state = {c.code: c for c in candidates}
    plans, unserved = [], []
    for order in orders:
        try:
            plan = plan_order(order, list(state.values()), policy)
        except InsufficientStock:
            unserved.append(order.order_id)
            continue
        plans.append(plan)
        for shipment in plan.shipments:
            lines = {ln.sku: ln.quantity for ln in shipment.lines}
            state[shipment.location] = consume(state[shipment.location], lines, policy)
    return plans, unserved


def plan_batch(orders: Sequence[SourcingOrder], candidates: Sequence[Candidate],
               policy: SourcingPolicy, *, max_variables: int | None = None) -> BatchPlan:
    """Plan a backlog jointly against shared stock and capacity (MILP).

    The joint plan serves as many orders as possible, then at the least total cost; it is
    compared with planning the orders one by one in the given order, and that sequential plan
    is returned instead when the MILP is too large (over max_variables, by default the
    policy's milp_max_variables), fails, or does no better.
    """
    ids = [o.order_id for o in orders]
    for i, order_id in enumerate(ids):
        if ids.index(order_id) != i:
            raise InvalidInput(f"order {order_id} appears twice", field=f"orders[{i}].order_id")
    seq_plans, seq_unserved = plan_sequential(orders, candidates, policy)
    sequential = BatchPlan("sequential", tuple(seq_plans), tuple(seq_unserved),
                           tuple(seq_plans), tuple(seq_unserved))
    problems = []
    for order in orders:
        with contextlib.suppress(InsufficientStock):
            problems.append(prepare(order, candidates, policy))
    if not problems:
        return replace(sequential, notes=("no order can be met on its own",))
    joint = _WaveModel(problems, {c.code: c for c in candidates}, policy)
    limit = policy.milp_max_variables if max_variables is None else max_variables
    if len(joint.model.cost) > limit:
        return replace(sequential, notes=(
            f"joint MILP skipped: {len(joint.model.cost)} variables > {limit}",))
    solved = joint.model.solve(time_limit=BATCH_TIME_LIMIT_S, abs_gap=0.5)
    if solved is None:
        return replace(sequential, notes=("joint MILP found no solution in time",))
    plans = joint.plans(solved[0], seq_cents=sequential.sequential_cents)
    served = {p.order_id for p in plans}
    result = BatchPlan("batch_milp", tuple(plans), tuple(i for i in ids if i not in served),
                       tuple(seq_plans), tuple(seq_unserved),
                       () if solved[1] else ("joint MILP stopped at its time limit",))
    if (len(result.unserved), result.total_cents) > (len(seq_unserved), sequential.total_cents):
        return replace(sequential, notes=("joint plan was no better than one by one",))
    return result


class _WaveModel:
    """The joint model of a batch; `plans` reads a solution back into per-order plans.

    Per order o: z[o] binary (served), y[o,n] binary, x[o,n,s,k] integer. Shared by all orders:
    each node's excess, unprotected and total units per sku, and its remaining capacity, whose
    j-th new shipment pays the capacity penalty at utilisation (open + j) / capacity (convex,
    so the continuous slot columns fill in order). Leaving an order unserved costs more than
    any plan of all the others can, so the count served comes first.
    """

    def __init__(self, problems: Sequence[SourcingProblem], candidates: dict[str, Candidate],
                 policy: SourcingPolicy) -> None:
        self.problems, self.candidates, self.policy = problems, candidates, policy
        self.model = model = MilpModel()
        split = to_cents(policy.split_penalty)
        unserved = 1 + sum(self._worst_cents(p) for p in problems)
        model.offset = unserved * len(problems)
        self.served = [model.col(-unserved - split, 1) for _ in problems]
        self.units: list[list[tuple[str, str, UnitSource, int]]] = [[] for _ in problems]
        self.demand: dict[tuple[int, str], int] = {}
        shared: dict[tuple[str, str, str], list[int]] = {}
        shipping: dict[str, list[int]] = {}
        for o, problem in enumerate(problems):
            for route in problem.routes:
                y = model.col(route.shipping + to_cents(policy.handling_cost) + split, 1)
                shipping.setdefault(route.code, []).append(y)
                self._order_columns(o, problem, route, y, shared)
        self._shared_rows(problems, shared)
        self._capacity_rows(shipping)

    def _worst_cents(self, problem: SourcingProblem) -> int:
        units = sum(problem.quantities.values())
        return (sum(problem.fixed_cents(r) + to_cents(self.policy.capacity_penalty)
                    + to_cents(self.policy.split_penalty) for r in problem.routes)
                + units * (to_cents(self.policy.protection_penalty)
                           + to_cents(self.policy.excess_bonus)))

    def _order_columns(self, o: int, problem: SourcingProblem, route: Route, y: int,
                       shared: dict[tuple[str, str, str], list[int]]) -> None:
        model = self.model
        for sku, segments in route.segments.items():
            q = problem.quantities[sku]
            link = model.row(-highspy.kHighsInf, 0)
            model.add(link, y, -min(q, route.allocatable(sku)))
            demand = self._demand_row(o, sku, q)
            for seg in segments:
                x = model.col(seg.unit_cents, min(seg.units, q))
                model.add(link, x, 1)
                model.add(demand, x, 1)
                self.units[o].append((route.code, sku, seg.source, x))
                shared.setdefault((route.code, sku, seg.source.value), []).append(x)

    def _demand_row(self, o: int, sku: str, q: int) -> int:
        """Units of the sku sum to q if the order is served, else to 0."""
        if (o, sku) not in self.demand:
            self.demand[(o, sku)] = row = self.model.row(0, 0)
            self.model.add(row, self.served[o], -q)
        return self.demand[(o, sku)]

    def _shared_rows(self, problems: Sequence[SourcingProblem],
                     shared: dict[tuple[str, str, str], list[int]]) -> None:
        """Excess <= e, excess + free <= unprotected, all <= available, per node and sku."""
        nested = {UnitSource.EXCESS: (UnitSource.EXCESS,),
                  UnitSource.FREE: (UnitSource.EXCESS, UnitSource.FREE),
                  UnitSource.PROTECTED: tuple(UnitSource)}
        for code, sku in {(c, s) for c, s, _ in shared}:
            limits = self._limits(code, sku)
            for top, sources in nested.items():
                cols = [x for src in sources for x in shared.get((code, sku, src.value), [])]
                if (code, sku, top.value) in shared and len(cols) > 1:
                    row = self.model.row(-highspy.kHighsInf, limits[top])
                    for x in cols:
                        self.model.add(row, x, 1)

    def _limits(self, code: str, sku: str) -> dict[UnitSource, int]:
        c = self.candidates[code]
        available = max(0, c.available.get(sku, 0))
        free = max(0, available - c.protected_units(sku, self.policy))
        excess = min(free, max(0, c.excess.get(sku, 0)))
        return {UnitSource.EXCESS: excess, UnitSource.FREE: free,
                UnitSource.PROTECTED: available}

    def _capacity_rows(self, shipping: dict[str, list[int]]) -> None:
        for code, ys in shipping.items():
            c = self.candidates[code]
            if c.daily_capacity is None:
                continue
            slots = min(c.daily_capacity - c.open_fulfillments, len(ys))
            row = self.model.row(0, 0)
            for y in ys:
                self.model.add(row, y, 1)
            for j in range(1, slots + 1):
                pen = capacity_cents(self.policy, c.open_fulfillments, c.daily_capacity, j)
                self.model.add(row, self.model.col(pen or 0, 1, integer=False), -1)

    def plans(self, values: list[float], *, seq_cents: int) -> list[SourcingPlan]:
        load: dict[str, int] = {}  # new shipments per node so far, in input order
        staged = [(o, self._shipments(self.problems[o], self._allocation(o, values), load))
                  for o, z in enumerate(self.served) if values[z] > 0.5]
        total = sum(s.terms.total for _, shipments in staged for s in shipments)
        reason = (f"planned jointly with {len(staged) - 1} other orders against shared stock "
                  f"and capacity: wave total {format_money(total)} vs "
                  f"{format_money(seq_cents)} one by one")
        return [make_plan(self.problems[o], shipments, "batch_milp", reason=reason)
                for o, shipments in staged]

    def _allocation(self, o: int, values: list[float]
                    ) -> dict[str, dict[tuple[str, UnitSource], int]]:
        alloc: dict[str, dict[tuple[str, UnitSource], int]] = {}
        for code, sku, source, x in self.units[o]:
            n = round(values[x])
            if n:
                alloc.setdefault(code, {})[(sku, source)] = n
        return alloc

    def _shipments(self, problem: SourcingProblem,
                   alloc: dict[str, dict[tuple[str, UnitSource], int]],
                   load: dict[str, int]) -> list[Shipment]:
        """Shipments of one order; capacity slots go to orders in input order."""
        shipments = []
        for i, route in enumerate(sorted(map(problem.route, alloc), key=lambda r: r.rank)):
            load[route.code] = load.get(route.code, 0) + 1
            c = self.candidates[route.code]
            lines: dict[str, int] = {}
            taken: dict[UnitSource, int] = {}
            for (sku, source), n in alloc[route.code].items():
                lines[sku] = lines.get(sku, 0) + n
                taken[source] = taken.get(source, 0) + n
            cap = capacity_cents(self.policy, c.open_fulfillments, c.daily_capacity,
                                 load[route.code])
            terms = shipment_terms(problem, route, lines, split=i > 0, capacity=cap or 0,
                                   taken=taken)
            ordered = tuple(OrderLine(s, lines[s]) for s in problem.quantities if s in lines)
            shipments.append(Shipment(route.code, route.mode, ordered,
                                      round(route.distance_km, 1), route.transfer_days, terms))
        return shipments
