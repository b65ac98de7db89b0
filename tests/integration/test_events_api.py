"""The event routes and background task inside the real application (create_app): keys and
rights, the API's problems, a change written through POST /v1/movements reaching a stream and
a webhook, from the lifespan's background task."""

from __future__ import annotations

import json

import httpx
import pytest

from omnistock.api import app as app_module
from omnistock.events.background import background_task
from omnistock.events.signing import verify
from omnistock.services import keys

from ..factories import T0, ref, seed
from ..servers import ServerThread
from .test_events_helpers import Receiver, SSEClient, wait_until

SECRET = "whsec_api_test_0123456789"


@pytest.fixture
def api(db, monkeypatch):
    monkeypatch.delenv("OMNISTOCK_NATS_URL", raising=False)
    seed(db)
    tokens = {role: keys.create_key(db, role=role)[0]
              for role in ("admin", "integration", "viewer")}
    with ServerThread(app_module.create_app(db, background=[background_task])) as server:
        yield server, {role: {"Authorization": f"Bearer {t}"} for role, t in tokens.items()}


def test_stream_needs_a_key_and_webhooks_need_admin(api):
    server, auth = api
    assert httpx.get(server.url + "/v1/events", timeout=5).status_code == 401
    hook = {"url": "https://example.test/in", "events": ["*"], "secret": SECRET}
    for role, status in (("viewer", 403), ("integration", 403), ("admin", 201)):
        r = httpx.post(server.url + "/v1/webhooks", json=hook, headers=auth[role], timeout=5)
        assert r.status_code == status, r.text
    bad = httpx.post(server.url + "/v1/webhooks", json={**hook, "url": "nope"},
                     headers=auth["admin"], timeout=5)
    assert bad.status_code == 422 and bad.json()["field"] == "url"
    assert bad.headers["content-type"].startswith("application/problem+json")


def test_a_write_through_the_api_reaches_stream_and_webhook(api):
    server, auth = api
    with Receiver() as receiver, \
            SSEClient(server.url + "/v1/events", headers=auth["viewer"]) as stream:
        httpx.post(server.url + "/v1/webhooks", headers=auth["admin"], timeout=5, json={
            "url": receiver.url, "events": ["availability.changed"], "secret": SECRET})
        r = httpx.post(server.url + "/v1/movements", headers=auth["integration"], timeout=5,
                       json={"type": "receipt", "sku": "SKU-1", "location": "S1",
                             "quantity": 4, "occurred_at": T0.isoformat(), "source": "api",
                             "external_id": ref()})
        assert r.status_code == 201, r.text
        (_, name, event), = stream.wait_for(1)
        wait_until(lambda: receiver.requests, timeout=10)
    assert name == "availability.changed" and event["data"]["on_hand"] == 4
    _, headers, body = receiver.requests[0]
    assert verify(SECRET, body, headers["X-Omnistock-Signature"])
    assert json.loads(body) == event


@pytest.mark.parametrize("path", [
    "/v1/events?after=9223372036854775808",
    "/v1/webhooks/deliveries?after=9223372036854775808",
    "/v1/webhooks/00000000-0000-0000-0000-000000000000/deliveries?after=99999999999999999999",
])
def test_an_id_beyond_bigint_is_a_problem_not_an_error(api, path):
    server, auth = api
    r = httpx.get(server.url + path, headers=auth["admin"], timeout=5)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


def test_a_retry_or_resume_beyond_bigint_is_a_problem_not_an_error(api):
    server, auth = api
    r = httpx.post(server.url + "/v1/webhooks/deliveries/9223372036854775808/retry",
                   headers=auth["admin"], timeout=5)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    r = httpx.get(server.url + "/v1/events", timeout=5,
                  headers={**auth["viewer"], "Last-Event-ID": "9223372036854775808"})
    assert r.status_code == 422 and r.json()["field"] == "Last-Event-ID"
    r = httpx.post(server.url + "/v1/webhooks/deliveries/9223372036854775807/retry",
                   headers=auth["admin"], timeout=5)
    assert r.status_code == 404  # the largest id is an id: there is just no such delivery
