"""An order's endless-aisle leg is a transfer record that follows its fulfillment, while its
units stay bound to the order (never offered again in future ATP)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from omnistock.domain.errors import InvalidState
from omnistock.services import transfers
from omnistock.services.availability import availability
from omnistock.services.orders import act, cancel_order
from omnistock.services.verify import verify
from omnistock.store.tables import inbound

from .test_orders import buckets, order, retailer

PICKUP = {"method": "pickup", "location": "S2"}
POLICY = {"allow_endless_aisle": True, "transfer_days": 2}


def leg(db, order_id: str) -> dict:
    [t] = transfers.list_transfers(db, order_id=order_id)["transfers"]
    return transfers.get_transfer(db, t["id"])


def test_the_leg_is_a_transfer_that_follows_its_fulfillment(db):
    retailer(db, {("A", "DC"): 4}, policy=POLICY)
    order(db, "O-1", [("A", 2)], PICKUP)
    t = leg(db, "O-1")
    assert (t["status"], t["from_location"], t["to_location"], t["fulfillment"]) == (
        "requested", "DC", "S2", 1)
    assert t["allowed_actions"] == []  # the order's fulfillment moves it
    with pytest.raises(InvalidState):
        transfers.ship(db, t["id"])
    for action in ("pick", "pack", "ship"):
        act(db, "O-1", 1, action)
    t = leg(db, "O-1")
    assert (t["status"], t["lines"][0]["in_transit"]) == ("shipped", 2)
    assert [x["id"] for x in transfers.list_transfers(
        db, status="in_transit", location="S2", sku="A")["transfers"]] == [t["id"]]
    with db.engine.connect() as c:
        [(kind, reference)] = c.execute(select(inbound.c.kind, inbound.c.reference)).all()
    assert (kind, reference) == ("order", "O-1")  # bound to the order
    future = availability(db, "A", horizon_days=7)
    assert future["future_available"] == future["available"]  # not offered again
    act(db, "O-1", 1, "ready")
    t = leg(db, "O-1")
    assert (t["status"], t["lines"][0]["received"]) == ("received", 2)
    assert [e["event"] for e in t["history"]] == ["requested", "shipped", "received"]
    assert verify(db) == []


def test_a_leg_cancelled_before_it_ships_is_a_cancelled_transfer(db):
    retailer(db, {("A", "DC"): 4}, policy=POLICY)
    order(db, "O-1", [("A", 1)], PICKUP)
    cancel_order(db, "O-1")
    assert leg(db, "O-1")["status"] == "cancelled"


def test_a_short_leg_with_nothing_found_is_a_cancelled_transfer(db):
    retailer(db, {("A", "DC"): 4}, policy=POLICY)
    order(db, "O-1", [("A", 1)], PICKUP)
    act(db, "O-1", 1, "short", found=0)
    [first, *_] = sorted(transfers.list_transfers(db, order_id="O-1")["transfers"],
                         key=lambda t: t["fulfillment"])
    assert (first["fulfillment"], first["status"]) == (1, "cancelled")


def test_a_box_on_its_way_for_a_cancelled_order_is_received_as_stock(db):
    retailer(db, {("A", "DC"): 4}, policy=POLICY)
    order(db, "O-1", [("A", 3)], PICKUP)
    for action in ("pick", "pack", "ship"):
        act(db, "O-1", 1, action)
    cancel_order(db, "O-1")
    t = leg(db, "O-1")
    assert (t["status"], t["allowed_actions"]) == ("shipped", ["receive", "close"])
    assert t["history"][-1]["event"] == "released"
    got = transfers.receive(db, t["id"], [{"sku": "A", "quantity": 2}])
    assert got["status"] == "partly_received"
    transfers.close(db, t["id"], "one unit never arrived")
    s2 = buckets(db, "A", "S2")
    assert (s2["on_hand"], s2["incoming"], s2["committed"]) == (2, 0, 0)
    assert verify(db) == []
