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
from omnistock.services.movements import apply_movement
from omnistock.services.orders import (
    act,
    cancel_order,
    expire_no_shows,
    get_order,
    get_policy,
    list_orders,
    location_work,
    place_order,
    set_policy,
)
from omnistock.services.verify import verify
from omnistock.store.database import Database
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


def retailer(db: Database, stock: dict[tuple[str, str], int], *,
             policy: dict[str, Any] | None = None,
             capacity: dict[str, int] | None = None) -> Clock:
    """Items A and B; DC (Paris), S1 (Lyon), S2 (Marseille) on channel `web`; a settable clock."""
    clock = Clock()
    db.clock = clock
    for sku in ("A", "B"):
        catalog.create_item(db, Item(sku=sku))
    for code, kind, lat, lon, pickup in NODES:
        catalog.create_location(db, Location(
            code=code, kind=kind, latitude=lat, longitude=lon, can_ship=True,
            can_pickup=pickup, daily_capacity=(capacity or {}).get(code)))
    catalog.create_channel(db, "web", "Web", [n[0] for n in NODES], policy)
    for (sku, code), quantity in stock.items():
        apply_movement(db, movement("receipt", quantity, sku=sku, location=code))
    return clock


def buckets(db: Database, sku: str, code: str) -> dict[str, int]:
    for entry in availability(db, sku)["locations"]:
        if entry["location"] == code:
            return entry
    return {"on_hand": 0, "committed": 0, "available": 0, "incoming": 0}


def order_movements(db: Database) -> list[dict[str, Any]]:
    with db.engine.connect() as c:
        return [dict(r) for r in c.execute(select(movements).where(movements.c.source == "order")
                                           .order_by(movements.c.id)).mappings()]


def order(db: Database, order_id: str, lines: list[tuple[str, int]],
          delivery: dict[str, Any]) -> dict[str, Any]:
    placed = place_order(db, order_id, "web", [{"sku": s, "quantity": q} for s, q in lines],
                         delivery, actor="test")
    assert placed.created
    return placed.order


def test_a_ship_order_goes_to_the_cheapest_node_and_holds_its_units(db):
    retailer(db, {("A", "DC"): 10, ("A", "S1"): 5})
    placed = order(db, "O-1", [("A", 2)], LYON)
    assert placed["status"] == "allocated"
    [f] = placed["fulfillments"]
    assert (f["location"], f["kind"], f["lines"]) == ("S1", "ship", [{"sku": "A", "quantity": 2}])
    assert placed["explanation"]["candidates"][0]["code"] == "S1"
    assert "lowest total cost" in placed["explanation"]["reason"]
    assert buckets(db, "A", "S1")["committed"] == 2
    assert buckets(db, "A", "DC")["committed"] == 0
    [m] = order_movements(db)
    assert (m["type"], m["external_id"], m["d_committed"]) == ("allocate", "O-1:1:A:allocate", 2)
    assert get_order(db, "O-1")["history"][0]["event"] == "placed"
    assert verify(db) == []


def test_placing_is_idempotent_on_the_order_id(db):
    retailer(db, {("A", "S1"): 5})
    first = order(db, "O-1", [("A", 2)], LYON)
    again = place_order(db, "O-1", "web", [{"sku": "A", "quantity": 2}], LYON)
    assert not again.created
    assert again.order["fulfillments"] == first["fulfillments"]
    with pytest.raises(IdempotencyConflict):
        place_order(db, "O-1", "web", [{"sku": "A", "quantity": 3}], LYON)
    assert buckets(db, "A", "S1")["committed"] == 2


def test_a_multi_line_order_holds_every_line_or_nothing(db):
    retailer(db, {("A", "S1"): 5, ("B", "S1"): 1, ("B", "S2"): 1})
    with pytest.raises(InsufficientStock) as refused:
        place_order(db, "O-1", "web", [{"sku": "A", "quantity": 2},
                                          {"sku": "B", "quantity": 3}], LYON)
    assert [ln["sku"] for ln in refused.value.data["lines"]] == ["B"]
    assert refused.value.data["lines"][0] == {"sku": "B", "requested": 3, "available": 2}
    assert all(buckets(db, s, c)["committed"] == 0 for s in "AB" for c in ("S1", "S2"))
    assert order_movements(db) == []
    with pytest.raises(NotFound):
        get_order(db, "O-1")
    with db.engine.connect() as c:  # the refusal is kept for the KPIs
        kept = c.execute(select(refusals.c.kind, refusals.c.reference)).all()
    assert [tuple(r) for r in kept] == [("order", "O-1")]


def test_a_split_order_holds_all_its_shipments(db):
    retailer(db, {("A", "S1"): 1, ("A", "S2"): 1, ("B", "DC"): 1})
    placed = order(db, "O-1", [("A", 2), ("B", 1)], LYON)
    held = {f["location"]: f["lines"] for f in placed["fulfillments"]}
    assert held == {"S1": [{"sku": "A", "quantity": 1}], "S2": [{"sku": "A", "quantity": 1}],
                    "DC": [{"sku": "B", "quantity": 1}]}
    assert placed["explanation"]["reason"].startswith("split into 3 shipments")
    assert verify(db) == []


def test_ship_from_store_pick_pack_ship(db):
    retailer(db, {("A", "S1"): 5})
    order(db, "O-1", [("A", 2)], LYON)
    with pytest.raises(InvalidState):
        act(db, "O-1", 1, "ship")
    with pytest.raises(InvalidState):
        act(db, "O-1", 1, "ready")  # a ship order is never made ready for pickup
    act(db, "O-1", 1, "pick")
    assert act(db, "O-1", 1, "pack")["status"] == "in_progress"
    shipped = act(db, "O-1", 1, "ship")
    assert shipped["status"] == "fulfilled"
    assert shipped["fulfillments"][0]["status"] == "shipped"
    s1 = buckets(db, "A", "S1")
    assert (s1["on_hand"], s1["committed"], s1["available"]) == (3, 0, 3)
    assert [m["type"] for m in order_movements(db)] == ["allocate", "ship"]
    assert verify(db) == []


def test_bopis_ready_then_pickup_takes_stock_at_that_store_only(db):
    retailer(db, {("A", "DC"): 10, ("A", "S1"): 3, ("A", "S2"): 3})
    placed = order(db, "O-1", [("A", 2)], {"method": "pickup", "location": "S2"})
    [f] = placed["fulfillments"]
    assert (f["location"], f["kind"]) == ("S2", "pickup")
    ready = act(db, "O-1", 1, "ready")
    assert ready["status"] == "ready_for_pickup"
    assert ready["hold_until"] is not None
    done = act(db, "O-1", 1, "pickup")
    assert done["status"] == "fulfilled"
    assert done["hold_until"] is None
    assert (buckets(db, "A", "S2")["on_hand"], buckets(db, "A", "S2")["committed"]) == (1, 0)
    assert buckets(db, "A", "S1")["on_hand"] == 3
    assert buckets(db, "A", "DC")["on_hand"] == 10
    assert verify(db) == []


def test_a_short_pick_is_written_off_and_resourced_elsewhere(db):
    retailer(db, {("A", "S1"): 2, ("A", "DC"): 5})
    order(db, "O-1", [("A", 2)], LYON)
    act(db, "O-1", 1, "pick")
    after = act(db, "O-1", 1, "short", found=1)
    first, second = after["fulfillments"]
    assert (first["location"], first["status"], first["lines"][0]["quantity"]) == ("S1", "short", 1)
    assert (second["location"], second["lines"]) == ("DC", [{"sku": "A", "quantity": 1}])
    assert after["status"] == "in_progress" and after["unsourced"] == []
    assert [e["event"] for e in after["history"]] == ["placed", "pick", "short", "resourced"]
    assert after["history"][-1]["excluded"] == ["S1"]
    assert len(after["decisions"]) == 2 and after["decisions"][1]["cause"] == "short at S1"
    adjustment = [m for m in order_movements(db) if m["type"] == "adjustment"]
    assert [(m["reason"], m["d_on_hand"]) for m in adjustment] == [("short_pick", -1)]
    s1 = buckets(db, "A", "S1")
    assert (s1["on_hand"], s1["committed"]) == (1, 1)  # the found unit is still held
    assert buckets(db, "A", "DC")["committed"] == 1
    assert act(db, "O-1", 1, "pack")["fulfillments"][0]["status"] == "packed"
    assert verify(db) == []


def test_a_short_with_nowhere_else_to_go_leaves_the_order_short(db):
    retailer(db, {("A", "S1"): 2})
    order(db, "O-1", [("A", 2)], LYON)
    after = act(db, "O-1", 1, "short", found=0)
    assert after["status"] == "short"
    assert after["fulfillments"][0]["status"] == "cancelled"
    assert after["unsourced"] == [{"sku": "A", "quantity": 2, "exclude": ["S1"]}]
    assert after["history"][-1]["event"] == "resource_failed"
    assert buckets(db, "A", "S1")["committed"] == 0
    assert cancel_order(db, "O-1")["status"] == "cancelled"
    assert verify(db) == []


def test_short_needs_a_plausible_count(db):
    retailer(db, {("A", "S1"): 5})
    order(db, "O-1", [("A", 2)], LYON)
    for found in (2, 3, -1):
        with pytest.raises(InvalidInput):
            act(db, "O-1", 1, "short", found=found)
    with pytest.raises(InvalidInput):
        act(db, "O-1", 1, "pick", found=1)


def test_cancel_releases_what_is_held_and_is_final(db):
    retailer(db, {("A", "S1"): 1, ("A", "S2"): 1})
    order(db, "O-1", [("A", 2)], LYON)
    act(db, "O-1", 1, "pick")
    cancelled = cancel_order(db, "O-1", actor="ops")
    assert cancelled["status"] == "cancelled"
    assert {f["status"] for f in cancelled["fulfillments"]} == {"cancelled"}
    assert all(buckets(db, "A", c)["committed"] == 0 for c in ("S1", "S2"))
    types = sorted(m["type"] for m in order_movements(db))
    assert types == ["allocate", "allocate", "deallocate", "deallocate"]
    assert cancel_order(db, "O-1")["status"] == "cancelled"  # again: unchanged
    with pytest.raises(InvalidState):
        act(db, "O-1", 1, "pack")
    assert verify(db) == []


def test_a_fulfilled_order_cannot_be_cancelled(db):
    retailer(db, {("A", "S1"): 1})
    order(db, "O-1", [("A", 1)], {"method": "curbside", "location": "S1"})
    act(db, "O-1", 1, "ready")
    act(db, "O-1", 1, "pickup")
    with pytest.raises(InvalidState):
        cancel_order(db, "O-1")


def test_no_shows_are_cancelled_after_the_hold_and_their_units_released(db):
    clock = retailer(db, {("A", "S1"): 3}, policy={"bopis_hold_hours": 48})
    order(db, "O-1", [("A", 2)], {"method": "pickup", "location": "S1"})
    order(db, "O-2", [("A", 1)], {"method": "pickup", "location": "S1"})
    act(db, "O-1", 1, "ready")
    clock.advance(hours=47)
    assert expire_no_shows(db) == 0
    act(db, "O-2", 1, "ready")
    clock.advance(hours=1)
    assert expire_no_shows(db) == 1
    gone = get_order(db, "O-1")
    assert gone["status"] == "cancelled" and gone["history"][-1]["event"] == "no_show"
    assert buckets(db, "A", "S1")["committed"] == 1  # O-2 still waits
    assert get_order(db, "O-2")["status"] == "ready_for_pickup"
    assert expire_no_shows(db) == 0
    clock.advance(hours=48)
    assert expire_no_shows(db) == 1
    assert buckets(db, "A", "S1")["committed"] == 0
    assert verify(db) == []


def test_endless_aisle_transfers_into_the_pickup_store(db):
    clock = retailer(db, {("A", "DC"): 4}, policy={"allow_endless_aisle": True,
                                                     "transfer_days": 3})
    placed = order(db, "O-1", [("A", 2)], {"method": "pickup", "location": "S2"})
    [f] = placed["fulfillments"]
    assert (f["kind"], f["location"], f["destination"]) == ("transfer", "DC", "S2")
    assert f["expected_at"] is not None
    assert f["allowed_actions"] == ["pick", "short"]
    act(db, "O-1", 1, "pick")
    act(db, "O-1", 1, "pack")
    shipped = act(db, "O-1", 1, "ship")
    assert shipped["fulfillments"][0]["status"] == "shipped"
    assert shipped["fulfillments"][0]["allowed_actions"] == ["ready"]
    assert shipped["status"] == "in_progress"
    dc, s2 = buckets(db, "A", "DC"), buckets(db, "A", "S2")
    assert (dc["on_hand"], dc["committed"]) == (2, 0)
    assert (s2["on_hand"], s2["incoming"], s2["committed"]) == (0, 2, 0)
    with db.engine.connect() as c:
        [(expected_at, open_units)] = c.execute(select(inbound.c.expected_at,
                                                       inbound.c.quantity_open)).all()
    assert (expected_at, open_units) == (clock.t + timedelta(days=3), 2)
    with pytest.raises(InvalidState):
        act(db, "O-1", 1, "pickup")  # not received at the store yet
    ready = act(db, "O-1", 1, "ready")
    assert ready["status"] == "ready_for_pickup"
    s2 = buckets(db, "A", "S2")
    assert (s2["on_hand"], s2["incoming"], s2["committed"]) == (2, 0, 2)
    assert act(db, "O-1", 1, "pickup")["status"] == "fulfilled"
    assert buckets(db, "A", "S2")["on_hand"] == 0
    steps = [(m["type"], m["external_id"].split(":")[-1]) for m in order_movements(db)]
    assert steps == [("allocate", "allocate"), ("deallocate", "dispatch"),
                     ("transfer_out", "transfer_out"), ("expected", "expected"),
                     ("transfer_in", "transfer_in"), ("allocate", "receive"),
                     ("ship", "pickup")]
    assert verify(db) == []


def test_without_endless_aisle_a_pickup_store_must_hold_the_units(db):
    retailer(db, {("A", "DC"): 4})
    with pytest.raises(InsufficientStock):
        place_order(db, "O-1", "web", [{"sku": "A", "quantity": 1}],
                    {"method": "pickup", "location": "S2"})
    with pytest.raises(InvalidInput) as bad:
        place_order(db, "O-2", "web", [{"sku": "A", "quantity": 1}],
                    {"method": "pickup", "location": "DC"})
    assert bad.value.field == "delivery.location"


def test_cancelling_a_transfer_in_transit_holds_nothing_more(db):
    retailer(db, {("A", "DC"): 4}, policy={"allow_endless_aisle": True})
    order(db, "O-1", [("A", 1)], {"method": "pickup", "location": "S2"})
    for action in ("pick", "pack", "ship"):
        act(db, "O-1", 1, action)
    assert cancel_order(db, "O-1")["status"] == "cancelled"
    assert buckets(db, "A", "S2")["incoming"] == 1  # the box still arrives, as stock
    assert buckets(db, "A", "DC")["committed"] == 0
    assert verify(db) == []


def test_lapsed_holds_do_not_hide_stock_from_orders(db):
    clock = retailer(db, {("A", "S1"): 2})
    reservations.reserve(db, sku="A", location="S1", quantity=2, ttl_seconds=60)
    with pytest.raises(InsufficientStock):
        place_order(db, "O-1", "web", [{"sku": "A", "quantity": 1}], LYON)
    clock.advance(seconds=61)
    order(db, "O-2", [("A", 2)], LYON)
    s1 = buckets(db, "A", "S1")
    assert (s1["reserved"], s1["committed"]) == (0, 2)
    assert verify(db) == []


def test_a_node_at_its_daily_capacity_is_passed_over(db):
    retailer(db, {("A", "S1"): 5, ("A", "DC"): 5}, capacity={"S1": 1},
             policy={"capacity_penalty": 0})
    assert order(db, "O-1", [("A", 1)], LYON)["fulfillments"][0]["location"] == "S1"
    second = order(db, "O-2", [("A", 1)], LYON)
    assert second["fulfillments"][0]["location"] == "DC"
    reasons = {c["code"]: c["reason"] for c in second["explanation"]["candidates"]}
    assert reasons["S1"] == "no_capacity"


def test_every_order_change_is_announced_in_the_same_transaction(db):
    retailer(db, {("A", "S1"): 5})
    order(db, "O-1", [("A", 1)], {"method": "pickup", "location": "S1"})
    act(db, "O-1", 1, "ready")
    cancel_order(db, "O-1")
    with db.engine.connect() as c:
        rows = c.execute(select(outbox.c.type, outbox.c.data).where(
            outbox.c.type == "order.changed").order_by(outbox.c.id)).all()
    assert [(d["event"], d["status"]) for _, d in rows] == [
        ("placed", "allocated"), ("ready", "ready_for_pickup"), ("cancelled", "cancelled")]
    assert rows[0][1]["order_id"] == "O-1"
    assert rows[0][1]["fulfillments"][0]["location"] == "S1"


def test_the_work_list_shows_a_stores_open_fulfillments_oldest_first(db):
    clock = retailer(db, {("A", "S1"): 5, ("A", "DC"): 5},
                     policy={"allow_endless_aisle": True})
    order(db, "O-2", [("A", 1)], {"method": "pickup", "location": "S1"})
    clock.advance(minutes=5)
    order(db, "O-1", [("A", 1)], LYON)
    clock.advance(minutes=5)
    order(db, "O-3", [("A", 1)], PARIS)
    work = location_work(db, "S1")
    assert [(f["order_id"], f["allowed_actions"]) for f in work["fulfillments"]] == [
        ("O-2", ["pick", "ready", "short"]), ("O-1", ["pick", "short"])]
    assert [f["order_id"] for f in location_work(db, "DC")["fulfillments"]] == ["O-3"]
    with pytest.raises(NotFound):
        location_work(db, "NOWHERE")


def test_orders_can_be_listed_by_status_and_channel(db):
    retailer(db, {("A", "S1"): 5})
    order(db, "O-1", [("A", 1)], LYON)
    order(db, "O-2", [("A", 1)], LYON)
    cancel_order(db, "O-1")
    assert [o["order_id"] for o in list_orders(db)["orders"]] == ["O-2", "O-1"]
    assert [o["order_id"] for o in list_orders(db, status="open")["orders"]] == ["O-2"]
    assert [o["order_id"] for o in list_orders(db, status="cancelled")["orders"]] == ["O-1"]
    assert list_orders(db, channel="pos")["orders"] == []
    with pytest.raises(InvalidInput):
        list_orders(db, status="lost")


def test_a_channel_policy_is_validated_field_by_field(db):
    retailer(db, {})
    assert get_policy(db, "web")["policy"]["bopis_hold_hours"] == 72
    with pytest.raises(InvalidInput) as bad:
        set_policy(db, "web", {"rate_table": {"bands": [{"max_km": 10, "cost": 5},
                                                           {"max_km": 20, "cost": 4}]}})
    assert bad.value.field == "rate_table.bands[1].cost"
    with pytest.raises(InvalidInput) as unknown:
        set_policy(db, "web", {"hold": 3})
    assert unknown.value.field == "hold"
    saved = set_policy(db, "web", {"bopis_hold_hours": 24, "allow_endless_aisle": True})
    assert saved["stored"] == {"bopis_hold_hours": 24, "allow_endless_aisle": True}
    assert get_policy(db, "web")["policy"]["allow_endless_aisle"] is True
    with pytest.raises(NotFound):
        get_policy(db, "nope")


def test_bad_orders_are_refused_naming_the_field(db):
    retailer(db, {("A", "S1"): 5})
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
            place_order(db, *args)
        assert bad.value.field == field
    with pytest.raises(NotFound):
        place_order(db, "O-1", "nope", [{"sku": "A", "quantity": 1}], LYON)
