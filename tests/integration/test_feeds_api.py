"""Feeds through HTTP: push imports, Shopify webhooks, mappings, quarantine, sync health."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from omnistock.api.app import create_app
from omnistock.services import keys
from omnistock.services.availability import availability
from omnistock.settings import get_settings
from omnistock.store.database import Database

from .test_feeds import seed

FIXTURES = Path(__file__).parent.parent / "fixtures" / "feeds"
SECRET = "shop-secret"


@pytest.fixture
def client(db: Database, monkeypatch) -> Iterator[TestClient]:
    monkeypatch.setenv("OMNISTOCK_SHOPIFY_SECRET", SECRET)
    get_settings.cache_clear()
    seed(db)
    app = create_app(db, background=[])
    with TestClient(app) as c:
        yield c
    get_settings.cache_clear()  # monkeypatch restores the environment after this


def auth(db: Database, role: str) -> dict[str, str]:
    key, _ = keys.create_key(db, role=role)
    return {"Authorization": f"Bearer {key}"}


def test_push_import_quarantine_mapping_and_retry(client, db):
    h = auth(db, "integration")
    data = (FIXTURES / "pos" / "sales.csv").read_bytes()
    r = client.post("/v1/ingest/pos?source=till", content=data, headers=h)
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["applied"] + s["duplicates"] + s["quarantined"] == s["read"] and s["quarantined"]
    held = client.get("/v1/quarantine?source=till", headers=auth(db, "viewer")).json()
    assert any("SOCKS, WOOL" in q["reason"] for q in held["records"])
    m = client.post("/v1/mappings", headers=h, json={
        "source": "till", "kind": "item", "code": "SOCKS, WOOL", "target": "SOCKS-WOOL"})
    assert m.status_code == 201, m.text
    bad = client.post("/v1/mappings", headers=h, json={
        "source": "till", "kind": "item", "code": "X", "target": "NO-SUCH-SKU"})
    assert bad.status_code == 422 and bad.json()["field"] == "target"
    retried = client.post("/v1/quarantine/retry?source=till", headers=h).json()
    assert retried["applied"] == 1
    assert client.post("/v1/ingest/pos", content=data,
                       headers=auth(db, "viewer")).status_code == 403
    sources = client.get("/v1/sources", headers=h).json()["sources"]
    assert {x["source"] for x in sources} >= {"till"}
    metrics = client.get("/metrics", headers=auth(db, "viewer")).text
    assert 'omnistock_source_stale{source="till"}' in metrics
    assert 'omnistock_source_latency_p99_seconds{source="till"}' in metrics


def _sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def test_shopify_webhook_is_verified_and_deduplicated(client, db):
    body = (FIXTURES / "shopify" / "inventory_levels_update.json").read_bytes()
    headers = {"X-Shopify-Hmac-Sha256": _sign(body), "X-Shopify-Webhook-Id": "wh-1",
               "Content-Type": "application/json"}
    wrong = client.post("/v1/ingest/shopify/inventory_levels/update", content=body,
                        headers={**headers, "X-Shopify-Hmac-Sha256": _sign(body, "other")})
    assert wrong.status_code == 401
    assert wrong.headers["content-type"].startswith("application/problem+json")
    first = client.post("/v1/ingest/shopify/inventory_levels/update", content=body,
                        headers=headers)
    assert first.status_code == 200, first.text
    again = client.post("/v1/ingest/shopify/inventory_levels/update", content=body,
                        headers=headers)
    assert again.status_code == 200 and again.json() == first.json()
    assert first.json()["read"] == 1
    # Unmapped Shopify ids are quarantined, not lost.
    assert first.json()["quarantined"] == 1
    assert availability(db, "SHIRT-BLUE-M")["locations"] == []

