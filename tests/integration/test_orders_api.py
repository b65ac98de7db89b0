"""The order routes through HTTP: status codes, problems, keys and their locations."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from omnistock.api.app import create_app
from omnistock.services import keys
from omnistock.store.database import Database

from .test_orders import LYON, buckets, retailer

PROBLEM = "application/problem+json"


@pytest.fixture
def client(db: Database) -> Iterator[TestClient]:
    retailer(db, {("A", "S1"): 3, ("A", "S2"): 3, ("A", "DC"): 10, ("B", "S1"): 1})
    app = create_app(db, background=[])
    with TestClient(app) as c:
        yield c


def auth(db: Database, role: str, location: str | None = None) -> dict[str, str]:
    key, _ = keys.create_key(db, role=role, location=location)
    return {"Authorization": f"Bearer {key}"}


def body(order_id: str = "O-1", lines: list[tuple[str, int]] | None = None,
         delivery: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"order_id": order_id, "channel": "web",
            "lines": [{"sku": s, "quantity": q} for s, q in (lines or [("A", 1)])],
            "delivery": delivery or LYON}


def test_place_replay_conflict_and_read(client, db):
    h = auth(db, "integration")
    first = client.post("/v1/orders", json=body(lines=[("A", 2)]), headers=h)
    assert first.status_code == 201, first.text
    order = first.json()
    assert order["status"] == "allocated"
    assert order["fulfillments"][0]["location"] == "S1"
    assert order["explanation"]["reason"]
    again = client.post("/v1/orders", json=body(lines=[("A", 2)]), headers=h)
    assert (again.status_code, again.json()["fulfillments"]) == (200, order["fulfillments"])
    other = client.post("/v1/orders", json=body(lines=[("A", 1)]), headers=h)
    assert other.status_code == 409
    assert other.headers["content-type"].startswith(PROBLEM)
    assert other.json()["type"].endswith("idempotency-conflict")
    read = client.get("/v1/orders/O-1", headers=auth(db, "viewer"))
    assert read.status_code == 200
    assert [e["event"] for e in read.json()["history"]] == ["placed"]
    assert client.get("/v1/orders/nope", headers=h).status_code == 404


def test_an_order_that_cannot_be_met_is_a_409_naming_the_lines(client, db):
    h = auth(db, "integration")
    refused = client.post("/v1/orders", json=body(lines=[("A", 1), ("B", 2)]), headers=h)
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["type"].endswith("insufficient-stock")
    assert [ln["sku"] for ln in problem["lines"]] == ["B"]
    assert buckets(db, "A", "S1")["committed"] == 0
    assert client.get("/v1/orders/O-1", headers=h).status_code == 404


def test_malformed_orders_are_422_naming_the_field(client, db):
    h = auth(db, "integration")
    bad = body()
    bad["lines"][0]["quantity"] = "1"
    answer = client.post("/v1/orders", json=bad, headers=h)
    assert (answer.status_code, answer.json()["field"]) == (422, "lines[0].quantity")
    far = body(delivery={"method": "ship", "latitude": 12.0})
    answer = client.post("/v1/orders", json=far, headers=h)
    assert (answer.status_code, answer.json()["field"]) == (422, "delivery.longitude")
    unknown = client.post("/v1/orders", json=body(lines=[("NOPE", 1)]), headers=h)
    assert (unknown.status_code, unknown.json()["field"]) == (422, "lines[0].sku")


def test_keys_and_rights(client, db):
    assert client.post("/v1/orders", json=body()).status_code == 401
    assert client.post("/v1/orders", json=body(), headers=auth(db, "viewer")).status_code == 403
    s1 = auth(db, "store", "S1")
    assert client.post("/v1/orders", json=body(), headers=s1).status_code == 403
    assert client.get("/v1/orders", headers=s1).status_code == 200


def test_a_store_key_drives_fulfillments_at_its_own_store_only(client, db):
    h = auth(db, "integration")
    client.post("/v1/orders", json=body("O-1", delivery={"method": "pickup", "location": "S1"}),
                headers=h)
    client.post("/v1/orders", json=body("O-2", delivery={"method": "pickup", "location": "S2"}),
                headers=h)
    s1 = auth(db, "store", "S1")
    elsewhere = client.post("/v1/orders/O-2/fulfillments/1/ready", headers=s1)
    assert elsewhere.status_code == 403
    assert elsewhere.json()["type"].endswith("forbidden")
    ready = client.post("/v1/orders/O-1/fulfillments/1/ready", headers=s1)
    assert (ready.status_code, ready.json()["status"]) == (200, "ready_for_pickup")
    work = client.get("/v1/locations/S1/work", headers=s1).json()
    assert [(f["order_id"], f["allowed_actions"]) for f in work["fulfillments"]] == [
        ("O-1", ["pickup"])]
    done = client.post("/v1/orders/O-1/fulfillments/1/pickup", headers=s1)
    assert done.json()["status"] == "fulfilled"
    assert client.get("/v1/locations/S1/work", headers=s1).json()["fulfillments"] == []
    twice = client.post("/v1/orders/O-1/fulfillments/1/pickup", headers=s1)
    assert (twice.status_code, twice.json()["type"].split("/")[-1]) == (409, "invalid-state")


def test_short_over_http_resources_the_rest(client, db):
    h = auth(db, "integration")
    client.post("/v1/orders", json=body(lines=[("A", 3)]), headers=h)
    wrong = client.post("/v1/orders/O-1/fulfillments/1/short", json={"quantity_found": 3},
                        headers=h)
    assert (wrong.status_code, wrong.json()["field"]) == (422, "quantity_found")
    short = client.post("/v1/orders/O-1/fulfillments/1/short", json={"found": 1}, headers=h)
    assert short.status_code == 200, short.text
    order = short.json()
    assert order["fulfillments"][0]["status"] == "short"
    assert sum(f["lines"][0]["quantity"] for f in order["fulfillments"]) == 3
    assert order["history"][-1]["event"] == "resourced"


def test_actions_replay_with_an_idempotency_key(client, db):
    h = auth(db, "integration")
    client.post("/v1/orders", json=body(), headers=h)
    keyed = {**h, "Idempotency-Key": "pick-1"}
    first = client.post("/v1/orders/O-1/fulfillments/1/pick", headers=keyed)
    again = client.post("/v1/orders/O-1/fulfillments/1/pick", headers=keyed)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.headers.get("Idempotent-Replayed") == "true"
    unknown = client.post("/v1/orders/O-1/fulfillments/1/teleport", headers=h)
    assert (unknown.status_code, unknown.json()["field"]) == (422, "action")
    stray = client.post("/v1/orders/O-1/fulfillments/1/pack", json={"quantity_found": 1},
                        headers=h)
    assert (stray.status_code, stray.json()["field"]) == (422, "quantity_found")
    missing = client.post("/v1/orders/O-1/fulfillments/9/pick", headers=h)
    assert missing.status_code == 404


def test_cancel_and_list(client, db):
    h = auth(db, "integration")
    client.post("/v1/orders", json=body("O-1"), headers=h)
    client.post("/v1/orders", json=body("O-2"), headers=h)
    cancelled = client.post("/v1/orders/O-1/cancel", headers=h)
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    assert buckets(db, "A", "S1")["committed"] == 1
    listed = client.get("/v1/orders", params={"status": "open", "channel": "web"}, headers=h)
    assert [o["order_id"] for o in listed.json()["orders"]] == ["O-2"]
    assert "history" not in listed.json()["orders"][0]
    assert client.get("/v1/orders", params={"status": "lost"}, headers=h).status_code == 422


def test_channel_policy_read_and_replace(client, db):
    viewer, admin = auth(db, "viewer"), auth(db, "admin")
    read = client.get("/v1/channels/web/policy", headers=viewer)
    assert read.status_code == 200
    assert read.json()["policy"]["bopis_hold_hours"] == 72
    new = {"allow_endless_aisle": True, "bopis_hold_hours": 24}
    assert client.put("/v1/channels/web/policy", json=new,
                      headers=auth(db, "integration")).status_code == 403
    bad = client.put("/v1/channels/web/policy", json={"handling_cost": -1}, headers=admin)
    assert (bad.status_code, bad.json()["field"]) == (422, "handling_cost")
    saved = client.put("/v1/channels/web/policy", json=new, headers=admin)
    assert saved.status_code == 200 and saved.json()["stored"] == new
    assert client.get("/v1/channels/web/policy", headers=viewer).json()["policy"][
        "bopis_hold_hours"] == 24
    assert client.get("/v1/channels/nope/policy", headers=viewer).status_code == 404
