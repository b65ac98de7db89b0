import itertools
import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omnistock.domain.errors import InsufficientStock, InvalidInput
from omnistock.domain.sourcing.batch import plan_batch
from omnistock.domain.sourcing.heuristic import distribute, plan_heuristic
from omnistock.domain.sourcing.inputs import Candidate, Delivery, OrderLine, SourcingOrder
from omnistock.domain.sourcing.milp import order_model, plan_exact, plan_order
from omnistock.domain.sourcing.policy import RateBand, RateTable, SourcingPolicy
from omnistock.domain.sourcing.preparation import prepare
from omnistock.domain.sourcing.shipments import allocation_cents
from omnistock.solver import quiet_highs

HOME = (48.0, 2.0)
KM_PER_DEGREE = 111.195
FLAT = SourcingPolicy(rate_table=RateTable((), 0.10), capacity_penalty=0, excess_bonus=0)


def node(code: str, km: float, stock: dict[str, int], **kw) -> Candidate:
    return Candidate(code, HOME[0] + km / KM_PER_DEGREE, HOME[1], available=stock, **kw)


def ship_to(order_id: str, km: float, *lines: tuple[str, int]) -> SourcingOrder:
    return SourcingOrder(order_id, tuple(OrderLine(s, q) for s, q in lines),
                         Delivery("ship", HOME[0] + km / KM_PER_DEGREE, HOME[1]))


# --- random small instances --------------------------------------------------------------------


@st.composite
def instances(draw):
    skus = ["A", "B", "C"][: draw(st.integers(1, 3))]
    nodes = []
    for i in range(draw(st.integers(1, 5))):
        nodes.append(Candidate(
            f"N{i}", HOME[0] + draw(st.floats(-8, 8)), HOME[1] + draw(st.floats(-8, 8)),
            kind=draw(st.sampled_from(["store", "dc"])),
            can_ship=draw(st.booleans()) or i > 0, can_pickup=i == 0,
            daily_capacity=draw(st.none() | st.integers(1, 4)),
            open_fulfillments=draw(st.integers(0, 4)),
            available={s: draw(st.integers(-1, 6)) for s in skus},
            protected={s: draw(st.integers(0, 3)) for s in skus} if draw(st.booleans()) else {},
            excess={s: draw(st.integers(0, 4)) for s in skus},
        ))
    wanted = draw(st.lists(st.sampled_from(skus), min_size=1, max_size=3, unique=True))
    lines = tuple(OrderLine(s, draw(st.integers(1, 6))) for s in wanted)
    if draw(st.booleans()):
        delivery = Delivery("ship", HOME[0] + draw(st.floats(-8, 8)),
                            HOME[1] + draw(st.floats(-8, 8)))
    else:
        delivery = Delivery(draw(st.sampled_from(["pickup", "curbside"])), location="N0")
    policy = SourcingPolicy(
        rate_table=draw(st.sampled_from([RateTable(), RateTable((RateBand(100, 5),), 0.03)])),
        split_penalty=draw(st.sampled_from([0, 3.0, 10.0])),
        capacity_penalty=draw(st.sampled_from([0, 5.0])),
        excess_bonus=draw(st.sampled_from([0, 0.2, 2.5])),
        protection_penalty=draw(st.sampled_from([0, 0.5])),
        store_protection_units=draw(st.integers(0, 2)),
        allow_endless_aisle=draw(st.booleans()),
    )
    return SourcingOrder("o", lines, delivery), nodes, policy


def limits(order: SourcingOrder, nodes: list[Candidate], policy: SourcingPolicy):
    """Independent oracle: the most each node may give of each sku to this order."""
    d = order.delivery
    out: dict[str, dict[str, int]] = {}
    for n in nodes:
        at_store = d.method != "ship" and n.code == d.location
        usable = n.can_ship if d.method == "ship" else (
            at_store or (policy.allow_endless_aisle and n.can_ship))
        if n.daily_capacity is not None and n.open_fulfillments >= n.daily_capacity:
            usable = False
        default = policy.store_protection_units if n.kind == "store" else 0
        out[n.code] = {
            s: 0 if not usable else max(0, n.available.get(s, 0)) if at_store
            else max(0, n.available.get(s, 0) - n.protected.get(s, default))
            for s in n.available}
    return out


def check_plan(plan, order, nodes, policy):
    cap = limits(order, nodes, policy)
    given_ = plan.allocation()
    for code, lines in given_.items():
        for sku, q in lines.items():
            assert 0 < q <= cap[code][sku], (code, sku, q)
    for line in order.lines:
        assert sum(lines.get(line.sku, 0) for lines in given_.values()) == line.quantity
    assert {ln.sku for s in plan.shipments for ln in s.lines} <= {ln.sku for ln in order.lines}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_plans_cover_exactly_within_stock_and_protection_and_milp_is_optimal(instance):
    order, nodes, policy = instance
    cap = limits(order, nodes, policy)
    feasible = all(sum(c.get(ln.sku, 0) for c in cap.values()) >= ln.quantity
                   for ln in order.lines)
    if not feasible:
        with pytest.raises(InsufficientStock):
            plan_order(order, nodes, policy)
        return
    problem = prepare(order, nodes, policy)
    heuristic, exact, chosen = (plan_heuristic(problem), plan_exact(problem),
                                plan_order(order, nodes, policy))
    for plan in (heuristic, exact, chosen):
        check_plan(plan, order, nodes, policy)
    assert exact.total_cents <= heuristic.total_cents
    assert chosen.total_cents == exact.total_cents
    # brute force: every set of nodes, each with its cheapest spread of units
    codes = [r.code for r in problem.routes]
    best = min(allocation_cents(problem, a) for k in range(1, len(codes) + 1)
               for subset in itertools.combinations(codes, k)
               if (a := distribute(problem, subset)) is not None)
    assert exact.total_cents == best
    json.dumps(chosen.to_dict())


# --- size limit --------------------------------------------------------------------------------


def test_heuristic_is_used_beyond_the_size_limit():
    nodes = [node("X", 10, {"A": 2}), node("Y", 20, {"A": 2})]
    plan = plan_order(ship_to("o", 0, ("A", 3)), nodes, SourcingPolicy(milp_max_variables=0))
    assert plan.explanation.strategy == "heuristic"
    assert plan.explanation.notes[0].startswith("MILP skipped:")
    assert plan.allocation() == {"X": {"A": 2}, "Y": {"A": 1}}


def test_milp_beats_the_greedy_cover_when_it_matters():
    # fixed cost per shipment = 0.10/km + 1.50 handling. The greedy takes X (6.00 for 6 units,
    # the best per unit) and then Y for the last 4 (4.80): 10.80. P + Q cost 5.30 + 5.30.
    nodes = [node("X", 45, {"A": 6}), node("Y", 33, {"A": 4}), node("P", 38, {"A": 5}),
             node("Q", -38, {"A": 5})]
    order = ship_to("o", 0, ("A", 10))
    problem = prepare(order, nodes, FLAT)
    assert plan_heuristic(problem).total_cents == 1080 + 300
    assert plan_exact(problem).total_cents == 1060 + 300
    plan = plan_order(order, nodes, FLAT)
    assert plan.allocation() == {"P": {"A": 5}, "Q": {"A": 5}}
    assert plan.explanation.strategy == "milp"


def test_ties_are_weighted_toward_the_nearer_node_by_less_than_a_cent():
    nodes = [node(f"N{i}", 10 + i * 0.4, {"A": 5}) for i in range(30)]  # one rate band
    problem = prepare(ship_to("o", 0, ("A", 1)), nodes, SourcingPolicy())
    model, _, step = order_model(problem, problem.routes)
    ship_costs = [c for c, integer in zip(model.cost, model.integer, strict=True)
                  if integer and c > 100]
    assert ship_costs == sorted(ship_costs) and len(set(ship_costs)) == 30
    assert sum(c - min(ship_costs) + step for c in ship_costs) < 0.5


# --- batch -------------------------------------------------------------------------------------


def contention(capacity: bool) -> list[Candidate]:
    """A, between two customers, can serve one order; B and C are far on either side."""
    a = node("A", 100, {"S": 5 if capacity else 1}, daily_capacity=1 if capacity else None)
    return [a, node("B", -120, {"S": 5}), node("C", 500, {"S": 5})]


@pytest.mark.parametrize("capacity", [True, False], ids=["capacity", "stock"])
def test_batch_beats_one_by_one_when_orders_compete(capacity):
    orders = [ship_to("first", 0, ("S", 1)), ship_to("second", 200, ("S", 1))]
    batch = plan_batch(orders, contention(capacity), FLAT)
    # one by one: first takes A (10.00), second must come from C (30.00); + 2 x 1.50 handling
    assert batch.sequential_cost == pytest.approx(43.00)
    # jointly: first from B (12.00), second from A (10.00)
    assert batch.total_cost == pytest.approx(25.00)
    assert batch.strategy == "batch_milp"
    assert {p.order_id: p.allocation() for p in batch.plans} == {
        "first": {"B": {"S": 1}}, "second": {"A": {"S": 1}}}
    assert "vs 43.00 one by one" in batch.plans[0].explanation.reason
    json.dumps(batch.to_dict())


def test_batch_serves_as_many_orders_as_it_can():
    orders = [ship_to("small", 0, ("S", 1)), ship_to("big", 0, ("S", 2)),
              ship_to("other", 0, ("S", 1))]
    batch = plan_batch(orders, [node("A", 10, {"S": 2}), node("B", 50, {"S": 1})], FLAT)
    assert len(batch.plans) == 2 and len(batch.unserved) == 1
    # one by one, the first two orders take all three units
    assert batch.sequential_unserved == ("other",)


def test_batch_capacity_penalty_rises_with_each_shipment():
    policy = SourcingPolicy(rate_table=RateTable((), 0.10), capacity_penalty=4.0)
    nodes = [node("A", 0, {"S": 9}, daily_capacity=2)]
    batch = plan_batch([ship_to("1", 0, ("S", 1)), ship_to("2", 0, ("S", 1))], nodes, policy)
    assert [p.terms.capacity for p in batch.plans] == [100, 400]  # u = 1/2 then 2/2
    assert batch.total_cents == batch.sequential_cents


def test_batch_falls_back_to_one_by_one_beyond_the_size_limit():
    orders = [ship_to("1", 0, ("S", 1)), ship_to("2", 200, ("S", 1))]
    batch = plan_batch(orders, contention(True), FLAT, max_variables=1)
    assert batch.strategy == "sequential" and batch.notes[0].startswith("joint MILP skipped")
    assert batch.total_cents == batch.sequential_cents


def test_batch_of_orders_none_of_which_can_be_met():
    batch = plan_batch([ship_to("x", 0, ("NOPE", 1))], contention(True), FLAT)
    assert (batch.plans, batch.unserved, batch.sequential_unserved) == ((), ("x",), ("x",))
    assert batch.total_cost == 0


def test_batch_refuses_duplicate_order_ids():
    with pytest.raises(InvalidInput) as err:
        plan_batch([ship_to("x", 0, ("S", 1))] * 2, contention(True), FLAT)
    assert err.value.field == "orders[1].order_id"


@st.composite
def batches(draw):
    nodes = [Candidate(f"N{i}", HOME[0] + draw(st.floats(-5, 5)), HOME[1] + draw(st.floats(-5, 5)),
                       kind=draw(st.sampled_from(["store", "dc"])), can_pickup=True,
                       daily_capacity=draw(st.none() | st.integers(1, 3)),
                       available={s: draw(st.integers(0, 4)) for s in "AB"},
                       protected={s: draw(st.integers(0, 2)) for s in "AB"},
                       excess={s: draw(st.integers(0, 2)) for s in "AB"})
             for i in range(draw(st.integers(1, 4)))]
    orders = []
    for i in range(draw(st.integers(1, 4))):
        skus = draw(st.lists(st.sampled_from("AB"), min_size=1, max_size=2, unique=True))
        lines = tuple(OrderLine(s, draw(st.integers(1, 3))) for s in skus)
        delivery = (Delivery("pickup", location=draw(st.sampled_from([n.code for n in nodes])))
                    if draw(st.booleans()) else
                    Delivery("ship", HOME[0] + draw(st.floats(-5, 5)), HOME[1]))
        orders.append(SourcingOrder(f"o{i}", lines, delivery))
    policy = SourcingPolicy(excess_bonus=draw(st.sampled_from([0, 0.5])),
                            allow_endless_aisle=draw(st.booleans()))
    return orders, nodes, policy


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches())
def test_batch_is_feasible_and_never_worse_than_one_by_one(instance):
    orders, nodes, policy = instance
    batch = plan_batch(orders, nodes, policy)
    assert len(batch.unserved) <= len(batch.sequential_unserved)
    if len(batch.unserved) == len(batch.sequential_unserved):
        assert batch.total_cents <= batch.sequential_cents
    by_id = {o.order_id: o for o in orders}
    used: dict[tuple[str, str], int] = {}
    remote: dict[tuple[str, str], int] = {}
    shipments: dict[str, int] = {}
    for plan in batch.plans:
        order = by_id[plan.order_id]
        for line in order.lines:
            assert sum(s.get(line.sku, 0) for s in plan.allocation().values()) == line.quantity
        for code, lines in plan.allocation().items():
            shipments[code] = shipments.get(code, 0) + 1
            at_store = order.delivery.method == "pickup" and order.delivery.location == code
            for sku, q in lines.items():
                used[(code, sku)] = used.get((code, sku), 0) + q
                if not at_store:
                    remote[(code, sku)] = remote.get((code, sku), 0) + q
    for n in nodes:
        for sku, available in n.available.items():
            assert used.get((n.code, sku), 0) <= available
            assert remote.get((n.code, sku), 0) <= available - min(available, n.protected[sku])
        if n.daily_capacity is not None:
            assert shipments.get(n.code, 0) <= n.daily_capacity


# --- the solver stays quiet --------------------------------------------------------------------


def test_highs_banner_stays_off_stdout():
    code = ("from omnistock.solver import quiet_highs\n"
            "quiet_highs(); quiet_highs(); print('only this')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout == "only this\n"


def test_planners_build_their_solvers_with_the_given_factory():
    built = []

    def counting():
        built.append(quiet_highs())
        return built[-1]

    order = ship_to("o", 0, ("S", 3))
    nodes = [node("A", 10, {"S": 2}), node("B", 50, {"S": 5})]
    plan = plan_order(order, nodes, FLAT, new_solver=counting)
    assert plan.explanation.strategy == "milp" and len(built) == 1
    assert plan == plan_order(order, nodes, FLAT)
    batch = plan_batch([order, ship_to("p", 0, ("S", 1))], nodes, FLAT, new_solver=counting)
    assert batch.strategy == "batch_milp" and len(built) == 4  # two one by one, one joint
    assert batch == plan_batch([order, ship_to("p", 0, ("S", 1))], nodes, FLAT)
