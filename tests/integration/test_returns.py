"""Returns on SQLite and PostgreSQL: each disposition's buckets, buy online return in store,
a BOPIS order returned at another store, a return before its shipment is recorded, the limit
of what an order sold (also under concurrency), idempotency, events and the rules per scope;
the ledger must verify after each."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import select

from omnistock.domain.errors import (
    DomainError,
    IdempotencyConflict,
    InvalidInput,
    InvalidState,
    NotFound,
    UnknownReference,
)
from omnistock.services.movements import apply_movement
from omnistock.services.orders import act
from omnistock.services.return_rules import clear_rules, get_rules, set_rules
from omnistock.services.returns import ReturnRequest, get_return, list_returns, record_return
from omnistock.services.verify import verify
from omnistock.store.database import Database
from omnistock.store.return_tables import returns
from omnistock.store.tables import outbox

from ..factories import movement
from .test_orders import LYON, buckets, order, retailer


def give_back(db: Database, sku: str = "A", quantity: int = 1, location: str = "S1",
              condition: str = "sellable", **kw: Any) -> dict[str, Any]:
    done = record_return(db, ReturnRequest(sku, quantity, location, condition, **kw),
                         actor="test")
    assert done.created
    return done.view


def sold_out_at(db: Database, sku: str, location: str) -> None:
    """A position of the item at the location, with nothing left on the shelf."""
    apply_movement(db, movement("receipt", 1, sku=sku, location=location))
    apply_movement(db, movement("sale", 1, sku=sku, location=location))


def test_sellable_is_restocked_where_it_sells_and_is_under_target(db):
    retailer(db, {("A", "DC"): 10})
    sold_out_at(db, "A", "S1")
    view = give_back(db, quantity=2)
    assert view["disposition"] == {
        "action": "restock", "location": "S1", "rule": "restock_here", "scope": "built-in",
        "reason": "sellable; S1 has 0 free of a target of 1: restocked here"}
    assert [(m["type"], m["deltas"]) for m in view["movements"]] == [
        ("return", {"on_hand": 2})]
    assert buckets(db, "A", "S1")["available"] == 2
    assert verify(db) == []


def test_sellable_goes_where_it_is_needed_else_to_the_dc(db):
    retailer(db, {("A", "DC"): 10, ("A", "S1"): 5})
    sold_out_at(db, "A", "S2")
    needed = give_back(db)
    assert needed["disposition"]["action"] == "transfer"
    assert needed["disposition"]["location"] == "S2"
    assert needed["disposition"]["rule"] == "transfer_where_needed"
    # the units wait on hand here until the transfer takes them
    assert buckets(db, "A", "S1")["on_hand"] == 6
    apply_movement(db, movement("receipt", 4, sku="A", location="S2"))
    to_dc = give_back(db)["disposition"]
    assert (to_dc["action"], to_dc["location"]) == ("transfer", "DC")
    assert "no location is below its target" in to_dc["reason"]
    not_sold = give_back(db, "B")["disposition"]  # S1 has never held B
    assert (not_sold["action"], not_sold["location"]) == ("transfer", "DC")
    assert "S1 does not sell it" in not_sold["reason"]
    assert verify(db) == []


@pytest.mark.parametrize(("condition", "action", "bucket", "reason"), [
    ("damaged", "damaged", "damaged", "return_damaged"),
    ("defective", "return_to_vendor", "damaged", "return_to_vendor"),
    ("open_box", "quality_control", "quality_control", "open_box"),
])
def test_unsellable_returns_arrive_on_hand_and_stay_out_of_availability(
        db, condition, action, bucket, reason):
    retailer(db, {("A", "S1"): 2})
    view = give_back(db, quantity=3, condition=condition, reason="customer said so")
    assert (view["disposition"]["action"], view["disposition"]["location"]) == (action, "S1")
    assert [(m["type"], m["reason"]) for m in view["movements"]] == [
        ("return", "customer_return"), (view["movements"][1]["type"], reason)]
    s1 = buckets(db, "A", "S1")
    assert (s1["on_hand"], s1[bucket], s1["available"]) == (5, 3, 2)
    assert get_return(db, view["id"]) == view
    assert verify(db) == []


def shipped_from_the_dc(db: Database, order_id: str = "O-1", quantity: int = 2) -> None:
    placed = order(db, order_id, [("A", quantity)], LYON)
    assert [f["location"] for f in placed["fulfillments"]] == ["DC"]
    for step in ("pick", "pack", "ship"):
        act(db, order_id, 1, step)


def test_buy_online_return_in_store_up_to_what_was_sold(db):
    clock = retailer(db, {("A", "DC"): 10})
    shipped_from_the_dc(db)
    first = give_back(db, order_id="O-1", location="S1")
    assert (first["order_id"], first["before_shipment"]) == ("O-1", False)
    clock.advance(minutes=5)
    give_back(db, order_id="O-1", location="S2", condition="damaged")
    with pytest.raises(InvalidState) as refused:
        record_return(db, ReturnRequest("A", 1, "S1", "sellable", order_id="O-1"))
    assert refused.value.field == "quantity"
    assert refused.value.data == {"sold": 2, "returned": 2, "returnable": 0}
    assert [r["location"] for r in list_returns(db, order_id="O-1")["returns"]] == ["S2", "S1"]
    assert buckets(db, "A", "DC")["on_hand"] == 8
    assert verify(db) == []


def test_a_bopis_order_is_returned_at_another_store(db):
    retailer(db, {("A", "S1"): 3})
    order(db, "O-1", [("A", 2)], {"method": "pickup", "location": "S1"})
    act(db, "O-1", 1, "ready")
    act(db, "O-1", 1, "pickup")
    view = give_back(db, quantity=2, order_id="O-1", location="S2")
    assert view["location"] == "S2" and not view["before_shipment"]
    assert buckets(db, "A", "S2")["on_hand"] == 2
    assert buckets(db, "A", "S1")["on_hand"] == 1
    assert verify(db) == []


def test_a_return_before_its_shipment_is_recorded_is_accepted_up_to_the_order(db):
    retailer(db, {("A", "DC"): 10})
    order(db, "O-1", [("A", 2)], LYON)  # allocated at the DC, no shipment recorded yet
    early = give_back(db, order_id="O-1", location="S1")
    assert early["before_shipment"] is True
    with pytest.raises(InvalidState):
        record_return(db, ReturnRequest("A", 2, "S1", "sellable", order_id="O-1"))
    for step in ("pick", "pack", "ship"):  # the shipment feed catches up
        act(db, "O-1", 1, step)
    dc = buckets(db, "A", "DC")
    assert (dc["on_hand"], dc["committed"]) == (8, 0)
    assert give_back(db, order_id="O-1", location="S1")["before_shipment"] is False
    assert verify(db) == []


def test_returns_against_a_cancelled_or_unknown_order_or_line_are_refused(db):
    retailer(db, {("A", "DC"): 10, ("B", "DC"): 1})
    order(db, "O-1", [("A", 1)], LYON)
    with pytest.raises(InvalidInput) as not_on_order:
        record_return(db, ReturnRequest("B", 1, "S1", "sellable", order_id="O-1"))
    assert not_on_order.value.field == "sku"
    with pytest.raises(UnknownReference) as unknown:
        record_return(db, ReturnRequest("A", 1, "S1", "sellable", order_id="NOPE"))
    assert unknown.value.field == "order_id"
    from omnistock.services.orders import cancel_order

    cancel_order(db, "O-1")
    with pytest.raises(InvalidInput):
        record_return(db, ReturnRequest("A", 1, "S1", "sellable", order_id="O-1"))
    with pytest.raises(InvalidInput) as bad:
        record_return(db, ReturnRequest("A", 1, "S1", "broken"))
    assert bad.value.field == "condition"
    with pytest.raises(NotFound):
        get_return(db, "nope")
    assert list_returns(db)["returns"] == []
    assert verify(db) == []


def test_the_external_id_makes_a_return_once(db):
    retailer(db, {("A", "S1"): 1})
    first = record_return(db, ReturnRequest("A", 1, "S1", "damaged", external_id="till-1:1"))
    again = record_return(db, ReturnRequest("A", 1, "S1", "damaged", external_id="till-1:1"))
    assert (first.created, again.created) == (True, False)
    assert again.view == first.view
    with pytest.raises(IdempotencyConflict) as conflict:
        record_return(db, ReturnRequest("A", 2, "S1", "damaged", external_id="till-1:1"))
    assert conflict.value.field == "external_id"
    assert buckets(db, "A", "S1")["on_hand"] == 2
    assert len(list_returns(db, location="S1")["returns"]) == 1
    assert verify(db) == []


def test_a_return_is_announced_through_the_outbox(db):
    retailer(db, {("A", "S1"): 1})
    view = give_back(db, condition="open_box", reason="box opened")
    with db.engine.connect() as c:
        events = [dict(r) for r in c.execute(
            select(outbox).where(outbox.c.type == "return.recorded")).mappings()]
    assert [e["subject"] for e in events] == [view["id"]]
    data = events[0]["data"]
    assert (data["sku"], data["condition"], data["disposition"]["action"]) == (
        "A", "open_box", "quality_control")
    assert "movements" not in data


def every(action: str, **kw: str) -> dict[str, Any]:
    """Rules sending every condition to one action."""
    return {"rules": [{"name": f"{action}_{c}", "condition": c, "action": action, **kw}
                      for c in ("sellable", "damaged", "defective", "open_box")]}


def test_rules_per_location_and_channel_override_the_default(db):
    retailer(db, {("A", "DC"): 10, ("A", "S2"): 5})
    sold_out_at(db, "A", "S1")
    assert get_rules(db)["source"] == "built-in"
    set_rules(db, every("transfer", to="S2"), channel="web", actor="admin")
    plain = give_back(db)["disposition"]
    assert plain["rule"] == "restock_here"  # no order: the channel's rules do not apply
    via_web = order(db, "O-1", [("A", 1)], LYON)
    for step in ("pick", "pack", "ship"):
        act(db, "O-1", via_web["fulfillments"][0]["id"], step)
    online = give_back(db, order_id="O-1")["disposition"]
    assert (online["action"], online["location"], online["scope"]) == (
        "transfer", "S2", "channel:web")
    set_rules(db, {"par_level": 0, **every("restock")}, location="S1")
    assert get_rules(db, location="S1")["source"] == "location:S1"
    kept = give_back(db, condition="damaged")
    assert (kept["disposition"]["rule"], [m["type"] for m in kept["movements"]]) == (
        "restock_damaged", ["return"])
    assert clear_rules(db, location="S1")["source"] == "built-in"
    assert get_rules(db, channel="web")["source"] == "channel:web"
    with pytest.raises(UnknownReference) as unknown:
        set_rules(db, every("transfer", to="MOON"))
    assert unknown.value.field == "rules[0].to"
    with pytest.raises(NotFound):
        get_rules(db, location="MOON")
    assert verify(db) == []


def test_concurrent_returns_of_the_last_unit_sold_take_it_once(db):
    retailer(db, {("A", "DC"): 10})
    shipped_from_the_dc(db, quantity=1)
    start, outcomes = threading.Barrier(4), []

    def attempt(i: int) -> None:
        start.wait()
        try:
            record_return(db, ReturnRequest("A", 1, f"S{1 + i % 2}", "sellable",
                                            order_id="O-1"))
            outcomes.append("ok")
        except DomainError as e:
            outcomes.append(type(e).__name__)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["InvalidState"] * 3 + ["ok"]
    with db.engine.connect() as c:
        assert c.execute(select(returns.c.quantity)).scalars().all() == [1]
    assert verify(db) == []
