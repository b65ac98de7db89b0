"""Wave planning: a backlog sourced jointly against shared stock and capacity, compared with
sourcing the same orders one by one."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import highspy

from ..errors import InsufficientStock, InvalidInput
from .highs import NewSolver
from .inputs import Candidate, SourcingOrder
from .milp import plan_order
from .plan import SourcingPlan
from .policy import SourcingPolicy
from .preparation import prepare
from .wave_model import WaveModel

BATCH_TIME_LIMIT_S = 30.0


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
                    policy: SourcingPolicy, *, new_solver: NewSolver = highspy.Highs
                    ) -> tuple[list[SourcingPlan], list[str]]:
    """Orders one by one in the given order, each consuming stock and capacity."""
    state = {c.code: c for c in candidates}
    plans, unserved = [], []
    for order in orders:
        try:
            plan = plan_order(order, list(state.values()), policy, new_solver=new_solver)
        except InsufficientStock:
            unserved.append(order.order_id)
            continue
        plans.append(plan)
        for shipment in plan.shipments:
            lines = {ln.sku: ln.quantity for ln in shipment.lines}
            state[shipment.location] = consume(state[shipment.location], lines, policy)
    return plans, unserved


def plan_batch(orders: Sequence[SourcingOrder], candidates: Sequence[Candidate],
               policy: SourcingPolicy, *, max_variables: int | None = None,
               new_solver: NewSolver = highspy.Highs) -> BatchPlan:
    """Plan a backlog jointly against shared stock and capacity (MILP).

    The joint plan serves as many orders as possible, then at the least total cost; it is
    compared with planning the orders one by one in the given order, and that sequential plan
    is returned instead when the MILP is too large (over max_variables, by default the
    policy's milp_max_variables), fails, or does no better. `new_solver`: see
    `highs.NewSolver`.
    """
    ids = [o.order_id for o in orders]
    for i, order_id in enumerate(ids):
        if ids.index(order_id) != i:
            raise InvalidInput(f"order {order_id} appears twice", field=f"orders[{i}].order_id")
    seq_plans, seq_unserved = plan_sequential(orders, candidates, policy,
                                               new_solver=new_solver)
    sequential = BatchPlan("sequential", tuple(seq_plans), tuple(seq_unserved),
                           tuple(seq_plans), tuple(seq_unserved))
    problems = []
    for order in orders:
        with contextlib.suppress(InsufficientStock):
            problems.append(prepare(order, candidates, policy))
    if not problems:
        return replace(sequential, notes=("no order can be met on its own",))
    joint = WaveModel(problems, {c.code: c for c in candidates}, policy)
    limit = policy.milp_max_variables if max_variables is None else max_variables
    if len(joint.model.cost) > limit:
        return replace(sequential, notes=(
            f"joint MILP skipped: {len(joint.model.cost)} variables > {limit}",))
    solved = joint.model.solve(time_limit=BATCH_TIME_LIMIT_S, abs_gap=0.5,
                               new_solver=new_solver)
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
