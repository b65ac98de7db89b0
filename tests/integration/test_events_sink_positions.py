"""PostgreSQL commits outbox ids out of order: each sink's position moves only over the settled
prefix, and a row that commits after its id was passed (a write transaction open longer than
`gap_timeout`) still reaches every sink, late, once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace

import pytest

from omnistock.events.dispatcher import Dispatcher
from omnistock.store.database import Database

from ..backends import truncate_all
from ..factories import T0
from .test_events_dispatcher import FlakySink, unpublished
from .test_events_helpers import FAST, wait_until

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_db(pg_url: str) -> Iterator[Database]:
    truncate_all(pg_url)
    db = Database.open(pg_url)
    yield db
    db.close()


def add_event(db: Database, subject: str) -> None:
    with db.uow() as uow:
        uow.outbox.add("test.event", subject, {}, T0, T0)
        uow.commit()


def in_flight(db: Database):  # type: ignore[no-untyped-def]
    """A write transaction that has drawn an outbox id and not committed yet."""
    uow = db.uow()
    uow.__enter__().outbox.add("test.event", "slow", {}, T0, T0)
    return uow


def test_positions_wait_for_an_id_in_flight(pg_db):
    sinks = [FlakySink("a", 0), FlakySink("b", 0)]
    dispatcher = Dispatcher(pg_db, sinks, FAST)
    asyncio.run(dispatcher.dispatch_once())  # leading: the positions are set
    slow = in_flight(pg_db)  # id 1
    try:
        add_event(pg_db, "fast")  # id 2
        asyncio.run(dispatcher.dispatch_once())
        assert [s.got for s in sinks] == [[], []]
        slow.commit()
    finally:
        slow.__exit__(None, None, None)
    wait_until(lambda: (asyncio.run(dispatcher.dispatch_once()), sinks[1].got)[1] == [1, 2])
    assert sinks[0].got == [1, 2] and unpublished(pg_db) == []


def test_a_row_committed_after_its_id_was_passed_reaches_every_sink_once(pg_db):
    config = replace(FAST, gap_timeout=0.2)
    sinks = [FlakySink("a", 0), FlakySink("b", 0)]
    dispatcher = Dispatcher(pg_db, sinks, config)
    asyncio.run(dispatcher.dispatch_once())
    slow = in_flight(pg_db)  # id 1
    try:
        add_event(pg_db, "fast")  # id 2
        wait_until(lambda: (asyncio.run(dispatcher.dispatch_once()), sinks[0].got)[1] == [2])
        assert unpublished(pg_db) == []  # id 1 is not visible yet
        slow.commit()
    finally:
        slow.__exit__(None, None, None)
    assert unpublished(pg_db) == [1]
    add_event(pg_db, "after")  # id 3
    wait_until(lambda: (asyncio.run(dispatcher.dispatch_once()), sinks[1].got)[1] == [2, 1, 3])
    assert sinks[0].got == [2, 1, 3]
    asyncio.run(dispatcher.dispatch_once())
    assert [s.got for s in sinks] == [[2, 1, 3]] * 2 and unpublished(pg_db) == []
