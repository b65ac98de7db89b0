"""Order status, the legs of a transfer, and what a fulfillment may do next (no database)."""

from __future__ import annotations

from typing import Any

import pytest

from omnistock.services.orders.view import (
    acting_location,
    actions,
    held_at,
    is_done,
    leg,
    order_status,
)


def f(status: str, kind: str = "ship", number: int = 1) -> dict[str, Any]:
    return {"number": number, "kind": kind, "status": status, "location": "DC", "location_id": 1,
            "destination": "S2" if kind == "transfer" else None,
            "destination_id": 2 if kind == "transfer" else None}


@pytest.mark.parametrize(("statuses", "expected"), [
    (["allocated", "allocated"], "allocated"),
    (["allocated", "picking"], "in_progress"),
    (["shipped", "packed"], "in_progress"),
    (["shipped", "cancelled"], "fulfilled"),
    (["picked_up", "ready_for_pickup"], "ready_for_pickup"),
    (["cancelled"], "cancelled"),
])
def test_order_status_follows_its_live_fulfillments(statuses, expected):
    assert order_status([f(s) for s in statuses], [], cancelled=False) == expected


def test_unsourced_units_make_an_order_short_until_cancelled():
    assert order_status([f("allocated")], [{"sku": "A", "quantity": 1}], False) == "short"
    assert order_status([f("allocated")], [{"sku": "A", "quantity": 1}], True) == "cancelled"


def test_a_shipped_transfer_is_not_done_until_picked_up():
    transfer = f("shipped", "transfer")
    assert not is_done(transfer)
    assert order_status([transfer], [], False) == "in_progress"
    assert leg(transfer, "pickup") == ("allocated", "pickup")
    assert acting_location(transfer) == "S2"
    assert actions(transfer, "pickup") == ["ready"]
    assert held_at(transfer) is None


def test_a_transfer_first_leg_is_a_shipment_from_its_source():
    transfer = f("packed", "transfer")
    assert leg(transfer, "pickup") == ("packed", "ship")
    assert actions(transfer, "pickup") == ["ship"]
    assert acting_location(transfer) == "DC"
    assert held_at(transfer) == (1, "DC")
    received = f("ready_for_pickup", "transfer")
    assert held_at(received) == (2, "S2")
    assert actions(received, "pickup") == ["pickup"]


def test_cancel_is_never_offered_per_fulfillment():
    assert actions(f("allocated"), "ship") == ["pick", "short"]
    assert actions(f("allocated", "pickup"), "curbside") == ["pick", "ready", "short"]
    assert actions(f("shipped"), "ship") == []
