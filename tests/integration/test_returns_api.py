"""The return routes through HTTP: 201 and replays, problems naming the field, store keys at
their own store only (here and through /v1/movements), and the return rules for admins."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from omnistock.api.app import create_app
from omnistock.services.orders import act
from omnistock.services.verify import verify
from omnistock.store.database import Database

from .test_orders import LYON, buckets, order, retailer
from .test_orders_api import auth


@pytest.fixture
def client(db: Database) -> Iterator[TestClient]:
    retailer(db, {("A", "DC"): 10, ("A", "S2"): 3})
    with TestClient(create_app(db, background=[])) as c:
        yield c


def body(**kw: Any) -> dict[str, Any]:
    return {"sku": "A", "quantity": 1, "location": "S1", "condition": "sellable", **kw}


def test_record_read_list_and_replay(client, db):
    h = auth(db, "integration")
    first = client.post("/v1/returns", json=body(external_id="till-9:1", reason="too big"),
                        headers=h)
    assert first.status_code == 201, first.text
    made = first.json()
    assert set(made["disposition"]) == {"action", "location", "reason", "rule", "scope"}
    assert [m["type"] for m in made["movements"]] == ["return"]
    again = client.post("/v1/returns", json=body(external_id="till-9:1", reason="too big"),
                        headers=h)
    assert (again.status_code, again.json()) == (200, made)
    other = client.post("/v1/returns", json=body(external_id="till-9:1", quantity=2), headers=h)
    assert (other.status_code, other.json()["type"].split("/")[-1], other.json()["field"]) == (
        409, "idempotency-conflict", "external_id")
    keyed = body(condition="open_box")
    once = client.post("/v1/returns", json=keyed, headers={**h, "Idempotency-Key": "r-1"})
    twice = client.post("/v1/returns", json=keyed, headers={**h, "Idempotency-Key": "r-1"})
    assert (once.status_code, twice.status_code) == (201, 200)
    assert twice.json()["id"] == once.json()["id"]
    reused = client.post("/v1/returns", json=body(), headers={**h, "Idempotency-Key": "r-1"})
    assert reused.status_code == 409
    viewer = auth(db, "viewer")
    assert client.get(f"/v1/returns/{made['id']}", headers=viewer).json() == made
    listed = client.get("/v1/returns", params={"location": "S1"}, headers=viewer).json()
    assert {r["id"] for r in listed["returns"]} == {made["id"], once.json()["id"]}
    assert client.get("/v1/returns/nope", headers=viewer).status_code == 404
    assert buckets(db, "A", "S1")["on_hand"] == 2
    assert verify(db) == []


def test_problems_name_the_field(client, db):
    h = auth(db, "integration")
    cases = [(body(condition="new"), "condition"), (body(quantity=0), "quantity"),
             (body(quantity="1"), "quantity"), (body(sku="NOPE"), "sku"),
             (body(order_id="NOPE"), "order_id"), (body(colour="red"), "colour"),
             (body(occurred_at="2026-11-01"), "occurred_at")]
    for sent, field in cases:
        answer = client.post("/v1/returns", json=sent, headers=h)
        assert (answer.status_code, answer.json().get("field")) == (422, field), answer.text
    order(db, "O-1", [("A", 1)], LYON)
    beyond = client.post("/v1/returns", json=body(quantity=2, order_id="O-1"), headers=h)
    assert (beyond.status_code, beyond.json()["field"], beyond.json()["returnable"]) == (
        409, "quantity", 1)
    assert verify(db) == []


def test_a_store_key_records_returns_at_its_own_store_only(client, db):
    s1 = auth(db, "store", "S1")
    order(db, "O-1", [("A", 2)], LYON)
    for step in ("pick", "pack", "ship"):
        act(db, "O-1", 1, step)
    here = client.post("/v1/returns", json=body(order_id="O-1"), headers=s1)
    assert here.status_code == 201, here.text
    elsewhere = client.post("/v1/returns", json=body(order_id="O-1", location="S2"), headers=s1)
    assert (elsewhere.status_code, elsewhere.json()["field"],
            elsewhere.json()["key_location"]) == (403, "location", "S1")
    assert client.post("/v1/returns", json=body(), headers=auth(db, "viewer")).status_code == 403
    assert client.post("/v1/returns", json=body(location="S2"),
                       headers=auth(db, "admin")).status_code == 201
    # a bare return movement at its own store, too, and no other movement type
    move = {"type": "return", "sku": "A", "location": "S1", "quantity": 1,
            "occurred_at": "2026-11-01T09:30:00Z", "source": "till", "external_id": "t-1"}
    assert client.post("/v1/movements", json=move, headers=s1).status_code == 201
    assert client.post("/v1/movements", json={**move, "location": "S2"},
                       headers=s1).status_code == 403
    assert client.post("/v1/movements", json={**move, "type": "sale", "external_id": "t-2"},
                       headers=s1).status_code == 403
    assert verify(db) == []


def test_return_rules_are_read_by_every_key_and_set_by_admins(client, db):
    admin, store = auth(db, "admin"), auth(db, "store", "S1")
    built_in = client.get("/v1/return-rules", headers=store).json()
    assert (built_in["scope"], built_in["source"], built_in["stored"]) == (
        "default", "built-in", None)
    rules = {"par_level": 0, "rules": [
        {"name": f"dc_{c}", "condition": c, "action": "transfer", "to": "dc"}
        for c in ("sellable", "damaged", "defective", "open_box")]}
    assert client.put("/v1/return-rules", params={"location": "S1"}, json=rules,
                      headers=store).status_code == 403
    put = client.put("/v1/return-rules", params={"location": "S1"}, json=rules, headers=admin)
    assert put.status_code == 200, put.text
    assert (put.json()["scope"], put.json()["source"]) == ("location:S1", "location:S1")
    made = client.post("/v1/returns", json=body(), headers=store).json()
    assert (made["disposition"]["location"], made["disposition"]["rule"]) == ("DC", "dc_sellable")
    bad = {"rules": [{"name": "x", "condition": "sellable", "action": "restock"}]}
    answer = client.put("/v1/return-rules", json=bad, headers=admin)
    assert (answer.status_code, answer.json()["field"]) == (422, "rules")
    wrong = client.put("/v1/return-rules", json={"rules": [{"name": "x", "condition": "new",
                                                             "action": "restock"}]},
                       headers=admin)
    assert (wrong.status_code, wrong.json()["field"]) == (422, "rules[0].condition")
    assert client.get("/v1/return-rules", params={"location": "MOON"},
                      headers=admin).status_code == 404
    both = client.get("/v1/return-rules", params={"location": "S1", "channel": "web"},
                      headers=admin)
    assert (both.status_code, both.json()["field"]) == (422, "channel")
    cleared = client.delete("/v1/return-rules", params={"location": "S1"}, headers=admin)
    assert (cleared.status_code, cleared.json()["source"]) == (200, "built-in")
    assert verify(db) == []
