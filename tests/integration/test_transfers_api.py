"""The transfer routes through HTTP: status codes, problems, replays, keys and their
locations."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from omnistock.api.app import create_app
from omnistock.services import keys
from omnistock.services.verify import verify
from omnistock.store.database import Database

from .test_transfers import buckets, network

PROBLEM = "application/problem+json"
DUE = "2026-11-03T09:00:00Z"


@pytest.fixture
def client(db: Database) -> Iterator[TestClient]:
    network(db)
    with TestClient(create_app(db, background=[])) as c:
        yield c


def auth(db: Database, role: str, location: str | None = None) -> dict[str, str]:
    key, _ = keys.create_key(db, role=role, location=location)
    return {"Authorization": f"Bearer {key}"}


def body(**kw) -> dict:
    return {"from_location": "DC", "to_location": "S1",
            "lines": [{"sku": "A", "quantity": 4}], "expected_at": DUE, **kw}


def test_request_ship_receive_close_and_read(client, db):
    h = auth(db, "integration")
    created = client.post("/v1/transfers", json=body(reference="R-1"), headers=h)
    assert created.status_code == 201, created.text
    t = created.json()
    assert (t["status"], t["expected_at"], t["reference"]) == ("requested", DUE, "R-1")
    assert t["lines"] == [{"sku": "A", "quantity": 4, "shipped": 0, "received": 0, "lost": 0,
                           "in_transit": 0, "over_received": 0}]
    path = f"/v1/transfers/{t['id']}"
    shipped = client.post(f"{path}/ship", headers=h)
    assert (shipped.status_code, shipped.json()["status"]) == (200, "shipped")
    got = client.post(f"{path}/receive", json={"lines": [{"sku": "A", "quantity": 3}]},
                      headers=h)
    assert got.json()["lines"][0]["in_transit"] == 1
    closed = client.post(f"{path}/close", json={"reason": "lost"}, headers=h)
    assert closed.json()["status"] == "closed_short"
    read = client.get(path, headers=auth(db, "viewer"))
    assert read.status_code == 200
    assert [e["event"] for e in read.json()["history"]] == [
        "requested", "shipped", "received", "closed"]
    listed = client.get("/v1/transfers", params={"location": "S1", "status": "closed_short"},
                        headers=h).json()["transfers"]
    assert [x["id"] for x in listed] == [t["id"]]
    assert "history" not in listed[0]
    assert verify(db) == []


def test_state_conflicts_and_over_receipts_are_409_problems(client, db):
    h = auth(db, "integration")
    t = client.post("/v1/transfers", json=body(), headers=h).json()
    path = f"/v1/transfers/{t['id']}"
    early = client.post(f"{path}/receive", json={"lines": [{"sku": "A", "quantity": 1}]},
                        headers=h)
    assert early.status_code == 409
    assert early.headers["content-type"].startswith(PROBLEM)
    assert early.json()["type"].endswith("invalid-state")
    assert early.json()["status_now"] == "requested"
    client.post(f"{path}/ship", json={"lines": [{"sku": "A", "quantity": 2}]}, headers=h)
    over = client.post(f"{path}/receive", json={"lines": [{"sku": "A", "quantity": 3}]},
                       headers=h)
    assert (over.status_code, over.json()["field"]) == (409, "lines[0].quantity")
    accepted = client.post(f"{path}/receive", json={"lines": [{"sku": "A", "quantity": 3}],
                                                     "accept_over": True}, headers=h)
    assert accepted.status_code == 200
    assert accepted.json()["discrepancies"][0]["quantity"] == 1
    assert client.post(f"{path}/cancel", headers=h).status_code == 409
    assert buckets(db, "A", "S1")["on_hand"] == 3
    assert verify(db) == []


def test_shipping_more_than_the_source_has_is_an_insufficient_stock_problem(client, db):
    h = auth(db, "integration")
    t = client.post("/v1/transfers", json=body(lines=[{"sku": "A", "quantity": 11}]),
                    headers=h).json()
    refused = client.post(f"/v1/transfers/{t['id']}/ship", headers=h)
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["type"].endswith("insufficient-stock")
    assert problem["lines"] == [{"sku": "A", "location": "DC", "requested": 11,
                                 "available": 10}]
    assert buckets(db, "A", "DC")["on_hand"] == 10


def test_replays_by_idempotency_key_and_by_external_id(client, db):
    h = auth(db, "integration")
    once = {**h, "Idempotency-Key": "create-1"}
    first = client.post("/v1/transfers", json=body(), headers=once)
    again = client.post("/v1/transfers", json=body(), headers=once)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert len(client.get("/v1/transfers", headers=h).json()["transfers"]) == 1
    path = f"/v1/transfers/{first.json()['id']}"
    client.post(f"{path}/ship", headers=h)
    receipt = {"lines": [{"sku": "A", "quantity": 1}], "external_id": "GRN-1"}
    keyed = {**h, "Idempotency-Key": "receive-1"}
    assert client.post(f"{path}/receive", json=receipt, headers=keyed).status_code == 200
    assert client.post(f"{path}/receive", json=receipt, headers=keyed).status_code == 200
    assert client.post(f"{path}/receive", json=receipt, headers=h).status_code == 200
    assert buckets(db, "A", "S1")["on_hand"] == 1
    other = client.post(f"{path}/receive",
                        json={**receipt, "lines": [{"sku": "A", "quantity": 2}]}, headers=h)
    assert (other.status_code, other.json()["type"].split("/")[-1]) == (
        409, "idempotency-conflict")
    reused = client.post(f"{path}/receive", json={"lines": [{"sku": "A", "quantity": 2}]},
                         headers=keyed)
    assert reused.json()["type"].endswith("idempotency-key-reused")


def test_roles_and_locations(client, db):
    admin = auth(db, "admin")
    t = client.post("/v1/transfers", json=body(), headers=admin).json()
    path = f"/v1/transfers/{t['id']}"
    viewer, dc, s1 = auth(db, "viewer"), auth(db, "store", "DC"), auth(db, "store", "S1")
    assert client.get(path, headers=viewer).status_code == 200
    assert client.get(path).status_code == 401
    assert client.post("/v1/transfers", json=body(), headers=viewer).status_code == 403
    assert client.post("/v1/transfers", json=body(), headers=dc).status_code == 403
    wrong = client.post(f"{path}/ship", headers=s1)
    assert (wrong.status_code, wrong.json()["field"]) == (403, "from_location")
    assert client.post(f"{path}/ship", headers=dc).status_code == 200
    receipt = {"lines": [{"sku": "A", "quantity": 4}]}
    assert client.post(f"{path}/receive", json=receipt, headers=dc).status_code == 403
    assert client.post(f"{path}/receive", json=receipt, headers=viewer).status_code == 403
    assert client.post(f"{path}/close", json={"reason": "x"}, headers=s1).status_code == 403
    assert client.post(f"{path}/receive", json=receipt, headers=s1).status_code == 200
    assert verify(db) == []


def test_malformed_requests_are_422_naming_the_field(client, db):
    h = auth(db, "integration")
    cases = [(body(lines=[{"sku": "A", "quantity": "4"}]), "lines[0].quantity"),
             (body(lines=[]), "lines"),
             (body(expected_at="2026-11-03"), "expected_at"),
             (body(to_location="DC"), "to_location"),
             (body(lines=[{"sku": "NOPE", "quantity": 1}]), "lines[0].sku"),
             ({**body(), "colour": "red"}, "colour")]
    for payload, field in cases:
        answer = client.post("/v1/transfers", json=payload, headers=h)
        assert (answer.status_code, answer.json()["field"]) == (422, field), payload
    assert client.get("/v1/transfers/not-a-uuid", headers=h).status_code == 422
    missing = client.get("/v1/transfers/00000000-0000-4000-8000-000000000000", headers=h)
    assert missing.status_code == 404
    assert client.get("/v1/transfers", params={"status": "lost"},
                      headers=h).status_code == 422
    assert client.get("/v1/transfers", params={"location": "NOWHERE"},
                      headers=h).status_code == 422
