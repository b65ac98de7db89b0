"""The outbox dispatcher on SQLite and PostgreSQL: one leader, and nothing lost to a kill -9."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from omnistock.events.background import start_background
from omnistock.events.dispatcher import Dispatcher
from omnistock.events.lease import Lease
from omnistock.services.movements import apply_movement

from ..factories import movement, seed
from .test_events_helpers import FAST, kill_while_publishing, wait_until


class LogSink:
    name = "log"

    def __init__(self, path) -> None:
        self.path = path

    async def publish(self, events) -> None:
        with open(self.path, "a") as f:
            f.write("".join(f"{e.id}\n" for e in events))

    async def close(self) -> None:
        pass


def logged(path) -> list[int]:
    return [int(x) for x in path.read_text().split()] if path.exists() else []


def unpublished(db) -> list[int]:
    with db.uow(readonly=True) as uow:
        return [r["id"] for r in uow.outbox.unpublished()]


@pytest.mark.parametrize("crash_after_log", [False, True],
                         ids=["before-publish", "between-publish-and-mark"])
def test_killed_dispatcher_loses_nothing(db, database_url, tmp_path, crash_after_log):
    seed(db)
    for _ in range(5):
        apply_movement(db, movement("receipt", 1))
    ids = unpublished(db)
    log = tmp_path / "sink.log"
    kill_while_publishing(database_url, FAST, "log" if crash_after_log else "none", log)
    assert unpublished(db) == ids  # nothing marked: the kill came first
    assert logged(log) == (ids if crash_after_log else [])

    bg = start_background(db, FAST, sinks=lambda s, c: [LogSink(log)])
    try:  # the dead process's lease runs out, then this one takes over
        wait_until(lambda: not unpublished(db), timeout=FAST.lease_ttl + 10)
    finally:
        bg.stop()
    assert sorted(set(logged(log))) == ids  # every event reached the sink again
    assert logged(log) == (ids + ids if crash_after_log else ids)  # at least once


def test_one_dispatcher_at_a_time(db):
    config = replace(FAST, lease_ttl=0.5)
    seed(db)
    first = Lease(db, "test-lease", 0.5, holder="a")
    second = Lease(db, "test-lease", 0.5, holder="b")
    assert first.hold() and not second.hold()
    first.release()
    assert second.hold() and not first.hold()
    wait_until(lambda: first.hold(), timeout=3)  # b stopped renewing: a takes over
    a = Dispatcher(db, [], config, lease=first)
    b = Dispatcher(db, [], config, lease=second)
    apply_movement(db, movement("receipt", 1))
    assert asyncio.run(b.dispatch_once()) == 0
    assert asyncio.run(a.dispatch_once()) == 1
    assert unpublished(db) == []


class FlakySink:
    """Refuses the first `failures` batches, then keeps every event it accepts."""

    def __init__(self, name: str, failures: int) -> None:
        self.name, self.failures, self.got = name, failures, []

    async def publish(self, events) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError(f"{self.name} is down")
        self.got.extend(e.id for e in events)

    async def close(self) -> None:
        pass


def test_a_retry_goes_only_to_the_sinks_that_failed(db):
    seed(db)
    for _ in range(5):
        apply_movement(db, movement("receipt", 1))
    ids = unpublished(db)
    steady, flaky = FlakySink("steady", 0), FlakySink("flaky", 2)
    dispatcher = Dispatcher(db, [steady, flaky], FAST)
    for _ in range(2):
        with pytest.raises(ConnectionError):
            asyncio.run(dispatcher.dispatch_once())
        assert unpublished(db) == ids  # held back for the sink that failed
    assert asyncio.run(dispatcher.dispatch_once()) == 5
    assert steady.got == ids and flaky.got == ids  # each event once to each sink
    assert unpublished(db) == []
