"""Orders on SQLite and PostgreSQL: placing (all or nothing), idempotency, BOPIS, ship from
store, short picks, cancels, no-shows, endless aisle; the ledger must always verify."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from omnistock.domain.catalog import Item, Location
from omnistock.domain.errors import (
    IdempotencyConflict,
    InsufficientStock,
    InvalidInput,
    InvalidState,
    NotFound,
)
from omnistock.services import catalog, reservations
from omnistock.services.availability import availability
from omnistock.services.context import Store
from omnistock.services.movements import apply_movement
from omnistock.services.orders import (
    cancel_order,
    expire_no_shows,
    get_order,
    list_orders,
    location_work,
    place_order,
)
from omnistock.services.orders_fulfillment import act
from omnistock.services.orders_policy import get_policy, set_policy
from omnistock.services.verify import verify
from omnistock.store.tables import inbound, movements, outbox, refusals

from ..factories import T0, movement

LYON = {"method": "ship", "latitude": 45.75, "longitude": 4.85}
PARIS = {"method": "ship", "latitude": 48.86, "longitude": 2.34}
NODES = [  # code, kind, latitude, longitude, can_pickup
    ("DC", "dc", 48.85, 2.35, False),
    ("S1", "store", 45.76, 4.84, True),
    ("S2", "store", 43.30, 5.37, True),
]


class Clock:
    def __init__(self) -> None:
        self.t = T0 + timedelta(hours=1)

    def __call__(self):  # type: ignore[no-untyped-def]
        return self.t

    def advance(self, **kw: float) -> None:
        self.t += timedelta(**kw)


def retailer(store: Store, stock: dict[tuple[str, str], int], *,
             policy: dict[str, Any] | None = None,
             capacity: dict[str, int] | None = None) -> Clock:
    """Items A and B; DC (Paris), S1 (Lyon), S2 (Marseille) on channel `web`; a settable clock."""
    clock = Clock()
    store.clock = clock
    for sku in ("A", "B"):
        catalog.create_item(store, Item(sku=sku))
    for code, kind, lat, lon, pickup in NODES:
        catalog.create_location(store, Location(
            code=code, kind=kind, latitude=lat, longitude=lon, can_ship=True,
            can_pickup=pickup, daily_capacity=(capacity or {}).get(code)))
    catalog.create_channel(store, "web", "Web", [n[0] for n in NODES], policy)
    for (sku, code), quantity in stock.items():
        apply_movement(store, movement("receipt", quantity, sku=sku, location=code))
    return clock


def buckets(store: Store, sku: str, code: str) -> dict[str, int]:
    for entry in availability(store, sku)["locations"]:
        if entry["location"] == code:
            return entry
    return {"on_hand": 0, "committed": 0, "available": 0, "incoming": 0}


def order_movements(store: Store) -> list[dict[str, Any]]:
    with store.engine.connect() as c:
        return [dict(r) for r in c.execute(select(movements).where(movements.c.source == "order")
                                           .order_by(movements.c.id)).mappings()]


def order(store: Store, order_id: str, lines: list[tuple[str, int]],
          delivery: dict[str, Any]) -> dict[str, Any]:
    placed = place_order(store, order_id, "web", [{"sku": s, "quantity": q} for s, q in lines],
                         delivery, actor="test")
    assert placed.created
    return placed.order


def test_a_ship_order_goes_to_the_cheapest_node_and_holds_its_units(store):
    retailer(store, {("A", "DC"): 10, ("A", "S1"): 5})
    placed = order(store, "O-1", [("A", 2)], LYON)
    assert placed["status"] == "allocated"
    [f] = placed["fulfillments"]
    assert (f["location"], f["kind"], f["lines"]) == ("S1", "ship", [{"sku": "A", "quantity": 2}])
    assert placed["explanation"]["candidates"][0]["code"] == "S1"
    assert "lowest total cost" in placed["explanation"]["reason"]
    assert buckets(store, "A", "S1")["committed"] == 2
    assert buckets(store, "A", "DC")["committed"] == 0
    [m] = order_movements(store)
    assert (m["type"], m["external_id"], m["d_committed"]) == ("allocate", "O-1:1:A:allocate", 2)
    assert get_order(store, "O-1")["history"][0]["event"] == "placed"
    assert verify(store) == []


def test_placing_is_idempotent_on_the_order_id(store):
    retailer(store, {("A", "S1"): 5})
    first = order(store, "O-1", [("A", 2)], LYON)
    again = place_order(store, "O-1", "web", [{"sku": "A", "quantity": 2}], LYON)
    assert not again.created
    assert again.order["fulfillments"] == first["fulfillments"]
    with pytest.raises(IdempotencyConflict):
        place_order(store, "O-1", "web", [{"sku": "A", "quantity": 3}], LYON)
    assert buckets(store, "A", "S1")["committed"] == 2


def test_a_multi_line_order_holds_every_line_or_nothing(store):
    retailer(store, {("A", "S1"): 5, ("B", "S1"): 1, ("B", "S2"): 1})
    with pytest.raises(InsufficientStock) as refused:
        place_order(store, "O-1", "web", [{"sku": "A", "quantity": 2},
                                          {"sku": "B", "quantity": 3}], LYON)
    assert [ln["sku"] for ln in refused.value.data["lines"]] == ["B"]
    assert refused.value.data["lines"][0] == {"sku": "B", "requested": 3, "available": 2}
    assert all(buckets(store, s, c)["committed"] == 0 for s in "AB" for c in ("S1", "S2"))
    assert order_movements(store) == []
    with pytest.raises(NotFound):
        get_order(store, "O-1")
    with store.engine.connect() as c:  # the refusal is kept for the KPIs
        kept = c.execute(select(refusals.c.kind, refusals.c.reference)).all()
    assert [tuple(r) for r in kept] == [("order", "O-1")]


def test_a_split_order_holds_all_its_shipments(store):
    retailer(store, {("A", "S1"): 1, ("A", "S2"): 1, ("B", "DC"): 1})
    placed = order(store, "O-1", [("A", 2), ("B", 1)], LYON)
    held = {f["location"]: f["lines"] for f in placed["fulfillments"]}
    assert held == {"S1": [{"sku": "A", "quantity": 1}], "S2": [{"sku": "A", "quantity": 1}],
                    "DC": [{"sku": "B", "quantity": 1}]}
    assert placed["explanation"]["reason"].startswith("split into 3 shipments")
    assert verify(store) == []


def test_ship_from_store_pick_pack_ship(store):
    retailer(store, {("A", "S1"): 5})
    order(store, "O-1", [("A", 2)], LYON)
    with pytest.raises(InvalidState):
        act(store, "O-1", 1, "ship")
    with pytest.raises(InvalidState):
        act(store, "O-1", 1, "ready")  # a ship order is never made ready for pickup
    act(store, "O-1", 1, "pick")
    assert act(store, "O-1", 1, "pack")["status"] == "in_progress"
    shipped = act(store, "O-1", 1, "ship")
    assert shipped["status"] == "fulfilled"
    assert shipped["fulfillments"][0]["status"] == "shipped"
    s1 = buckets(store, "A", "S1")
    assert (s1["on_hand"], s1["committed"], s1["available"]) == (3, 0, 3)
    assert [m["type"] for m in order_movements(store)] == ["allocate", "ship"]
    assert verify(store) == []


def test_bopis_ready_then_pickup_takes_stock_at_that_store_only(store):
    retailer(store, {("A", "DC"): 10, ("A", "S1"): 3, ("A", "S2"): 3})
    placed = order(store, "O-1", [("A", 2)], {"method": "pickup", "location": "S2"})
    [f] = placed["fulfillments"]
    assert (f["location"], f["kind"]) == ("S2", "pickup")
    ready = act(store, "O-1", 1, "ready")
    assert ready["status"] == "ready_for_pickup"
    assert ready["hold_until"] is not None
    done = act(store, "O-1", 1, "pickup")
    assert done["status"] == "fulfilled"
    assert done["hold_until"] is None
    assert (buckets(store, "A", "S2")["on_hand"], buckets(store, "A", "S2")["committed"]) == (1, 0)
    assert buckets(store, "A", "S1")["on_hand"] == 3
    assert buckets(store, "A", "DC")["on_hand"] == 10
    assert verify(store) == []


def test_a_short_pick_is_written_off_and_resourced_elsewhere(store):
    retailer(store, {("A", "S1"): 2, ("A", "DC"): 5})
    order(store, "O-1", [("A", 2)], LYON)
    act(store, "O-1", 1, "pick")
    after = act(store, "O-1", 1, "short", found=1)
    first, second = after["fulfillments"]
    assert (first["location"], first["status"], first["lines"][0]["quantity"]) == ("S1", "short", 1)
    assert (second["location"], second["lines"]) == ("DC", [{"sku": "A", "quantity": 1}])
    assert after["status"] == "in_progress" and after["unsourced"] == []
    assert [e["event"] for e in after["history"]] == ["placed", "pick", "short", "resourced"]
    assert after["history"][-1]["excluded"] == ["S1"]
    assert len(after["decisions"]) == 2 and after["decisions"][1]["cause"] == "short at S1"
    adjustment = [m for m in order_movements(store) if m["type"] == "adjustment"]
    assert [(m["reason"], m["d_on_hand"]) for m in adjustment] == [("short_pick", -1)]
    s1 = buckets(store, "A", "S1")
    assert (s1["on_hand"], s1["committed"]) == (1, 1)  # the found unit is still held
    assert buckets(store, "A", "DC")["committed"] == 1
    assert act(store, "O-1", 1, "pack")["fulfillments"][0]["status"] == "packed"
    assert verify(store) == []


def test_a_short_with_nowhere_else_to_go_leaves_the_order_short(store):
    retailer(store, {("A", "S1"): 2})
    order(store, "O-1", [("A", 2)], LYON)
    after = act(store, "O-1", 1, "short", found=0)
    assert after["status"] == "short"
    assert after["fulfillments"][0]["status"] == "cancelled"
    assert after["unsourced"] == [{"sku": "A", "quantity": 2, "exclude": ["S1"]}]
    assert after["history"][-1]["event"] == "resource_failed"
    assert buckets(store, "A", "S1")["committed"] == 0
    assert cancel_order(store, "O-1")["status"] == "cancelled"
    assert verify(store) == []


def test_short_needs_a_plausible_count(store):
    retailer(store, {("A", "S1"): 5})
    order(store, "O-1", [("A", 2)], LYON)
    for found in (2, 3, -1):
        with pytest.raises(InvalidInput):
            act(store, "O-1", 1, "short", found=found)
    with pytest.raises(InvalidInput):
        act(store, "O-1", 1, "pick", found=1)


def test_cancel_releases_what_is_held_and_is_final(store):
    retailer(store, {("A", "S1"): 1, ("A", "S2"): 1})
    order(store, "O-1", [("A", 2)], LYON)
    act(store, "O-1", 1, "pick")
    cancelled = cancel_order(store, "O-1", actor="ops")
    assert cancelled["status"] == "cancelled"
    assert {f["status"] for f in cancelled["fulfillments"]} == {"cancelled"}
    assert all(buckets(store, "A", c)["committed"] == 0 for c in ("S1", "S2"))
    types = sorted(m["type"] for m in order_movements(store))
    assert types == ["allocate", "allocate", "deallocate", "deallocate"]
    assert cancel_order(store, "O-1")["status"] == "cancelled"  # again: unchanged
    with pytest.raises(InvalidState):
        act(store, "O-1", 1, "pack")
    assert verify(store) == []


def test_a_fulfilled_order_cannot_be_cancelled(store):
    retailer(store, {("A", "S1"): 1})
    order(store, "O-1", [("A", 1)], {"method": "curbside", "location": "S1"})
    act(store, "O-1", 1, "ready")
    act(store, "O-1", 1, "pickup")
    with pytest.raises(InvalidState):
        cancel_order(store, "O-1")


def test_no_shows_are_cancelled_after_the_hold_and_their_units_released(store):
    clock = retailer(store, {("A", "S1"): 3}, policy={"bopis_hold_hours": 48})
    order(store, "O-1", [("A", 2)], {"method": "pickup", "location": "S1"})
    order(store, "O-2", [("A", 1)], {"method": "pickup", "location": "S1"})
    act(store, "O-1", 1, "ready")
    clock.advance(hours=47)
    assert expire_no_shows(store) == 0
    act(store, "O-2", 1, "ready")
    clock.advance(hours=1)
    assert expire_no_shows(store) == 1
    gone = get_order(store, "O-1")
    assert gone["status"] == "cancelled" and gone["history"][-1]["event"] == "no_show"
    assert buckets(store, "A", "S1")["committed"] == 1  # O-2 still waits
    assert get_order(store, "O-2")["status"] == "ready_for_pickup"
    assert expire_no_shows(store) == 0
    clock.advance(hours=48)
    assert expire_no_shows(store) == 1
    assert buckets(store, "A", "S1")["committed"] == 0
    assert verify(store) == []


def test_endless_aisle_transfers_into_the_pickup_store(store):
    clock = retailer(store, {("A", "DC"): 4}, policy={"allow_endless_aisle": True,
                                                     "transfer_days": 3})
    placed = order(store, "O-1", [("A", 2)], {"method": "pickup", "location": "S2"})
    [f] = placed["fulfillments"]
    assert (f["kind"], f["location"], f["destination"]) == ("transfer", "DC", "S2")
    assert f["expected_at"] is not None
    assert f["allowed_actions"] == ["pick", "short"]
    act(store, "O-1", 1, "pick")
    act(store, "O-1", 1, "pack")
    shipped = act(store, "O-1", 1, "ship")
    assert shipped["fulfillments"][0]["status"] == "shipped"
    assert shipped["fulfillments"][0]["allowed_actions"] == ["ready"]
    assert shipped["status"] == "in_progress"
    dc, s2 = buckets(store, "A", "DC"), buckets(store, "A", "S2")
    assert (dc["on_hand"], dc["committed"]) == (2, 0)
    assert (s2["on_hand"], s2["incoming"], s2["committed"]) == (0, 2, 0)
    with store.engine.connect() as c:
        [(expected_at, open_units)] = c.execute(select(inbound.c.expected_at,
                                                       inbound.c.quantity_open)).all()
    assert (expected_at, open_units) == (clock.t + timedelta(days=3), 2)
    with pytest.raises(InvalidState):
        act(store, "O-1", 1, "pickup")  # not received at the store yet
    ready = act(store, "O-1", 1, "ready")
    assert ready["status"] == "ready_for_pickup"
    s2 = buckets(store, "A", "S2")
    assert (s2["on_hand"], s2["incoming"], s2["committed"]) == (2, 0, 2)
    assert act(store, "O-1", 1, "pickup")["status"] == "fulfilled"
    assert buckets(store, "A", "S2")["on_hand"] == 0
    steps = [(m["type"], m["external_id"].split(":")[-1]) for m in order_movements(store)]
    assert steps == [("allocate", "allocate"), ("deallocate", "dispatch"),
                     ("transfer_out", "transfer_out"), ("expected", "expected"),
                     ("transfer_in", "transfer_in"), ("allocate", "receive"),
                     ("ship", "pickup")]
    assert verify(store) == []


def test_without_endless_aisle_a_pickup_store_must_hold_the_units(store):
    retailer(store, {("A", "DC"): 4})
    with pytest.raises(InsufficientStock):
        place_order(store, "O-1", "web", [{"sku": "A", "quantity": 1}],
                    {"method": "pickup", "location": "S2"})
    with pytest.raises(InvalidInput) as bad:
        place_order(store, "O-2", "web", [{"sku": "A", "quantity": 1}],
                    {"method": "pickup", "location": "DC"})
    assert bad.value.field == "delivery.location"


def test_cancelling_a_transfer_in_transit_holds_nothing_more(store):
    retailer(store, {("A", "DC"): 4}, policy={"allow_endless_aisle": True})
    order(store, "O-1", [("A", 1)], {"method": "pickup", "location": "S2"})
    for action in ("pick", "pack", "ship"):
        act(store, "O-1", 1, action)
    assert cancel_order(store, "O-1")["status"] == "cancelled"
    assert buckets(store, "A", "S2")["incoming"] == 1  # the box still arrives, as stock
    assert buckets(store, "A", "DC")["committed"] == 0
    assert verify(store) == []


def test_lapsed_holds_do_not_hide_stock_from_orders(store):
    clock = retailer(store, {("A", "S1"): 2})
    reservations.reserve(store, sku="A", location="S1", quantity=2, ttl_seconds=60)
    with pytest.raises(InsufficientStock):
        place_order(store, "O-1", "web", [{"sku": "A", "quantity": 1}], LYON)
    clock.advance(seconds=61)
    order(store, "O-2", [("A", 2)], LYON)
    s1 = buckets(store, "A", "S1")
    assert (s1["reserved"], s1["committed"]) == (0, 2)
    assert verify(store) == []


def test_a_node_at_its_daily_capacity_is_passed_over(store):
    retailer(store, {("A", "S1"): 5, ("A", "DC"): 5}, capacity={"S1": 1},
             policy={"capacity_penalty": 0})
    assert order(store, "O-1", [("A", 1)], LYON)["fulfillments"][0]["location"] == "S1"
    second = order(store, "O-2", [("A", 1)], LYON)
    assert second["fulfillments"][0]["location"] == "DC"
    reasons = {c["code"]: c["reason"] for c in second["explanation"]["candidates"]}
    assert reasons["S1"] == "no_capacity"


def test_every_order_change_is_announced_in_the_same_transaction(store):
    retailer(store, {("A", "S1"): 5})
    order(store, "O-1", [("A", 1)], {"method": "pickup", "location": "S1"})
    act(store, "O-1", 1, "ready")
    cancel_order(store, "O-1")
    with store.engine.connect() as c:
        rows = c.execute(select(outbox.c.type, outbox.c.data).where(
            outbox.c.type == "order.changed").order_by(outbox.c.id)).all()
    assert [(d["event"], d["status"]) for _, d in rows] == [
        ("placed", "allocated"), ("ready", "ready_for_pickup"), ("cancelled", "cancelled")]
    assert rows[0][1]["order_id"] == "O-1"
    assert rows[0][1]["fulfillments"][0]["location"] == "S1"


def test_the_work_list_shows_a_stores_open_fulfillments_oldest_first(store):
    clock = retailer(store, {("A", "S1"): 5, ("A", "DC"): 5},
                     policy={"allow_endless_aisle": True})
    order(store, "O-2", [("A", 1)], {"method": "pickup", "location": "S1"})
    clock.advance(minutes=5)
    order(store, "O-1", [("A", 1)], LYON)
    clock.advance(minutes=5)
    order(store, "O-3", [("A", 1)], PARIS)
    work = location_work(store, "S1")
    assert [(f["order_id"], f["allowed_actions"]) for f in work["fulfillments"]] == [
        ("O-2", ["pick", "ready", "short"]), ("O-1", ["pick", "short"])]
    assert [f["order_id"] for f in location_work(store, "DC")["fulfillments"]] == ["O-3"]
    with pytest.raises(NotFound):
        location_work(store, "NOWHERE")


def test_orders_can_be_listed_by_status_and_channel(store):
    retailer(store, {("A", "S1"): 5})
    order(store, "O-1", [("A", 1)], LYON)
    order(store, "O-2", [("A", 1)], LYON)
    cancel_order(store, "O-1")
    assert [o["order_id"] for o in list_orders(store)["orders"]] == ["O-2", "O-1"]
    assert [o["order_id"] for o in list_orders(store, status="open")["orders"]] == ["O-2"]
    assert [o["order_id"] for o in list_orders(store, status="cancelled")["orders"]] == ["O-1"]
    assert list_orders(store, channel="pos")["orders"] == []
    with pytest.raises(InvalidInput):
        list_orders(store, status="lost")


def test_a_channel_policy_is_validated_field_by_field(store):
    retailer(store, {})
    assert get_policy(store, "web")["policy"]["bopis_hold_hours"] == 72
    with pytest.raises(InvalidInput) as bad:
        set_policy(store, "web", {"rate_table": {"bands": [{"max_km": 10, "cost": 5},
                                                           {"max_km": 20, "cost": 4}]}})
    assert bad.value.field == "rate_table.bands[1].cost"
    with pytest.raises(InvalidInput) as unknown:
        set_policy(store, "web", {"hold": 3})
    assert unknown.value.field == "hold"
    saved = set_policy(store, "web", {"bopis_hold_hours": 24, "allow_endless_aisle": True})
    assert saved["stored"] == {"bopis_hold_hours": 24, "allow_endless_aisle": True}
    assert get_policy(store, "web")["policy"]["allow_endless_aisle"] is True
    with pytest.raises(NotFound):
        get_policy(store, "nope")


def test_bad_orders_are_refused_naming_the_field(store):
    retailer(store, {("A", "S1"): 5})
    cases = [
        (("O 1", "web", [{"sku": "A", "quantity": 1}], LYON), "order_id"),
        (("O-1", "web", [], LYON), "lines"),
        (("O-1", "web", [{"sku": "A", "quantity": 0}], LYON), "lines[0].quantity"),
        (("O-1", "web", [{"sku": "ZZ", "quantity": 1}], LYON), "lines[0].sku"),
        (("O-1", "web", [{"sku": "A", "quantity": 1}], {"method": "ship", "latitude": 91,
                                                       "longitude": 0}), "delivery.latitude"),
        (("O-1", "web", [{"sku": "A", "quantity": 1}], {"method": "drone"}), "delivery.method"),
    ]
    for args, field in cases:
        with pytest.raises(InvalidInput) as bad:
            place_order(store, *args)
        assert bad.value.field == field
    with pytest.raises(NotFound):
        place_order(store, "O-1", "nope", [{"sku": "A", "quantity": 1}], LYON)
