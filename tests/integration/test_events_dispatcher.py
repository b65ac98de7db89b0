"""The outbox dispatcher on SQLite and PostgreSQL: one leader, and nothing lost to a kill -9."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import replace

import pytest

from omnistock.events.background import start_background
from omnistock.events.dispatcher import Dispatcher, SinkFailed
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


@pytest.mark.parametrize(("child_sinks", "first_run", "resent"), [
    ("none", False, False), ("log-then-hang", True, True), ("log", True, False)],
    ids=["before-publish", "between-publish-and-move", "another-sink-hangs"])
def test_killed_dispatcher_loses_nothing(db, database_url, tmp_path, child_sinks, first_run,
                                         resent):
    seed(db)
    for _ in range(5):
        apply_movement(db, movement("receipt", 1))
    ids = unpublished(db)
    log = tmp_path / "sink.log"
    kill_while_publishing(database_url, FAST, child_sinks, log)
    assert unpublished(db) == ids  # nothing marked: a sink had not taken them
    assert logged(log) == (ids if first_run else [])

    bg = start_background(db, FAST, sinks=lambda s, c: [LogSink(log)])
    try:  # the dead process's lease runs out, then this one takes over
        wait_until(lambda: not unpublished(db), timeout=FAST.lease_ttl + 10)
    finally:
        bg.stop()
    assert sorted(set(logged(log))) == ids  # every event reached the sink
    # At least once: again only if the kill came before the sink's position moved.
    assert logged(log) == (ids + ids if resent else ids)


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


def test_a_failing_sink_holds_back_no_other_and_catches_up_once(db):
    seed(db)
    for _ in range(5):
        apply_movement(db, movement("receipt", 1))
    first = unpublished(db)
    steady, flaky = FlakySink("steady", 0), FlakySink("flaky", 3)
    config = replace(FAST, batch_size=4)
    dispatcher = Dispatcher(db, [steady, flaky], config)
    with pytest.raises(SinkFailed):
        asyncio.run(dispatcher.dispatch_once())
    assert steady.got == first[:4] and flaky.got == []
    for _ in range(3):  # the steady sink goes on while the flaky one is down
        apply_movement(db, movement("receipt", 1))
        with contextlib.suppress(SinkFailed):
            asyncio.run(dispatcher.dispatch_once())
        time.sleep(config.poll_interval * 2 ** 4)  # past the flaky sink's backoff
    everything = sorted(set(first) | set(range(1, max(first) + 4)))
    wait_until(lambda: (asyncio.run(dispatcher.dispatch_once()), steady.got)[1] == everything)
    assert unpublished(db) != []  # held for the flaky sink only
    wait_until(lambda: (asyncio.run(dispatcher.dispatch_once()), flaky.got)[1] == everything)
    assert steady.got == everything  # each event once to each sink, in id order
    asyncio.run(dispatcher.dispatch_once())
    assert unpublished(db) == []


def test_positions_survive_a_new_leader(db):
    seed(db)
    for _ in range(3):
        apply_movement(db, movement("receipt", 1))
    ids = unpublished(db)
    steady, flaky = FlakySink("steady", 0), FlakySink("flaky", 1)
    first = Dispatcher(db, [steady, flaky], FAST)
    with pytest.raises(SinkFailed):
        asyncio.run(first.dispatch_once())
    first.lease.release()  # it stops
    apply_movement(db, movement("receipt", 1))
    again, later = FlakySink("steady", 0), FlakySink("flaky", 0)
    asyncio.run(Dispatcher(db, [again, later], FAST).dispatch_once())  # another process
    assert again.got == [ids[-1] + 1] and later.got == [*ids, ids[-1] + 1]
    assert unpublished(db) == []
