"""`GET /v1/kpis` and `GET /v1/exceptions` through the API app: any key reads, none is 401,
bad periods are 422 problems; and the dashboard page and its assets are served."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from omnistock.api.app import create_app
from omnistock.services import keys
from omnistock.services.movements import apply_movement

from ..factories import movement, seed


@pytest.fixture
def client(db):
    seed(db)
    apply_movement(db, movement("receipt", 3))
    apply_movement(db, movement("sale", 4, minutes=5))
    key, _ = keys.create_key(db, role="viewer", name="kpi test")
    with TestClient(create_app(db, background=[])) as c:
        c.headers["Authorization"] = f"Bearer {key}"
        yield c


def test_kpis_over_a_period(client):
    r = client.get("/v1/kpis", params={"from": "2026-11-01", "to": "2026-11-03T00:00:00Z"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["days"] == ["2026-11-01", "2026-11-02"]
    assert body["stockout_rate"]["series"][0] == {"date": "2026-11-01", "cells": 1, "out": 1,
                                                  "value": 1.0}
    assert body["units"]["series"][0]["sold"] == 4
    assert {"fill_rate", "bopis_share", "ship_from_store_share", "split_shipment_rate",
            "data_latency", "oversell_refused", "orders"} <= set(body)


def test_kpis_default_period_is_the_last_seven_days(client):
    body = client.get("/v1/kpis").json()
    assert len(body["days"]) == 7


@pytest.mark.parametrize("params", [{"from": "yesterday"}, {"to": "2026-11-01T00:00:00"},
                                    {"from": "2026-11-05", "to": "2026-11-01"}])
def test_bad_periods_are_422_problems(client, params):
    r = client.get("/v1/kpis", params=params)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


def test_exceptions(client):
    body = client.get("/v1/exceptions").json()
    assert [(e["sku"], e["available"], e["cause"]) for e in body["negative_availability"]] == [
        ("SKU-1", -1, "oversold")]
    assert client.get("/v1/exceptions", params={"count_threshold": 0}).status_code == 422


def test_without_a_key_it_is_401(client):
    del client.headers["Authorization"]
    assert client.get("/v1/kpis").status_code == 401
    assert client.get("/v1/exceptions").status_code == 401


def test_the_page_and_its_assets_are_served_without_a_key(client):
    del client.headers["Authorization"]
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert '<script type="module" src="/static/js/app.js">' in page.text
    js = client.get("/static/js/app.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    for path in ("/static/../routes.py", "/static/%2e%2e/routes.py", "/static/nope.js",
                 "/static/js"):
        assert client.get(path).status_code == 404, path
