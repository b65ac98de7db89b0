"""Return dispositions as a table, one row per rule, the rules' parsing, and the limit of a
return against an order."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnistock.domain.errors import InvalidInput, InvalidState
from omnistock.domain.return_rules import DEFAULT_POLICY, ReturnPolicy
from omnistock.domain.returns import (
    MOVEMENTS,
    Action,
    Condition,
    OrderLineSale,
    Shelf,
    check_returnable,
    decide,
)

C, A = Condition, Action
HERE_SELLS_EMPTY = Shelf("S1", "store", True, free=0, latitude=51.5, longitude=-0.1)
HERE_SELLS_FULL = Shelf("S1", "store", True, free=6, latitude=51.5, longitude=-0.1)
HERE_NOT_SELLING = Shelf("S1", "store", False, latitude=51.5, longitude=-0.1)
NEAR_DC = Shelf("DC-N", "dc", False, latitude=51.6, longitude=-0.2)
FAR_DC = Shelf("DC-F", "dc", False, latitude=55.9, longitude=-3.2)
SHORT_STORE = Shelf("S2", "store", True, free=0, safety_stock=3)
SHORTER_STORE = Shelf("S3", "store", True, free=1, safety_stock=5)
NETWORK = (FAR_DC, NEAR_DC)

# condition, here, others -> action, location, rule (of the built-in policy)
TABLE = [
    pytest.param(C.SELLABLE, HERE_SELLS_EMPTY, NETWORK, A.RESTOCK, "S1", "restock_here",
                 id="restock_here: sold here and under target"),
    pytest.param(C.SELLABLE, HERE_SELLS_FULL, (*NETWORK, SHORT_STORE, SHORTER_STORE),
                 A.TRANSFER, "S3", "transfer_where_needed",
                 id="transfer_where_needed: at target here, to the store furthest below"),
    pytest.param(C.SELLABLE, HERE_NOT_SELLING, NETWORK, A.TRANSFER, "DC-N",
                 "transfer_where_needed",
                 id="transfer_where_needed: not sold here, none short, the nearest DC"),
    pytest.param(C.SELLABLE, HERE_SELLS_FULL, (), A.RESTOCK, "S1", "transfer_where_needed",
                 id="transfer_where_needed: nowhere to go, restocked here"),
    pytest.param(C.SELLABLE, Shelf("DC-N", "dc", True, free=9), (FAR_DC,), A.RESTOCK, "DC-N",
                 "transfer_where_needed",
                 id="transfer_where_needed: back at a DC, no store short, it stays"),
    pytest.param(C.DAMAGED, HERE_SELLS_EMPTY, NETWORK, A.DAMAGED, "S1", "damaged",
                 id="damaged: the damaged bucket here"),
    pytest.param(C.DEFECTIVE, HERE_SELLS_EMPTY, NETWORK, A.RETURN_TO_VENDOR, "S1",
                 "return_to_vendor", id="return_to_vendor: defective"),
    pytest.param(C.OPEN_BOX, HERE_SELLS_EMPTY, NETWORK, A.QUALITY_CONTROL, "S1",
                 "open_box_inspection", id="open_box_inspection: quality control"),
]


@pytest.mark.parametrize(("condition", "here", "others", "action", "location", "rule"), TABLE)
def test_the_built_in_rules(condition, here, others, action, location, rule):
    d = decide(condition, here, others)
    assert (d.action, d.location, d.rule) == (action, location, rule)
    assert d.reason


def test_every_built_in_rule_has_its_row():
    rows = {p.values[5] for p in TABLE}
    assert rows == {r.name for r in DEFAULT_POLICY.rules}


def test_the_target_is_the_larger_of_safety_stock_and_the_par_level():
    buffered = Shelf("S1", "store", True, free=2, safety_stock=3)
    assert decide(C.SELLABLE, buffered, NETWORK).action is A.RESTOCK  # 2 < 3
    policy = ReturnPolicy(DEFAULT_POLICY.rules, par_level=5)
    assert decide(C.SELLABLE, HERE_SELLS_FULL, NETWORK, policy).action is A.TRANSFER  # 6 >= 5
    assert decide(C.SELLABLE, Shelf("S1", "store", True, free=4), NETWORK,
                  policy).action is A.RESTOCK
    assert decide(C.SELLABLE, Shelf("S1", "store", True, free=0), NETWORK,
                  ReturnPolicy(DEFAULT_POLICY.rules, par_level=0)).action is A.TRANSFER


def test_a_policy_of_rules_as_data_decides_in_order():
    policy = ReturnPolicy.from_dict({"par_level": 2, "rules": [
        {"name": "all_to_hub", "condition": "sellable", "action": "transfer", "to": "HUB"},
        {"name": "open_box_sellable", "condition": "open_box", "action": "restock"},
        {"name": "d", "condition": "damaged", "action": "return_to_vendor"},
        {"name": "v", "condition": "defective", "action": "return_to_vendor"}]})
    hub = Shelf("HUB", "store", False)
    d = decide(C.SELLABLE, HERE_SELLS_EMPTY, (*NETWORK, hub), policy)
    assert (d.action, d.location, d.rule) == (A.TRANSFER, "HUB", "all_to_hub")
    assert decide(C.OPEN_BOX, HERE_SELLS_EMPTY, NETWORK, policy).action is A.RESTOCK
    assert decide(C.DAMAGED, HERE_SELLS_EMPTY, NETWORK, policy).action is A.RETURN_TO_VENDOR
    assert decide(C.SELLABLE, HERE_SELLS_EMPTY, NETWORK, policy).action is A.RESTOCK  # no HUB
    to_dc = ReturnPolicy.from_dict({"rules": [
        {"name": f"dc_{c.value}", "condition": c.value, "action": "transfer",
         "to": "dc"} for c in C]})
    assert decide(C.SELLABLE, HERE_SELLS_EMPTY, NETWORK, to_dc).location == "DC-N"
    assert ReturnPolicy.from_dict(to_dc.to_dict()) == to_dc


@pytest.mark.parametrize(("policy", "field"), [
    ({"rules": []}, "rules"),
    ({"rules": [{"name": "x", "condition": "sellable", "action": "restock"}]}, "rules"),
    ({"rules": [{"name": "x", "condition": "new", "action": "restock"}]}, "rules[0].condition"),
    ({"rules": [{"name": "x", "condition": "sellable", "action": "burn"}]}, "rules[0].action"),
    ({"rules": [{"name": "x", "condition": "sellable", "action": "restock",
                 "when": ["raining"]}]}, "rules[0].when"),
    ({"rules": [{"name": "x", "condition": "sellable", "action": "restock", "to": "S2"}]},
     "rules[0].to"),
    ({"rules": [{"name": "x", "condition": "sellable", "action": "restock", "colour": 1}]},
     "rules[0].colour"),
    ({"rules": [{"name": "x", "condition": "sellable", "action": "restock"},
                {"name": "x", "condition": "damaged", "action": "damaged"}]}, "rules[1].name"),
    ({"par_level": -1, "rules": []}, "par_level"),
    ({"par_level": True, "rules": []}, "par_level"),
    ([], "policy"),
])
def test_a_bad_policy_names_the_field(policy, field):
    with pytest.raises(InvalidInput) as e:
        ReturnPolicy.from_dict(policy)
    assert e.value.field == field


def test_each_action_returns_the_units_first_and_keeps_the_unsellable_ones_out():
    for action, steps in MOVEMENTS.items():
        assert steps[0][0].value == "return", action
    assert [t.value for t, _ in MOVEMENTS[A.QUALITY_CONTROL]] == ["return", "quality_control_in"]
    assert [r for _, r in MOVEMENTS[A.RETURN_TO_VENDOR]] == ["customer_return",
                                                             "return_to_vendor"]


def test_a_return_against_an_order_is_bounded_by_what_it_sold():
    sale = OrderLineSale(sold=3, delivered=3, returned=1)
    assert check_returnable("O-1", "A", sale, 2) is False
    with pytest.raises(InvalidState) as e:
        check_returnable("O-1", "A", sale, 3)
    assert (e.value.field, e.value.data["returnable"]) == ("quantity", 2)
    with pytest.raises(InvalidInput) as no_sale:
        check_returnable("O-1", "B", OrderLineSale(0, 0, 0), 1)
    assert no_sale.value.field == "sku"
    assert check_returnable("O-1", "A", OrderLineSale(3, 0, 0), 1) is True  # before shipment


@given(sold=st.integers(0, 20), delivered=st.integers(0, 20),
       returns=st.lists(st.integers(1, 5), max_size=10))
def test_accepted_returns_never_sum_past_what_was_sold(sold, delivered, returns):
    returned = 0
    for q in returns:
        try:
            check_returnable("O", "A", OrderLineSale(sold, min(delivered, sold), returned), q)
        except (InvalidInput, InvalidState):
            continue
        returned += q
    assert returned <= sold


shelves = st.builds(
    Shelf, location=st.sampled_from(["S2", "S3", "D1", "D2"]),
    kind=st.sampled_from(["store", "dark_store", "dc", "3pl"]), sells=st.booleans(),
    free=st.integers(-5, 10), safety_stock=st.integers(0, 5),
    latitude=st.none() | st.floats(-60, 60), longitude=st.none() | st.floats(-170, 170))


@given(condition=st.sampled_from(list(Condition)), sells=st.booleans(), free=st.integers(-5, 10),
       others=st.lists(shelves, max_size=6, unique_by=lambda s: s.location),
       par=st.integers(0, 5))
def test_every_return_finds_a_disposition_and_a_transfer_leaves_the_store(
        condition, sells, free, others, par):
    here = Shelf("S1", "store", sells, free=free)
    d = decide(condition, here, others, ReturnPolicy(DEFAULT_POLICY.rules, par_level=par))
    if d.action is Action.TRANSFER:
        target = next(s for s in others if s.location == d.location)
        assert target.kind == "dc" or (target.sells and target.shortfall(par) > 0)
    else:
        assert d.location == "S1"
    assert (d.action is Action.RESTOCK) == (condition is Condition.SELLABLE and (
        (sells and free < par) or not any(
            s.kind == "dc" or (s.sells and s.kind in ("store", "dark_store")
                               and s.shortfall(par) > 0) for s in others)))
