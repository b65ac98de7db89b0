"""What the API refuses, and to whom: item search takes `%` and `_` as letters, timestamps
are ISO 8601 strings only, a body too deep to read is a 422 naming it, metrics need a key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from omnistock.api.app import create_app
from omnistock.domain.catalog import Item
from omnistock.services import catalog, keys
from omnistock.store.database import Database

from ..factories import seed

T = "2026-11-01T09:00:00Z"


@pytest.fixture
def client(db: Database) -> Iterator[TestClient]:
    seed(db)
    key, _ = keys.create_key(db, role="admin")
    with TestClient(create_app(db, background=[]),
                    headers={"Authorization": f"Bearer {key}"}) as c:
        yield c


def test_percent_and_underscore_in_a_search_match_only_themselves(db: Database, client):
    for sku, name in (("PCT-1", "100% wool"), ("US-1", "snake_case"), ("BS-1", "back\\slash"),
                      ("PLAIN-1", "plain")):
        catalog.create_item(db, Item(sku=sku, name=name))

    def found(q: str) -> set[str]:
        r = client.get("/v1/items", params={"q": q})
        assert r.status_code == 200, r.text
        return {i["sku"] for i in r.json()["items"]}

    assert found("%") == {"PCT-1"}
    assert found("_") == {"US-1"}
    assert found("\\") == {"BS-1"}
    assert found("0% w") == {"PCT-1"}
    assert found("pLaIn") == {"PLAIN-1"}


def _movement(**kw: object) -> dict[str, object]:
    return {"type": "receipt", "sku": "SKU-1", "location": "S1", "quantity": 1,
            "occurred_at": T, "source": "erp", "external_id": "e-1", **kw}


@pytest.mark.parametrize("value", [1_762_000_000, 1_762_000_000.5, "2026-11-01", True])
@pytest.mark.parametrize(("path", "body", "field"), [
    ("/v1/movements", lambda v: _movement(occurred_at=v), "occurred_at"),
    ("/v1/movements", lambda v: _movement(type="expected", expected_at=v), "expected_at"),
    ("/v1/movements", lambda v: {"movements": [_movement(occurred_at=v)]},
     "movements[0].occurred_at"),
    ("/v1/counts", lambda v: {"sku": "SKU-1", "location": "S1", "counted_quantity": 1,
                              "counted_at": v, "source": "rfid", "external_id": "c-1"},
     "counted_at"),
])
def test_a_timestamp_is_a_date_and_time_string(client, value, path, body, field):
    r = client.post(path, json=body(value))
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field


def test_a_body_nested_beyond_reading_is_a_422_naming_the_body(client):
    deep = "[" * 100_000 + "]" * 100_000
    r = client.post("/v1/movements", content=deep,
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["field"] == "body"


def test_metrics_take_a_key_with_read_and_are_collected_once_per_interval(db: Database,
                                                                        client):
    viewer, _ = keys.create_key(db, role="viewer")
    r = client.get("/metrics", headers={"Authorization": ""})
    assert r.status_code == 401
    first = client.get("/metrics", headers={"Authorization": f"Bearer {viewer}"})
    assert first.status_code == 200 and "omnistock_outbox_lag_seconds" in first.text
    scrape = client.app.state.scrape  # type: ignore[attr-defined]
    text = scrape.text()
    assert scrape.text() is text  # within the interval, no new collection


def _keys(node: object) -> set[str]:
    if isinstance(node, dict):
        return set(node) | {k for v in node.values() for k in _keys(v)}
    if isinstance(node, list):
        return {k for v in node for k in _keys(v)}
    return set()


def test_openapi_states_bounds_enums_and_formats_in_json_schema(client):
    schema = client.get("/openapi.json").json()
    assert not _keys(schema) & {"gt", "ge", "lt", "le"}
    parts = schema["components"]["schemas"]
    quantity = parts["UnsignedMovementIn"]["properties"]["quantity"]
    assert (quantity["exclusiveMinimum"], quantity["maximum"]) == (0, 1_000_000_000)
    assert parts["CountIn"]["properties"]["counted_quantity"]["minimum"] == 0
    for name, field in (("UnsignedMovementIn", "occurred_at"), ("CountIn", "counted_at"),
                        ("ExpectedMovementIn", "expected_at")):
        assert parts[name]["properties"][field]["format"] == "date-time", (name, field)
    assert "return" in parts["MovementType"]["enum"]
    assert "short" in parts["FulfillmentStatus"]["enum"]
    assert parts["Movement"]["properties"]["type"]["$ref"].endswith("/MovementType")
    assert parts["Fulfillment"]["properties"]["status"]["$ref"].endswith("/FulfillmentStatus")
