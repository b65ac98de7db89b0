"""Sourcing decisions: latency, and plan cost against the MILP optimum.

    .venv/bin/python bench/routing.py

1. Latency of `plan_order` (prepare, heuristic, pruned MILP, explanation) for 1- and 5-line
   orders over 50 and 500 nodes scattered over a country-sized area, beside the raw HiGHS
   solve of the same model (the layer beneath) and of the unpruned model.
2. Total cost of the MILP, the heuristic and "nearest node with stock" (fill each line from
   the nearest nodes) on 200 generated instances, as ratios to the MILP optimum.
3. One wave of orders planned jointly, beside the same orders planned one by one.
Fixed seed; results in bench/results/routing.json.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from omnistock.domain.errors import InsufficientStock
from omnistock.domain.sourcing.batch import plan_batch
from omnistock.domain.sourcing.heuristic import heuristic_allocation, plan_heuristic
from omnistock.domain.sourcing.inputs import Candidate, Delivery, OrderLine, SourcingOrder
from omnistock.domain.sourcing.milp import order_model, plan_exact, plan_order, prune
from omnistock.domain.sourcing.plan import build_plan
from omnistock.domain.sourcing.policy import SourcingPolicy
from omnistock.domain.sourcing.preparation import prepare
from omnistock.domain.sourcing.problem import Allocation, SourcingProblem
from omnistock.domain.sourcing.shipments import allocation_cents

SEED = 20261101
RESULTS = Path(__file__).with_name("results")
AREA = ((42.5, 51.0), (-4.5, 8.0))  # latitude, longitude: about 950 x 900 km
CATALOGUE = [f"SKU{i:03d}" for i in range(60)]
DECISIONS = 200
INSTANCES = 200
POLICY = SourcingPolicy()
console = Console(width=150)


def point(rng: random.Random) -> tuple[float, float]:
    return rng.uniform(*AREA[0]), rng.uniform(*AREA[1])


def network(rng: random.Random, size: int, skus: list[str], sparse: float,
            dc_every: int = 12) -> list[Candidate]:
    """One DC in dc_every nodes (none if 0), the rest stores and dark stores; stores hold few
    units of few skus, and some are already at their daily capacity."""
    nodes = []
    for i in range(size):
        dc = dc_every and i % dc_every == 0
        kind = "dc" if dc else rng.choice(["store", "store", "store", "dark_store"])
        big = kind == "dc"
        stock = {s: rng.randint(10, 80) if big else rng.randint(1, 6)
                 for s in skus if rng.random() < (0.8 if big else sparse)}
        capacity = None if big else rng.randint(20, 60)
        nodes.append(Candidate(
            f"{kind.upper()}-{i:03d}", *point(rng), kind=kind, can_ship=True,
            can_pickup=kind == "store", daily_capacity=capacity,
            open_fulfillments=0 if capacity is None else min(capacity, rng.randint(0, 55)),
            available=stock, protected={s: 1 for s in stock if rng.random() < 0.3},
            excess={s: 2 for s in stock if rng.random() < 0.1}))
    return nodes


def order(rng: random.Random, order_id: str, lines: int, skus: list[str]) -> SourcingOrder:
    chosen = rng.sample(skus, lines)
    return SourcingOrder(order_id, tuple(OrderLine(s, rng.randint(1, 2)) for s in chosen),
                         Delivery("ship", *point(rng)))


def nearest_allocation(problem: SourcingProblem) -> Allocation:
    """The naive baseline: each line filled from the nearest nodes that have it."""
    allocation: Allocation = {}
    for sku, wanted in problem.quantities.items():
        for route in problem.routes:  # in distance order
            n = min(wanted, route.allocatable(sku))
            if n:
                allocation.setdefault(route.code, {})[sku] = n
                wanted -= n
            if not wanted:
                break
    return allocation


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def latency(rng: random.Random, size: int, lines: int) -> dict[str, Any]:
    nodes = network(rng, size, CATALOGUE, sparse=0.25)
    ours, raw, full, strategies = [], [], [], {"milp": 0, "heuristic": 0}
    for i in range(DECISIONS):
        o = order(rng, f"L{i}", lines, CATALOGUE)
        try:
            start = time.perf_counter()
            plan = plan_order(o, nodes, POLICY)
            ours.append((time.perf_counter() - start) * 1000)
        except InsufficientStock:
            continue
        strategies[plan.explanation.strategy] += 1
        problem = prepare(o, nodes, POLICY)
        bound = allocation_cents(problem, heuristic_allocation(problem))
        pruned, _, step = order_model(problem, prune(problem, bound))
        raw.append(timed(lambda m=pruned, s=step: m.solve(time_limit=2.0, abs_gap=s / 4)))
        if i % 4 == 0:  # the unpruned model is slow at 500 nodes; sample it
            whole, _, step = order_model(problem, problem.routes)
            full.append(timed(lambda m=whole, s=step: m.solve(time_limit=10.0, abs_gap=s / 4)))
    p50, raw50 = statistics.median(ours), statistics.median(raw)
    return {"nodes": size, "lines": lines, "decisions": len(ours),
            "p50_ms": round(p50, 2), "p99_ms": round(percentile(ours, 99), 2),
            "raw_p50_ms": round(raw50, 2), "raw_p99_ms": round(percentile(raw, 99), 2),
            "unpruned_raw_p50_ms": round(statistics.median(full), 2),
            "p50_vs_raw": round(p50 / raw50, 2), **strategies}


def costs(rng: random.Random) -> dict[str, Any]:
    """Instances small enough for an unpruned MILP; every other one without DCs, so that
    orders often have to be split over stores."""
    ratios: dict[str, list[float]] = {"milp": [], "heuristic": [], "nearest": []}
    split_orders = 0
    made = 0
    while made < INSTANCES:
        skus = CATALOGUE[:12]
        nodes = network(rng, 40, skus, sparse=0.35, dc_every=12 if made % 2 else 0)
        o = order(rng, f"C{made}", rng.randint(1, 5), skus)
        try:
            problem = prepare(o, nodes, POLICY)
        except InsufficientStock:
            continue
        made += 1
        exact = plan_exact(problem)
        assert exact is not None
        optimum = exact.total_cents
        split_orders += len(exact.shipments) > 1
        ratios["milp"].append(1.0)
        ratios["heuristic"].append(plan_heuristic(problem).total_cents / optimum)
        nearest = build_plan(problem, nearest_allocation(problem), "nearest")
        ratios["nearest"].append(nearest.total_cents / optimum)
    return {"instances": INSTANCES, "optimum_splits": split_orders, **{
        name: {"mean_ratio": round(statistics.fmean(r), 4),
               "p95_ratio": round(percentile(r, 95), 4), "max_ratio": round(max(r), 4),
               "at_optimum": round(sum(x <= 1.0 + 1e-9 for x in r) / len(r), 3)}
        for name, r in ratios.items()}}


def wave(rng: random.Random) -> dict[str, Any]:
    skus = CATALOGUE[:8]
    nodes = [replace(n, daily_capacity=n.daily_capacity and 3, open_fulfillments=0)
             for n in network(rng, 50, skus, sparse=0.3)]  # tight capacity: orders compete
    orders = [order(rng, f"W{i}", rng.randint(1, 3), skus) for i in range(30)]
    start = time.perf_counter()
    batch = plan_batch(orders, nodes, POLICY, max_variables=50_000)
    elapsed = (time.perf_counter() - start) * 1000
    return {"orders": len(orders), "nodes": len(nodes), "strategy": batch.strategy,
            "joint_cost": batch.total_cost, "one_by_one_cost": batch.sequential_cost,
            "joint_unserved": len(batch.unserved),
            "one_by_one_unserved": len(batch.sequential_unserved),
            "joint_vs_one_by_one": round(batch.total_cents / batch.sequential_cents, 4)
            if batch.sequential_cents else None,
            "elapsed_ms": round(elapsed, 1)}


def show(title: str, rows: list[dict[str, Any]]) -> None:
    table = Table(title=title)
    for col in rows[0]:
        table.add_column(col, justify="right")
    for row in rows:
        table.add_row(*[f"{v:,.3f}".rstrip("0").rstrip(".") if isinstance(v, float) else str(v)
                        for v in row.values()])
    console.print(table)


def main() -> None:
    rng = random.Random(SEED)
    plan_order(order(rng, "warm", 1, CATALOGUE[:5]),
               network(rng, 20, CATALOGUE[:5], 0.9), POLICY)  # load HiGHS once
    started = time.perf_counter()
    lat = [latency(rng, size, lines) for size in (50, 500) for lines in (1, 5)]
    show("sourcing decision latency (ms); raw = HiGHS on the same pruned model", lat)
    cost = costs(rng)
    show(f"plan cost / MILP optimum over {INSTANCES} instances (40 nodes, 1-5 lines)",
         [{"planner": name, **cost[name]} for name in ("milp", "heuristic", "nearest")])
    batch = wave(rng)
    show("wave planning: joint MILP vs one by one", [batch])
    results = {"seed": SEED, "latency": lat, "cost": cost, "wave": batch,
               "elapsed_s": round(time.perf_counter() - started, 1)}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "routing.json").write_text(json.dumps(results, indent=2))
    console.print(f"wrote {RESULTS / 'routing.json'} in {results['elapsed_s']} s")


if __name__ == "__main__":
    main()
