"""Feed sources' settings, bulk mappings, retries by id and provenance, through HTTP."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from omnistock.api.app import create_app
from omnistock.settings import get_settings
from omnistock.store.tables import movements

from .test_feeds import seed
from .test_feeds_api import SECRET, auth, client  # noqa: F401  (the fixture)

FEEDS = Path(__file__).parent.parent / "fixtures" / "feeds"
TILL = (b"Receipt,Line,When,Shop,Article,Qty,Kind\n"
        b"R-1,1,2024-03-01 09:15:02,ZRH-01,SHIRT-BLUE-M,2.0,Verkauf\n"
        b"R-1,2,2024-03-01 09:15:02,ZRH-01,NO-SUCH-SKU,1.0,Verkauf\n")
COLUMNS = {"transaction_id": "Receipt", "line": "Line", "occurred_at": "When",
           "store": "Shop", "sku": "Article", "quantity": "Qty", "type": "Kind"}


def test_a_source_with_its_own_columns_and_zone_imports_and_retries_by_id(client, db):  # noqa: F811
    h = auth(db, "integration")
    r = client.put("/v1/sources/till-de/settings", headers=h, json={
        "time_zone": "Europe/Zurich", "columns": COLUMNS, "types": {"Verkauf": "sale"}})
    assert r.status_code == 200, r.text
    assert client.get("/v1/sources/till-de/settings",
                      headers=auth(db, "viewer")).json()["time_zone"] == "Europe/Zurich"
    bad = client.put("/v1/sources/till-de/settings", headers=h, json={"time_zone": "Nowhere"})
    assert bad.status_code == 422 and bad.json()["field"] == "time_zone"

    s = client.post("/v1/ingest/pos?source=till-de", content=TILL, headers=h).json()
    assert (s["applied"], s["quarantined"]) == (1, 1), s
    with db.uow(readonly=True) as uow:
        row = uow.conn.execute(select(movements.c.occurred_at, movements.c.actor)
                               .where(movements.c.source == "till-de")).one()
    assert row.occurred_at.isoformat() == "2024-03-01T08:15:02+00:00"  # 09:15:02 in Zurich
    prefix = h["Authorization"].removeprefix("Bearer osk_").split("_")[0]
    assert row.actor == prefix  # the key that pushed the file

    [held] = client.get("/v1/quarantine?source=till-de", headers=h).json()["records"]
    assert held["reason"].startswith("unknown item 'NO-SUCH-SKU'") and held["seen"] == 1
    again = client.post("/v1/ingest/pos?source=till-de", content=TILL, headers=h).json()
    assert again["duplicates"] == 1 and again["quarantined"] == 1
    [same] = client.get("/v1/quarantine?source=till-de", headers=h).json()["records"]
    assert same["id"] == held["id"] and same["seen"] == 2

    mapped = client.post("/v1/mappings/import?source=till-de", headers=h,
                         content=b"kind,code,target\nitem,NO-SUCH-SKU,SOCKS-WOOL\n")
    assert mapped.status_code == 200 and mapped.json()["added"] == 1, mapped.text
    retried = client.post("/v1/quarantine/retry", headers=h, json={"ids": [held["id"]]})
    assert retried.status_code == 200 and retried.json()["applied"] == 1, retried.text
    assert client.get("/v1/quarantine?source=till-de", headers=h).json()["records"] == []
    wrong = client.post("/v1/mappings/import?source=till-de", headers=h,
                        content=b"inventory_item_id,sku\n1,NOPE\n")
    assert wrong.status_code == 422 and "line 2" in wrong.json()["detail"]


def signed(body: bytes) -> dict[str, str]:
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).digest()
    return {"X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode(),
            "Content-Type": "application/json"}


def test_a_webhook_that_moves_nothing_says_why(client, db):  # noqa: F811
    body = (FEEDS / "shopify" / "upstream" / "fulfillment.json").read_bytes()
    fulfillment = json.dumps(json.loads(body)["fulfillment"]).encode()
    r = client.post("/v1/ingest/shopify/fulfillments/create", content=fulfillment,
                    headers=signed(fulfillment))
    assert r.status_code == 200, r.text
    assert r.json()["read"] == 0 and "status is success" in r.json()["note"]


def test_webhooks_without_a_configured_secret_are_refused_with_the_setting_named(db,
                                                                               monkeypatch):
    monkeypatch.setenv("OMNISTOCK_SHOPIFY_SECRET", "")
    get_settings.cache_clear()
    seed(db)
    with TestClient(create_app(db, background=[])) as c:
        r = c.post("/v1/ingest/shopify/orders/create", content=b"{}",
                   headers={"X-Shopify-Hmac-Sha256": "x"})
    get_settings.cache_clear()
    assert r.status_code == 401
    assert r.json()["field"] == "OMNISTOCK_SHOPIFY_SECRET"
    assert "OMNISTOCK_SHOPIFY_SECRET is not set" in r.json()["detail"]
