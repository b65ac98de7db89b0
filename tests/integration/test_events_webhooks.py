"""Webhooks on SQLite and PostgreSQL: the API, signed deliveries, backoff, parking, retry."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace

import httpx
import pytest

from omnistock.domain.errors import InvalidState, NotFound
from omnistock.events import webhooks
from omnistock.events.background import start_background
from omnistock.events.cloudevents import Event
from omnistock.events.deliveries import create_for
from omnistock.events.signing import verify
from omnistock.services.movements import apply_movement

from ..factories import movement, seed
from ..servers import ServerThread
from .test_events_helpers import FAST, Receiver, make_app, wait_until

SECRET = "whsec_test_0123456789"


@pytest.fixture
def api(db):
    seed(db)
    with ServerThread(make_app(db)) as server, \
            httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


@pytest.fixture
def background(db):
    bg = start_background(db, FAST)
    yield bg
    bg.stop()


def test_webhook_api_masks_the_secret_and_deletes(api):
    r = api.post("/v1/webhooks", json={"url": "https://example.test/in",
                                       "events": ["availability.changed"], "secret": SECRET})
    assert r.status_code == 201
    hook = r.json()
    assert hook["secret"] == "****6789" and SECRET not in r.text
    assert api.get("/v1/webhooks").json() == {"webhooks": [hook]}
    assert api.get(f"/v1/webhooks/{hook['id']}").json() == hook
    assert api.delete(f"/v1/webhooks/{hook['id']}").status_code == 204
    assert api.get("/v1/webhooks").json() == {"webhooks": []}
    gone = api.delete(f"/v1/webhooks/{hook['id']}")
    assert gone.status_code == 404 and gone.headers["content-type"].startswith(
        "application/problem+json")


@pytest.mark.parametrize(("body", "field"), [
    ({"url": "ftp://x.test/", "events": ["*"], "secret": SECRET}, "url"),
    ({"url": "/relative", "events": ["*"], "secret": SECRET}, "url"),
    ({"url": "https://x.test/", "events": [], "secret": SECRET}, "events"),
    ({"url": "https://x.test/", "events": ["Order"], "secret": SECRET}, "events[0]"),
    ({"url": "https://x.test/", "events": ["*"], "secret": "short"}, "secret"),
])
def test_invalid_webhooks_are_problems_naming_the_field(api, body, field):
    r = api.post("/v1/webhooks", json=body)
    assert r.status_code == 422 and r.json()["field"] == field
    assert api.get("/v1/webhooks").json() == {"webhooks": []}


def test_deliveries_are_signed_cloudevents(db, api, receiver, background):
    api.post("/v1/webhooks", json={"url": receiver.url, "events": ["availability.*"],
                                   "secret": SECRET})
    api.post("/v1/webhooks", json={"url": receiver.url, "events": ["order.*"],
                                   "secret": SECRET})
    apply_movement(db, movement("receipt", 3))
    apply_movement(db, movement("sale", 1))
    wait_until(lambda: len(receiver.requests) >= 2)
    for _, headers, body in receiver.requests:
        assert verify(SECRET, body, headers["X-Omnistock-Signature"])
        assert headers["X-Omnistock-Signature"].startswith(
            f"t={headers['X-Omnistock-Timestamp']},v1=")
        assert not verify("another-secret-12345", body, headers["X-Omnistock-Signature"])
        event = json.loads(body)
        assert event["id"] == headers["X-Omnistock-Event-Id"]
        assert headers["Content-Type"].startswith("application/cloudevents+json")
    assert sorted(json.loads(b)["data"]["on_hand"] for _, _, b in receiver.requests) == [2, 3]
    deliveries = wait_until(lambda: len(delivered := api.get(
        "/v1/webhooks/deliveries?status=delivered").json()["deliveries"]) == 2 and delivered)
    assert all(d["attempts"] == 1 and d["last_status_code"] == 200 for d in deliveries)
    background.stop()
    assert len(receiver.requests) == 2  # the order.* webhook matched nothing


def test_failures_back_off_then_park_and_retry_unparks(db, api, background):
    with Receiver(status=500) as failing:
        hook = api.post("/v1/webhooks", json={"url": failing.url, "events": ["*"],
                                              "secret": SECRET}).json()
        apply_movement(db, movement("receipt", 1))
        parked = wait_until(lambda: api.get("/v1/webhooks/deliveries?status=parked")
                            .json()["deliveries"])
        times = [t for t, _, _ in failing.requests]
        assert len(times) == FAST.webhook_max_attempts
        gaps = [b - a for a, b in itertools.pairwise(times)]
        for n, gap in enumerate(gaps, start=1):  # 1, 2, 4 ... times the base
            assert gap >= FAST.webhook_backoff_base * 2 ** (n - 1) * 0.9
        assert parked[0]["attempts"] == FAST.webhook_max_attempts
        assert parked[0]["last_status_code"] == 500 and parked[0]["last_error"].startswith("HTTP")
        assert api.get(f"/v1/webhooks/{hook['id']}/deliveries?status=parked").json()[
            "deliveries"] == parked

        failing.status = 204
        r = api.post(f"/v1/webhooks/deliveries/{parked[0]['id']}/retry")
        assert r.status_code == 200 and r.json()["status"] == "pending"
        wait_until(lambda: api.get("/v1/webhooks/deliveries?status=delivered")
                   .json()["deliveries"])
        assert len(failing.requests) == FAST.webhook_max_attempts + 1
    assert api.get("/v1/webhooks/deliveries?status=parked").json()["deliveries"] == []
    again = api.post(f"/v1/webhooks/deliveries/{parked[0]['id']}/retry")
    assert again.status_code == 200  # a delivered one may be sent again on request


def test_retry_of_unknown_or_pending_delivery_is_refused(db):
    with pytest.raises(NotFound):
        webhooks.retry_delivery(db, 999)
    seed(db)
    webhooks.create_webhook(db, url="http://127.0.0.1:9/", events=["*"], secret=SECRET)
    apply_movement(db, movement("receipt", 1))
    with db.uow() as uow:  # what the dispatcher's webhook sink does
        events = [Event.from_row(r, FAST) for r in uow.outbox.unpublished()]
        create_for(uow.webhooks, events, db.clock())
        create_for(uow.webhooks, events, db.clock())  # a dispatcher's repeat: ignored
        uow.commit()
    pending = webhooks.list_deliveries(db, status="pending")
    assert len(pending) == 1
    with pytest.raises(InvalidState):
        webhooks.retry_delivery(db, pending[0]["id"])


def test_deleting_a_webhook_cancels_its_pending_deliveries(db, api):
    config = replace(FAST, webhook_backoff_base=60)
    with Receiver(status=503) as failing:
        hook = api.post("/v1/webhooks", json={"url": failing.url, "events": ["*"],
                                              "secret": SECRET}).json()
        bg = start_background(db, config)
        try:
            apply_movement(db, movement("receipt", 1))
            wait_until(lambda: failing.requests)
            api.delete(f"/v1/webhooks/{hook['id']}")
        finally:
            bg.stop()
    statuses = [d["status"] for d in api.get("/v1/webhooks/deliveries").json()["deliveries"]]
    assert statuses == ["cancelled"]
    assert api.get(f"/v1/webhooks/{hook['id']}/deliveries").status_code == 404


def test_a_failing_item_holds_back_only_its_own_later_events(db, api):
    """The endpoint refuses SKU-1's first deliveries: SKU-1's later events wait behind them,
    SKU-2's flow meanwhile, and each item arrives complete, once, in commit order; with the
    senders of two processes taking turns."""
    config = replace(FAST, webhook_backoff_base=0.2)
    refusals = {"SKU-1": 3}

    def status(body: bytes) -> int:
        subject = json.loads(body)["subject"]
        if refusals.get(subject, 0) > 0:
            refusals[subject] -= 1
            return 503
        return 204

    seed(db, skus=("SKU-2",), locations=())
    with Receiver(status) as receiver:
        api.post("/v1/webhooks", json={"url": receiver.url, "events": ["*"], "secret": SECRET})
        senders = [start_background(db, config), start_background(db, config)]
        try:
            for i in range(20):
                apply_movement(db, movement("receipt", 1, sku=f"SKU-{i % 2 + 1}"))
            wait_until(lambda: len(receiver.accepted) >= 20, timeout=30)
            events = [json.loads(b) for b in receiver.accepted]
            assert len(receiver.requests) == 23  # the three refusals, then each event once
        finally:
            for bg in senders:
                bg.stop()
    by_item: dict[str, list[dict]] = {}
    for event in events:
        by_item.setdefault(event["subject"], []).append(event)
    with db.uow(readonly=True) as uow:
        committed = [r for r in uow.outbox.after(0)]
    for sku in ("SKU-1", "SKU-2"):
        got = by_item[sku]
        assert [int(e["id"]) for e in got] == [r["id"] for r in committed if r["subject"] == sku]
        assert [e["data"]["on_hand"] for e in got] == list(range(1, 11))
    assert events[0]["subject"] == "SKU-2"  # SKU-2 did not wait for SKU-1's retries
    delivered = api.get("/v1/webhooks/deliveries?status=delivered&limit=1000").json()
    assert len(delivered["deliveries"]) == 20
