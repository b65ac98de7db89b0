"""The integrator's reads and PATCH routes through HTTP, on SQLite and PostgreSQL: shapes,
cursors, validation problems naming the field, rights, events, and the compare-and-set 409."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from omnistock.api.app import create_app
from omnistock.services import catalog, keys
from omnistock.services.movements import apply_batch
from omnistock.services.verify import verify
from omnistock.store.database import Database
from omnistock.store.tables import outbox

from ..factories import movement, seed

PROBLEM = "application/problem+json"


@pytest.fixture
def client(db: Database) -> Iterator[TestClient]:
    seed(db, skus=("SKU-1", "SKU-2"), locations=("S1", "S2"))
    catalog.create_channel(db, "web", "Web", ["S1"])
    apply_batch(db, [movement("receipt", 10), movement("receipt", 4, sku="SKU-2",
                                                       location="S2", source="erp")])
    with TestClient(create_app(db, background=[])) as c:
        yield c


def auth(db: Database, role: str, location: str | None = None) -> dict[str, str]:
    key, _ = keys.create_key(db, role=role, location=location)
    return {"Authorization": f"Bearer {key}"}


def problem(response, status: int, field: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["field"] == field, response.json()
    return response.json()


def test_lists_page_with_opaque_cursors(client, db):
    h = auth(db, "viewer")
    catalog.create_channel(db, "app", "App", [])
    page = client.get("/v1/channels?limit=1", headers=h).json()
    assert [c["code"] for c in page["channels"]] == ["app"] and page["next"]
    rest = client.get(f"/v1/channels?limit=1&cursor={page['next']}", headers=h).json()
    assert rest["channels"] == [{"code": "web", "name": "Web", "locations": ["S1"]}]
    moves = client.get("/v1/movements?source=erp", headers=h).json()
    assert [(m["sku"], m["quantity"]) for m in moves["movements"]] == [("SKU-2", 4)]
    assert moves["next"] is None and moves["resume"]
    stock = client.get("/v1/locations/S2/stock", headers=h).json()
    assert [(i["sku"], i["available"]) for i in stock["items"]] == [("SKU-2", 4)]
    problem(client.get("/v1/locations/NOWHERE/stock", headers=h), 404, "code")
    problem(client.get("/v1/movements?cursor=abc", headers=h), 422, "cursor")
    problem(client.get(f"/v1/movements?sku=SKU-1&cursor={moves['resume']}", headers=h), 422,
            "cursor")
    problem(client.get("/v1/movements?type=teleport", headers=h), 422, "type")
    problem(client.get("/v1/movements?occurred_from=2026-11-01", headers=h), 422,
            "occurred_from")
    assert client.get("/v1/movements").status_code == 401


def test_availability_of_many_skus_and_as_of(client, db):
    h = auth(db, "viewer")
    many = client.get("/v1/availability?sku=SKU-2&sku=SKU-1&channel=web", headers=h).json()
    assert [(i["sku"], i["available"]) for i in many["items"]] == [("SKU-2", 0),
                                                                   ("SKU-1", 10)]
    problem(client.get("/v1/availability?sku=SKU-1&sku=NOPE", headers=h), 404, "sku")
    problem(client.get("/v1/availability", headers=h), 422, "sku")
    before = client.get("/v1/availability/SKU-1?as_of=2026-11-01T08:59:59Z", headers=h).json()
    assert before["locations"] == [] and before["as_of"] == "2026-11-01T08:59:59Z"
    at = client.get("/v1/availability/SKU-1?as_of=2026-11-01T09:00:00Z", headers=h).json()
    assert at["available"] == 10
    problem(client.get("/v1/availability/SKU-1?as_of=2999-01-01T00:00:00Z", headers=h), 422,
            "as_of")
    problem(client.get("/v1/availability/SKU-1?as_recorded=2026-11-01T09:00:00Z"
                       "&horizon_days=3", headers=h), 422, "horizon_days")


def test_compare_and_set_count_is_a_409_naming_the_quantity(client, db):
    h = auth(db, "integration")
    body = {"sku": "SKU-1", "location": "S1", "counted_quantity": 7,
            "counted_at": "2026-11-01T10:00:00Z", "source": "shopify", "external_id": "c-1"}
    stale = problem(client.post("/v1/counts", json={**body, "compare_quantity": 9},
                                headers=h), 409, "compare_quantity")
    assert stale["type"].endswith("stale-quantity") and stale["on_hand"] == 10
    problem(client.post("/v1/counts", json={**body, "compare_quantity": True}, headers=h),
            422, "compare_quantity")
    ok = client.post("/v1/counts", json={**body, "compare_quantity": 10}, headers=h)
    assert ok.status_code == 201 and ok.json()["deltas"] == {"on_hand": -3}
    again = client.post("/v1/counts", json={**body, "compare_quantity": 10}, headers=h)
    assert again.status_code == 200 and again.json() == ok.json()
    assert verify(db) == []


def test_patch_items_locations_and_channels(client, db):
    admin, integration = auth(db, "admin"), auth(db, "integration")
    item = client.patch("/v1/items/SKU-1", json={"name": "Apple", "gtin": "4006381333931",
                                                 "unit_cost": 0.5}, headers=integration)
    assert item.status_code == 200, item.text
    assert (item.json()["name"], item.json()["gtin"]) == ("Apple", "04006381333931")
    problem(client.patch("/v1/items/SKU-2", json={"gtin": "4006381333931"},
                         headers=integration), 409, "gtin")
    problem(client.patch("/v1/items/SKU-2", json={"gtin": "4006381333932"},
                         headers=integration), 422, "gtin")
    problem(client.patch("/v1/items/SKU-2", json={"name": None}, headers=integration), 422,
            "name")
    problem(client.patch("/v1/items/SKU-2", json={"sku": "X"}, headers=integration), 422,
            "sku")
    problem(client.patch("/v1/items/NOPE", json={}, headers=integration), 404, "sku")
    cleared = client.patch("/v1/items/SKU-1", json={"gtin": None}, headers=integration)
    assert cleared.json()["gtin"] is None and cleared.json()["name"] == "Apple"

    address = {"line1": "1 Rue de Rivoli", "city": "Paris", "country": "FR"}
    loc = client.patch("/v1/locations/S1", json={"daily_capacity": 150, "can_ship": False,
                                                 "address": address}, headers=admin)
    assert loc.status_code == 200, loc.text
    assert (loc.json()["daily_capacity"], loc.json()["can_ship"]) == (150, False)
    shown = client.get("/v1/locations/S1", headers=admin).json()["address"]
    assert shown == {**dict.fromkeys(("line2", "region", "postal_code")), **address}
    problem(client.patch("/v1/locations/S1", json={"latitude": None}, headers=admin), 422,
            "latitude")
    problem(client.patch("/v1/locations/S1", json={"address": {"country": "France"}},
                         headers=admin), 422, "address.country")
    problem(client.patch("/v1/locations/S1", json={"can_pickup": "yes"}, headers=admin), 422,
            "can_pickup")
    problem(client.patch("/v1/locations/S1", json={"name": "x"}, headers=integration), 403,
            "Authorization")
    gone = client.patch("/v1/locations/S1", json={"address": None}, headers=admin)
    assert gone.json()["address"] is None

    channel = client.patch("/v1/channels/web", json={
        "name": "Web EU", "locations": ["S2", "S1", "S2"], "policy": {"handling_cost": 2.5}},
        headers=admin)
    assert channel.json() == {"code": "web", "name": "Web EU", "locations": ["S1", "S2"]}
    policy = client.get("/v1/channels/web/policy", headers=admin).json()
    assert policy["stored"] == {"handling_cost": 2.5}
    problem(client.patch("/v1/channels/web", json={"locations": ["NOWHERE"]}, headers=admin),
            422, "locations")
    problem(client.patch("/v1/channels/web", json={"policy": {"handling_cost": -1}},
                         headers=admin), 422, "policy.handling_cost")
    with db.uow(readonly=True) as uow:
        events = [(r.type, r.subject) for r in uow.conn.execute(
            outbox.select().where(outbox.c.type.like("%.changed"),
                                  outbox.c.type != "availability.changed")
            .order_by(outbox.c.id))]
    assert events == [("item.changed", "SKU-1"), ("item.changed", "SKU-1"),
                      ("location.changed", "S1"), ("location.changed", "S1"),
                      ("channel.changed", "web")]
