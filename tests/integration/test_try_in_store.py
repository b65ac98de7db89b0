"""Reserve online, try in store, on SQLite and PostgreSQL: a hold for a named customer that
converts to a sale, is declined, or lapses; the store's list; keys; the ledger verifies."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from omnistock.api.app import create_app
from omnistock.domain.errors import InsufficientStock, InvalidInput, InvalidState, NotFound
from omnistock.services import reservations, try_in_store
from omnistock.services.verify import verify
from omnistock.store.database import Database
from omnistock.store.tables import movements, outbox

from .test_orders import buckets, retailer
from .test_orders_api import auth

ADA = {"name": "Ada Lovelace", "phone": "+44 20 7946 0000"}


def held(db: Database, quantity: int = 1, **kw) -> dict:  # type: ignore[no-untyped-def]
    return try_in_store.hold(db, sku="A", location="S1", quantity=quantity, customer=ADA, **kw)


def test_a_hold_converts_to_a_sale(db):
    clock = retailer(db, {("A", "S1"): 3})
    hold = held(db, 2, reference="web-42")
    assert (hold["status"], hold["customer"], hold["reference"]) == (
        "active", {**ADA, "email": None}, "web-42")
    assert hold["collect_by"] == (clock.t + timedelta(hours=48)).isoformat().replace(
        "+00:00", "Z")
    assert reservations.get(db, hold["id"])["status"] == "active"  # it is a reservation
    s1 = buckets(db, "A", "S1")
    assert (s1["reserved"], s1["available"]) == (2, 1)
    done = try_in_store.convert(db, hold["id"])
    assert done["status"] == "converted"
    s1 = buckets(db, "A", "S1")
    assert (s1["on_hand"], s1["reserved"], s1["committed"], s1["available"]) == (1, 0, 0, 1)
    with db.engine.connect() as c:
        types = c.execute(select(movements.c.type, movements.c.source)
                          .where(movements.c.reference == "web-42")
                          .order_by(movements.c.id)).all()
        events = c.execute(select(outbox.c.type).where(outbox.c.subject == hold["id"])
                           .order_by(outbox.c.id)).scalars().all()
    assert [tuple(t) for t in types] == [("reserve", "reservation"), ("commit", "reservation"),
                                         ("ship", "try_in_store")]
    assert events == ["try_in_store.held", "try_in_store.converted"]
    with pytest.raises(InvalidState):
        try_in_store.convert(db, hold["id"])
    assert verify(db) == []


def test_a_declined_hold_is_released_and_a_late_one_lapses(db):
    clock = retailer(db, {("A", "S1"): 3})
    declined = try_in_store.cancel(db, held(db)["id"])
    assert declined["status"] == "cancelled"
    late = held(db, collect_by=clock.t + timedelta(hours=2))
    assert [h["id"] for h in try_in_store.list_holds(db, location="S1")["holds"]] == [late["id"]]
    clock.advance(hours=3)
    assert try_in_store.get_hold(db, late["id"])["status"] == "lapsed"
    assert try_in_store.list_holds(db, location="S1")["holds"] == []
    with pytest.raises(InvalidState):
        try_in_store.convert(db, late["id"])
    assert reservations.sweep_expired(db) == 1
    assert try_in_store.get_hold(db, late["id"])["status"] == "lapsed"
    assert buckets(db, "A", "S1")["reserved"] == 0
    every = try_in_store.list_holds(db, location="S1", active_only=False)["holds"]
    assert sorted(h["status"] for h in every) == ["cancelled", "lapsed"]
    assert verify(db) == []


def test_holds_are_bounded_by_stock_and_by_their_inputs(db):
    clock = retailer(db, {("A", "S1"): 1})
    with pytest.raises(InsufficientStock):
        held(db, 2)
    with pytest.raises(InvalidInput) as past:
        held(db, collect_by=clock.t - timedelta(minutes=1))
    assert past.value.field == "collect_by"
    with pytest.raises(InvalidInput) as nameless:
        try_in_store.hold(db, sku="A", location="S1", quantity=1, customer={"name": " "})
    assert nameless.value.field == "customer.name"
    by_channel = held(db, channel="web")  # the channel's pickup hold: 72 hours by default
    assert by_channel["collect_by"].startswith((clock.t + timedelta(hours=72)).date().isoformat())
    with pytest.raises(NotFound):
        try_in_store.get_hold(db, "00000000-0000-0000-0000-000000000000")
    assert verify(db) == []


@pytest.fixture
def client(db: Database) -> Iterator[TestClient]:
    retailer(db, {("A", "S1"): 3, ("A", "S2"): 3})
    with TestClient(create_app(db, background=[])) as c:
        yield c


def test_over_http_the_web_holds_and_the_store_converts(client, db):
    web, s1, s2 = auth(db, "integration"), auth(db, "store", "S1"), auth(db, "store", "S2")
    sent = {"sku": "A", "location": "S1", "quantity": 1,
            "customer": {"name": "Grace Hopper", "email": "grace@example.com"}}
    assert client.post("/v1/try-in-store", json=sent, headers=s1).status_code == 403
    made = client.post("/v1/try-in-store", json=sent, headers={**web, "Idempotency-Key": "h1"})
    assert made.status_code == 201, made.text
    again = client.post("/v1/try-in-store", json=sent, headers={**web, "Idempotency-Key": "h1"})
    assert (again.status_code, again.json()["id"]) == (200, made.json()["id"])
    hid = made.json()["id"]
    listed = client.get("/v1/try-in-store", params={"location": "S1"}, headers=s1).json()
    assert [(h["id"], h["customer"]["name"]) for h in listed["holds"]] == [(hid, "Grace Hopper")]
    assert client.post(f"/v1/try-in-store/{hid}/convert", headers=s2).status_code == 403
    done = client.post(f"/v1/try-in-store/{hid}/convert", headers=s1)
    assert (done.status_code, done.json()["status"]) == (200, "converted")
    twice = client.post(f"/v1/try-in-store/{hid}/cancel", headers=s1)
    assert (twice.status_code, twice.json()["type"].split("/")[-1]) == (409, "invalid-state")
    bad = client.post("/v1/try-in-store", json={**sent, "customer": {"phone": "1"}}, headers=web)
    assert (bad.status_code, bad.json()["field"]) == (422, "customer.name")
    too_many = client.post("/v1/try-in-store", json={**sent, "quantity": 9}, headers=web)
    assert (too_many.status_code, too_many.json()["type"].split("/")[-1]) == (
        409, "insufficient-stock")
    assert buckets(db, "A", "S1")["on_hand"] == 2
    assert verify(db) == []
