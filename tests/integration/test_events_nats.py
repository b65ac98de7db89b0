"""NATS JetStream: every change stored once, in commit order, even when sent twice."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections import defaultdict
from dataclasses import replace

import nats
import pytest

from omnistock.events.background import default_sinks, start_background
from omnistock.events.cloudevents import Event
from omnistock.events.dispatcher import Dispatcher
from omnistock.events.identity import database_id
from omnistock.events.nats import NatsSink
from omnistock.services.movements import apply_movement
from omnistock.store.database import Database
from tests.backends import NATS_URL, fresh_sqlite, require_nats

from ..factories import movement, seed
from .test_events_helpers import FAST, kill_while_publishing, wait_until

pytestmark = pytest.mark.nats


@pytest.fixture
def config():
    require_nats()
    tag = uuid.uuid4().hex[:10]
    config = replace(FAST, nats_url=NATS_URL, nats_stream=f"OMNISTOCK_TEST_{tag}",
                     nats_subject_prefix=f"omnistock_test_{tag}")
    yield config

    async def drop() -> None:
        nc = await nats.connect(NATS_URL)
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await nc.jetstream().delete_stream(config.nats_stream)
        await nc.close()

    asyncio.run(drop())


def stored(config) -> list[nats.aio.msg.Msg]:
    """Every message of the stream, in stream order, through a JetStream consumer."""
    async def read() -> list:
        nc = await nats.connect(NATS_URL)
        js = nc.jetstream()
        total = (await js.stream_info(config.nats_stream)).state.messages
        sub = await js.subscribe(f"{config.nats_subject_prefix}.>", stream=config.nats_stream,
                                 ordered_consumer=True)
        msgs = [await sub.next_msg(timeout=5) for _ in range(total)]
        with pytest.raises(nats.errors.TimeoutError):
            await sub.next_msg(timeout=0.3)  # and nothing more
        await nc.close()
        return msgs

    return asyncio.run(read())


def outbox_ids(db) -> list[int]:
    with db.uow(readonly=True) as uow:
        return [r["id"] for r in uow.outbox.after(0)]


def unpublished(db) -> list[dict]:
    with db.uow(readonly=True) as uow:
        return uow.outbox.unpublished()


def test_every_change_once_in_commit_order(db, config):
    seed(db, skus=("SKU-1", "SKU-2"))
    bg = start_background(db, config)
    try:
        for i in range(30):
            apply_movement(db, movement("receipt", 1, sku=f"SKU-{i % 2 + 1}"))
        wait_until(lambda: not unpublished(db))
    finally:
        bg.stop()
    msgs = stored(config)
    events = [json.loads(m.data) for m in msgs]
    assert [int(e["id"]) for e in events] == outbox_ids(db)
    assert [m.headers["Nats-Msg-Id"] for m in msgs] == [
        f"{config.source}:{database_id(db)}:{e['id']}" for e in events]
    assert {m.subject for m in msgs} == {f"{config.nats_subject_prefix}.availability.changed"}
    on_hand = defaultdict(list)
    for e in events:
        on_hand[e["subject"]].append(e["data"]["on_hand"])
    assert on_hand == {"SKU-1": list(range(1, 16)), "SKU-2": list(range(1, 16))}


def test_a_batch_sent_again_after_a_crash_is_stored_once(db, config):
    """Simulated crash between publish and mark: the sink ran, the rows stayed unpublished, a
    restarted dispatcher sends them again; JetStream drops the repeats by Nats-Msg-Id."""
    seed(db)
    for _ in range(10):
        apply_movement(db, movement("receipt", 1))

    async def publish_without_marking() -> None:
        sink = NatsSink(db, config)
        await sink.publish([Event.from_row(r, config) for r in unpublished(db)[:6]])
        await sink.close()

    asyncio.run(publish_without_marking())
    assert len(unpublished(db)) == 10

    async def restart() -> int:
        dispatcher = Dispatcher(db, default_sinks(db, config), config)
        n = await dispatcher.dispatch_once()
        for sink in dispatcher.sinks:
            await sink.close()
        return n

    assert asyncio.run(restart()) == 10
    assert unpublished(db) == []
    assert [int(json.loads(m.data)["id"]) for m in stored(config)] == outbox_ids(db)


def test_killed_between_publish_and_mark_is_stored_once(db, database_url, config, tmp_path):
    """kill -9 after JetStream acked the batch and before the rows were marked: the next
    dispatcher sends the batch again, and the stream still holds each change once."""
    seed(db)
    for _ in range(8):
        apply_movement(db, movement("receipt", 1))
    kill_while_publishing(database_url, config, "nats", tmp_path / "unused.log")
    assert len(unpublished(db)) == 8
    assert len(stored(config)) == 8  # published before the kill

    bg = start_background(db, config)
    try:
        wait_until(lambda: not unpublished(db), timeout=config.lease_ttl + 10)
    finally:
        bg.stop()
    assert [int(json.loads(m.data)["id"]) for m in stored(config)] == outbox_ids(db)


@pytest.mark.parametrize(("source", "other_source"), [
    ("omnistock-east", "omnistock-west"),  # two deployments on one stream
    ("omnistock", "omnistock"),  # the same deployment on a re-initialised database
])
def test_deployments_sharing_a_stream_each_keep_every_event(
        db, config, sqlite_template, tmp_path, source, other_source):
    """Both databases count outbox ids from 1: the message ids still differ, so JetStream
    stores every event of both, once."""
    other = Database.open(fresh_sqlite(sqlite_template, tmp_path))
    try:
        configs = [(db, replace(config, source=source)),
                   (other, replace(config, source=other_source))]
        for each, _ in configs:
            seed(each)
            for _ in range(6):
                apply_movement(each, movement("receipt", 1))
        for each, each_config in configs:
            bg = start_background(each, each_config)
            try:
                wait_until(lambda each=each: not unpublished(each))
            finally:
                bg.stop()
        msgs = stored(config)
        assert database_id(db) != database_id(other)
        assert sorted(m.headers["Nats-Msg-Id"] for m in msgs) == sorted(
            f"{c.source}:{database_id(each)}:{i}"
            for each, c in configs for i in outbox_ids(each))
        assert len(msgs) == 12
    finally:
        other.close()
