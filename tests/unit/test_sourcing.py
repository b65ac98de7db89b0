import json

import pytest

from omnistock.domain.errors import InsufficientStock, InvalidInput
from omnistock.domain.sourcing.heuristic import plan_heuristic
from omnistock.domain.sourcing.inputs import Candidate, Delivery, OrderLine, SourcingOrder
from omnistock.domain.sourcing.milp import plan_order
from omnistock.domain.sourcing.policy import RateBand, RateTable, SourcingPolicy, capacity_cents
from omnistock.domain.sourcing.preparation import prepare
from omnistock.domain.sourcing.problem import Exclusion, Mode

HOME = (48.0, 2.0)
KM_PER_DEGREE = 111.195  # of latitude, on EARTH_RADIUS_KM


def node(code: str, km: float, stock: dict[str, int], **kw) -> Candidate:
    """A location `km` due north of HOME."""
    return Candidate(code, HOME[0] + km / KM_PER_DEGREE, HOME[1], available=stock, **kw)


def ship(*lines: tuple[str, int], order_id: str = "o1") -> SourcingOrder:
    return SourcingOrder(order_id, tuple(OrderLine(s, q) for s, q in lines),
                         Delivery("ship", *HOME))


def pickup(store: str, *lines: tuple[str, int]) -> SourcingOrder:
    return SourcingOrder("o1", tuple(OrderLine(s, q) for s, q in lines),
                         Delivery("pickup", location=store))


def sources(plan) -> dict[str, dict[str, int]]:
    return plan.allocation()


POLICY = SourcingPolicy()


# --- which node wins ---------------------------------------------------------------------------


@pytest.mark.parametrize("planner", ["order", "heuristic"])
def test_nearest_node_with_stock_wins(planner):
    nodes = [node("FAR", 300, {"A": 5}), node("NEAR", 10, {"A": 5}), node("MID", 60, {"A": 5})]
    plan = (plan_order(ship(("A", 2)), nodes, POLICY) if planner == "order"
            else plan_heuristic(prepare(ship(("A", 2)), nodes, POLICY)))
    assert sources(plan) == {"NEAR": {"A": 2}}


def test_tie_in_the_same_rate_band_goes_to_the_nearer_node():
    nodes = [node("B", 20, {"A": 5}), node("A", 15, {"A": 5}), node("C", 24, {"A": 5})]
    plan = plan_order(ship(("A", 1)), nodes, POLICY)
    assert sources(plan) == {"A": {"A": 1}}
    assert "tie broken by distance" in plan.explanation.reason


def test_next_node_wins_when_the_nearest_lacks_stock():
    nodes = [node("NEAR", 10, {"A": 1}), node("NEXT", 60, {"A": 5}), node("FAR", 300, {"A": 5})]
    plan = plan_order(ship(("A", 2)), nodes, POLICY)
    assert sources(plan) == {"NEXT": {"A": 2}}


def test_next_node_wins_when_the_nearest_is_at_capacity():
    nodes = [node("NEAR", 10, {"A": 5}, daily_capacity=20, open_fulfillments=20),
             node("NEXT", 60, {"A": 5})]
    plan = plan_order(ship(("A", 2)), nodes, POLICY)
    assert sources(plan) == {"NEXT": {"A": 2}}
    near = next(c for c in plan.explanation.candidates if c.code == "NEAR")
    assert near.status == "excluded" and near.reason is Exclusion.NO_CAPACITY


def test_capacity_penalty_grows_with_utilisation():
    assert capacity_cents(POLICY, 0, None) == 0
    assert capacity_cents(POLICY, 0, 10) == 5  # 5.00 * 0.1**2
    assert capacity_cents(POLICY, 9, 10) == 500
    assert capacity_cents(POLICY, 10, 10) is None
    # nearly full: 4.50 + 1.50 + 5.00 at NEAR loses to 6.00 + 1.50 at NEXT
    nodes = [node("NEAR", 10, {"A": 5}, daily_capacity=10, open_fulfillments=9),
             node("NEXT", 60, {"A": 5}, daily_capacity=10)]
    plan = plan_order(ship(("A", 1)), nodes, POLICY)
    assert sources(plan) == {"NEXT": {"A": 1}}
    assert plan.terms.capacity == 5


def test_excess_bonus_can_move_the_choice():
    nodes = [node("NEAR", 10, {"A": 5}), node("OVERSTOCKED", 20, {"A": 9}, excess={"A": 4})]
    plan = plan_order(ship(("A", 3)), nodes, POLICY)
    assert sources(plan) == {"OVERSTOCKED": {"A": 3}}
    assert plan.terms.excess_bonus == 60
    assert plan.total_cost == pytest.approx(4.50 + 1.50 - 0.60)


# --- store protection --------------------------------------------------------------------------


def test_a_store_is_not_taken_below_its_protection():
    nodes = [node("STORE", 5, {"A": 3}, protected={"A": 2}), node("DC", 60, {"A": 9}, kind="dc")]
    plan = plan_order(ship(("A", 2)), nodes, POLICY)
    assert sources(plan) == {"DC": {"A": 2}}
    store = next(c for c in plan.explanation.candidates if c.code == "STORE")
    assert store.allocatable == {"A": 1} and store.withheld == {"A": 2}


def test_protected_units_refused_even_when_nothing_else_has_stock():
    nodes = [node("STORE", 5, {"A": 3}, protected={"A": 2})]
    with pytest.raises(InsufficientStock) as err:
        plan_order(ship(("A", 2)), nodes, POLICY)
    assert err.value.data["lines"] == [{"sku": "A", "requested": 2, "available": 1}]


def test_policy_default_protection_applies_to_stores_not_dcs():
    policy = SourcingPolicy(store_protection_units=2)
    nodes = [node("STORE", 5, {"A": 2}), node("DC", 300, {"A": 2}, kind="dc")]
    plan = plan_order(ship(("A", 2)), nodes, policy)
    assert sources(plan) == {"DC": {"A": 2}}
    store = next(c for c in plan.explanation.candidates if c.code == "STORE")
    assert store.reason is Exclusion.PROTECTED


def test_pickup_at_the_store_itself_may_take_protected_units():
    nodes = [node("STORE", 5, {"A": 2}, protected={"A": 2}, can_pickup=True)]
    plan = plan_order(pickup("STORE", ("A", 2)), nodes, POLICY)
    assert sources(plan) == {"STORE": {"A": 2}}
    assert plan.shipments[0].mode is Mode.PICKUP and plan.terms.shipping == 0


# --- splitting ---------------------------------------------------------------------------------


def test_no_split_when_one_node_can_serve():
    nodes = [node("B", 10, {"A": 5}), node("C", 12, {"B": 5}), node("BOTH", 60, {"A": 5, "B": 5})]
    plan = plan_order(ship(("A", 1), ("B", 1)), nodes, POLICY)
    assert sources(plan) == {"BOTH": {"A": 1, "B": 1}}
    assert plan.terms.split == 0


def test_split_when_it_is_the_only_way():
    nodes = [node("HAS_A", 10, {"A": 5}), node("HAS_B", 60, {"B": 5})]
    plan = plan_order(ship(("A", 2), ("B", 1)), nodes, POLICY)
    assert sources(plan) == {"HAS_A": {"A": 2}, "HAS_B": {"B": 1}}
    assert [s.terms.split for s in plan.shipments] == [0, 300]  # the farther one carries it
    assert "no single candidate holds the whole order" in plan.explanation.reason


def test_split_when_it_lowers_the_cost():
    # one shipment from 2000 km: 12.00 + 1000 km * 0.01 + 1.50 = 23.50;
    # two near ones: 4.50 + 1.50 + 4.50 + 1.50 + 3.00 split = 15.00
    nodes = [node("B", 10, {"A": 5}), node("C", 12, {"B": 5}),
             node("FAR", 2000, {"A": 5, "B": 5})]
    plan = plan_order(ship(("A", 1), ("B", 1)), nodes, POLICY)
    assert set(sources(plan)) == {"B", "C"}
    assert plan.total_cost == pytest.approx(15.00)
    assert plan.explanation.reason == (
        "split into 2 shipments costs 15.00 vs 23.50 in one shipment from FAR")


def test_one_line_split_over_nodes_when_none_has_enough():
    nodes = [node("X", 10, {"A": 2}), node("Y", 20, {"A": 2}), node("Z", 30, {"A": 2})]
    plan = plan_order(ship(("A", 4)), nodes, POLICY)
    assert sources(plan) == {"X": {"A": 2}, "Y": {"A": 2}}


# --- explanation -------------------------------------------------------------------------------


def test_explanation_lists_candidates_terms_and_reasons():
    nodes = [
        node("WIN", 10, {"A": 5}),
        node("RUNNER", 60, {"A": 5}),
        node("EMPTY", 5, {"A": 0}),
        node("FULL", 6, {"A": 5}, daily_capacity=3, open_fulfillments=3),
        node("GUARDED", 7, {"A": 1}, protected={"A": 1}),
        node("NOSHIP", 8, {"A": 5}, can_ship=False),
    ]
    plan = plan_order(ship(("A", 2)), nodes, POLICY)
    explanation = plan.explanation
    assert explanation.reason == "lowest total cost 6.00 vs next 7.50 at RUNNER"
    by_code = {c.code: c for c in explanation.candidates}
    assert set(by_code) == {n.code for n in nodes}
    assert by_code["WIN"].status == "selected" and by_code["RUNNER"].status == "considered"
    assert by_code["RUNNER"].terms.shipping == 600 and by_code["RUNNER"].terms.total == 750
    assert {c: by_code[c].reason for c in ("EMPTY", "FULL", "GUARDED", "NOSHIP")} == {
        "EMPTY": Exclusion.NO_STOCK, "FULL": Exclusion.NO_CAPACITY,
        "GUARDED": Exclusion.PROTECTED, "NOSHIP": Exclusion.CANNOT_SHIP}
    data = json.loads(json.dumps(plan.to_dict()))
    assert data["total_cost"] == 6.0
    assert data["explanation"]["strategy"] == "milp"
    win = next(c for c in data["explanation"]["candidates"] if c["code"] == "WIN")
    assert win["terms"] == {"shipping": 4.5, "handling": 1.5, "split": 0.0, "capacity": 0.0,
                            "protection": 0.0, "excess_bonus": 0.0, "total": 6.0}


def test_explanation_of_a_lone_candidate():
    plan = plan_order(ship(("A", 1)), [node("ONLY", 10, {"A": 1})], POLICY)
    assert plan.explanation.reason == "only ONLY can serve the whole order (total cost 6.00)"


# --- endless aisle -----------------------------------------------------------------------------


def endless_aisle_nodes() -> list[Candidate]:
    return [node("STORE", 0, {"A": 0}, can_pickup=True), node("DC", 80, {"A": 9}, kind="dc"),
            node("SHOP", 20, {"A": 9}, can_ship=False)]


def test_endless_aisle_is_off_unless_the_policy_allows_it():
    order = pickup("STORE", ("A", 1))
    with pytest.raises(InsufficientStock) as err:
        plan_order(order, endless_aisle_nodes(), POLICY)
    assert err.value.data["lines"] == [{"sku": "A", "requested": 1, "available": 0}]
    allowed = SourcingPolicy(allow_endless_aisle=True)
    assert sources(plan_order(order, endless_aisle_nodes(), allowed)) == {"DC": {"A": 1}}


def test_endless_aisle_transfers_into_the_store_when_allowed():
    policy = SourcingPolicy(allow_endless_aisle=True, transfer_days=3)
    plan = plan_order(pickup("STORE", ("A", 1)), endless_aisle_nodes(), policy)
    (shipment,) = plan.shipments
    assert (shipment.location, shipment.mode, shipment.transfer_days) == ("DC", Mode.TRANSFER, 3)
    shop = next(c for c in plan.explanation.candidates if c.code == "SHOP")
    assert shop.reason is Exclusion.CANNOT_SHIP


def test_endless_aisle_prefers_the_pickup_store_when_it_has_stock():
    nodes = endless_aisle_nodes()
    nodes[0] = node("STORE", 0, {"A": 1}, can_pickup=True)
    policy = SourcingPolicy(allow_endless_aisle=True)
    plan = plan_order(pickup("STORE", ("A", 1)), nodes, policy)
    assert sources(plan) == {"STORE": {"A": 1}}
    assert plan.total_cost == pytest.approx(1.50)  # handling only


def test_other_stores_are_excluded_from_pickup_without_endless_aisle():
    nodes = endless_aisle_nodes()
    nodes[0] = node("STORE", 0, {"A": 1}, can_pickup=True)
    plan = plan_order(pickup("STORE", ("A", 1)), nodes, POLICY)
    reasons = {c.code: c.reason for c in plan.explanation.candidates}
    assert reasons["DC"] is Exclusion.ENDLESS_AISLE_DISABLED


# --- input errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(("order", "field"), [
    (SourcingOrder("o", (), Delivery("ship", *HOME)), "lines"),
    (SourcingOrder("o", (OrderLine("A", 0),), Delivery("ship", *HOME)), "lines[0].quantity"),
    (SourcingOrder("o", (OrderLine("", 1),), Delivery("ship", *HOME)), "lines[0].sku"),
    (SourcingOrder("o", (OrderLine("A", 1),), Delivery("drone", *HOME)), "delivery.method"),
    (SourcingOrder("o", (OrderLine("A", 1),), Delivery("ship", 95, 2)), "delivery.latitude"),
    (SourcingOrder("o", (OrderLine("A", 1),), Delivery("pickup", location="NOPE")),
     "delivery.location"),
    (SourcingOrder("o", (OrderLine("A", 1),), Delivery("pickup", location="N")),
     "delivery.location"),  # N does not offer pickup
])
def test_invalid_orders_name_the_field(order, field):
    with pytest.raises(InvalidInput) as err:
        plan_order(order, [node("N", 5, {"A": 5})], POLICY)
    assert err.value.field == field


def test_candidate_codes_must_be_unique():
    with pytest.raises(InvalidInput) as err:
        plan_order(ship(("A", 1)), [node("N", 5, {"A": 5}), node("N", 9, {"A": 5})], POLICY)
    assert err.value.field == "candidates"


def test_insufficient_stock_names_only_the_short_lines():
    nodes = [node("N", 5, {"A": 5, "B": 1}), node("M", 50, {"B": 1, "C": 0})]
    with pytest.raises(InsufficientStock) as err:
        plan_order(ship(("A", 2), ("B", 3), ("C", 1)), nodes, POLICY)
    assert err.value.data["lines"] == [{"sku": "B", "requested": 3, "available": 2},
                                       {"sku": "C", "requested": 1, "available": 0}]


def test_duplicate_lines_are_merged():
    plan = plan_order(ship(("A", 1), ("A", 2)), [node("N", 5, {"A": 3})], POLICY)
    assert sources(plan) == {"N": {"A": 3}}


# --- policy ------------------------------------------------------------------------------------


def test_rate_table_bands_then_per_km_beyond():
    table = RateTable((RateBand(10, 3.0), RateBand(50, 5.0)), per_km_beyond=0.02)
    assert [table.cost_cents(km) for km in (0, 10, 10.1, 50, 150)] == [300, 300, 500, 500, 700]
    assert RateTable((), 0.1).cost_cents(25) == 250


def test_policy_round_trips_through_json():
    policy = SourcingPolicy(rate_table=RateTable((RateBand(30, 5.0),), 0.02), handling_cost=2.25,
                            allow_endless_aisle=True, milp_max_variables=100,
                            store_protection_units=1, bopis_hold_hours=48)
    again = SourcingPolicy.from_dict(json.loads(json.dumps(policy.to_dict())))
    assert again == policy
    assert SourcingPolicy.from_dict({}) == SourcingPolicy()


def test_missing_policy_fields_take_their_defaults():
    policy = SourcingPolicy.from_dict({"rate_table": {"per_km_beyond": 0.05}, "split_penalty": 1})
    assert policy.rate_table == RateTable(per_km_beyond=0.05)
    assert policy.split_penalty == 1.0 and policy.handling_cost == SourcingPolicy().handling_cost
    bands = SourcingPolicy.from_dict({"rate_table": {"bands": []}}).rate_table
    assert bands == RateTable((), RateTable().per_km_beyond)


@pytest.mark.parametrize(("data", "field"), [
    ({"handling_cost": -1}, "handling_cost"),
    ({"split_penalty": "3"}, "split_penalty"),
    ({"capacity_penalty": 1.005}, "capacity_penalty"),
    ({"excess_bonus": None}, "excess_bonus"),
    ({"protection_penalty": float("inf")}, "protection_penalty"),
    ({"store_protection_units": 1.5}, "store_protection_units"),
    ({"store_protection_units": -1}, "store_protection_units"),
    ({"allow_endless_aisle": "yes"}, "allow_endless_aisle"),
    ({"transfer_days": -2}, "transfer_days"),
    ({"milp_max_variables": True}, "milp_max_variables"),
    ({"bopis_hold_hours": 0}, "bopis_hold_hours"),
    ({"rate_table": []}, "rate_table"),
    ({"rate_table": {"bands": {}}}, "rate_table.bands"),
    ({"rate_table": {"bands": [{"max_km": 10, "cost": 3}, {"max_km": 5, "cost": 4}]}},
     "rate_table.bands[1].max_km"),
    ({"rate_table": {"bands": [{"max_km": 10, "cost": 3}, {"max_km": 50, "cost": 2}]}},
     "rate_table.bands[1].cost"),
    ({"rate_table": {"bands": [{"max_km": 10}]}}, "rate_table.bands[0].cost"),
    ({"rate_table": {"bands": [{"max_km": 10, "cost": 1, "zone": 2}]}},
     "rate_table.bands[0].zone"),
    ({"rate_table": {"per_km_beyond": -0.1}}, "rate_table.per_km_beyond"),
    ({"handling": 1}, "handling"),
])
def test_policy_validation_names_the_field(data, field):
    with pytest.raises(InvalidInput) as err:
        SourcingPolicy.from_dict(data)
    assert err.value.field == field


def test_policy_must_be_an_object():
    with pytest.raises(InvalidInput) as err:
        SourcingPolicy.from_dict([1])
    assert err.value.field == "policy"
