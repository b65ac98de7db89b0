"""The joint MILP of a wave: orders share each node's stock and capacity."""

from __future__ import annotations

from collections.abc import Sequence

import highspy

from .costs import shipment_terms
from .highs import MilpModel
from .inputs import Candidate, OrderLine
from .money import format_money, to_cents
from .plan import SourcingPlan, make_plan
from .policy import SourcingPolicy, capacity_cents
from .problem import Route, SourcingProblem, UnitSource
from .shipments import Shipment


class WaveModel:
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
