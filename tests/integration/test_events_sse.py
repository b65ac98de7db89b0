"""GET /v1/events on SQLite and PostgreSQL: every committed change once, in commit order,
resumable, filtered."""

from __future__ import annotations

import threading
from collections import defaultdict

import httpx
import pytest
from sqlalchemy import select

from omnistock.services.movements import apply_movement
from omnistock.store.tables import outbox

from ..factories import movement, seed
from ..servers import ServerThread
from .test_events_helpers import FAST, SSEClient, make_app, wait_until


def outbox_ids(db) -> list[int]:
    with db.uow(readonly=True) as uow:
        return list(uow.conn.execute(select(outbox.c.id).order_by(outbox.c.id)).scalars())


@pytest.fixture
def server(db):
    seed(db, skus=("SKU-1", "SKU-2"), locations=("S1", "S2"))
    with ServerThread(make_app(db)) as s:
        yield s


def test_each_change_reaches_the_stream_once_in_commit_order(db, server):
    with SSEClient(server.url + "/v1/events") as client:
        for i in range(20):
            apply_movement(db, movement("receipt", 1, sku=f"SKU-{i % 2 + 1}"))
        events = client.wait_for(20)
    assert client.ids() == outbox_ids(db)  # once each, nothing else, in id order
    on_hand = defaultdict(list)
    for event_id, name, ce in events:
        assert name == "availability.changed"
        assert ce["specversion"] == "1.0" and ce["id"] == event_id
        assert ce["type"] == "dev.omnistock.availability.changed" and ce["source"] == "omnistock"
        assert ce["time"].endswith("Z") and ce["subject"] == ce["data"]["sku"]
        on_hand[ce["subject"]].append(ce["data"]["on_hand"])
    assert on_hand == {"SKU-1": list(range(1, 11)), "SKU-2": list(range(1, 11))}


def test_last_event_id_resumes_with_exactly_the_rest(db, server):
    for _ in range(10):
        apply_movement(db, movement("receipt", 1))
    ids = outbox_ids(db)
    with SSEClient(server.url + "/v1/events",
                   headers={"Last-Event-ID": str(ids[3])}) as client:
        client.wait_for(6)
        apply_movement(db, movement("sale", 1))
        client.wait_for(7)
    assert client.ids() == outbox_ids(db)[4:]
    with SSEClient(f"{server.url}/v1/events?after={ids[8]}") as client:
        client.wait_for(2)
    assert client.ids() == outbox_ids(db)[9:]


def test_a_new_stream_starts_from_now(db, server):
    apply_movement(db, movement("receipt", 5))
    with SSEClient(server.url + "/v1/events") as client:
        apply_movement(db, movement("sale", 1))
        client.wait_for(1)
    assert [ce["data"]["on_hand"] for _, _, ce in client.events] == [4]


def test_types_and_sku_filters(db, server):
    for sku in ("SKU-1", "SKU-2", "SKU-1"):
        apply_movement(db, movement("receipt", 1, sku=sku))
    url = server.url + "/v1/events?after=0"
    with SSEClient(url + "&sku=SKU-1") as by_sku, \
            SSEClient(url + "&types=availability.*") as by_type, \
            SSEClient(url + "&types=order.*") as none:
        by_sku.wait_for(2)
        by_type.wait_for(3)
        apply_movement(db, movement("receipt", 1, sku="SKU-2"))
        by_type.wait_for(4)
    assert {ce["subject"] for _, _, ce in by_sku.events} == {"SKU-1"}
    assert len(by_sku.events) == 2 and none.events == []


def test_concurrent_writers_lose_and_repeat_nothing(db, server):
    """On PostgreSQL ids commit out of order; the stream must neither skip nor repeat."""
    with SSEClient(server.url + "/v1/events") as client:
        def writer(sku: str, location: str) -> None:
            for _ in range(15):
                apply_movement(db, movement("receipt", 1, sku=sku, location=location))

        threads = [threading.Thread(target=writer, args=(sku, loc))
                   for sku in ("SKU-1", "SKU-2") for loc in ("S1", "S2")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        client.wait_for(60)
    assert sorted(client.ids()) == outbox_ids(db) and len(set(client.ids())) == 60
    per_position = defaultdict(list)
    for _, _, ce in client.events:
        per_position[ce["subject"], ce["data"]["location"]].append(ce["data"]["on_hand"])
    assert all(v == list(range(1, 16)) for v in per_position.values())


def test_heartbeat_comments(db):
    config = FAST.__class__(**{**FAST.__dict__, "heartbeat": 0.1})
    with ServerThread(make_app(db, config)) as server, \
            SSEClient(server.url + "/v1/events") as client:
        wait_until(lambda: any(c.startswith("ping") for c in client.comments), 5)


@pytest.mark.parametrize(("query", "headers", "field"), [
    ("?types=Bad Type", {}, "types[0]"),
    ("", {"Last-Event-ID": "abc"}, "Last-Event-ID"),
])
def test_bad_resume_point_or_filter_is_a_problem(server, query, headers, field):
    r = httpx.get(server.url + "/v1/events" + query, headers=headers, timeout=5)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == field
