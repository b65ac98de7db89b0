"""PostgreSQL commits outbox ids out of order: the event stream waits for every committed row,
whoever wrote it, and hands out none twice."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from omnistock.store.database import Database

from ..backends import PG_ADMIN_URL, truncate_all
from ..factories import T0, seed
from ..servers import ServerThread
from .test_events_helpers import SSEClient, make_app, wait_until

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]
PROCESSES, THREADS, EACH = 2, 4, 250  # 2,000 events, 8 writers at once


# PostgreSQL only: SQLite serialises writers, so outbox ids commit in order there.
@pytest.fixture
def pg_database_url(pg_url: str) -> str:
    truncate_all(pg_url)
    return pg_url


@pytest.fixture
def pg_db(pg_database_url: str) -> Iterator[Database]:
    db = Database.open(pg_database_url)
    yield db
    db.close()


def add_event(db: Database, subject: str) -> None:
    with db.uow() as uow:
        uow.outbox.add("test.event", subject, {}, T0, T0)
        uow.commit()


def test_a_committed_row_the_readers_snapshot_cannot_see_keeps_the_hole_open(pg_db):
    """`pg_xact_status` says committed a moment before a new snapshot can see the row: the
    hole is settled by the snapshot that reads, never by the commit status alone."""
    first = pg_db.uow()
    uow = first.__enter__()
    try:
        uow.outbox.add("test.event", "late", {}, T0, T0)  # draws id 1, not committed
        add_event(pg_db, "early")  # id 2, visible
        with pg_db.uow(snapshot=True) as reader:
            assert [r["subject"] for r in reader.outbox.after(0)] == ["early"]
            token = reader.outbox.snapshot()
        assert token is not None
        with pg_db.uow(snapshot=True) as reader:
            assert reader.outbox.last_id() == 2  # this snapshot is taken while id 1 runs
            uow.commit()
            assert not reader.outbox.settled(token)
            assert [r["subject"] for r in reader.outbox.after(0)] == ["early"]
    finally:
        first.__exit__(None, None, None)
    # The token lists the running transactions of the whole server: other databases' too.
    wait_until(lambda: settled_read(pg_db, token), timeout=30)
    assert [r["subject"] for r in settled_read(pg_db, token)] == ["late", "early"]


def settled_read(db: Database, token: str) -> list[dict] | None:
    """The rows, read in the snapshot that found `token` settled; None if it did not."""
    with db.uow(snapshot=True) as reader:
        return reader.outbox.after(0) if reader.outbox.settled(token) else None


WRITER = textwrap.dedent("""
    import sys, threading
    from omnistock.services.movements import apply_movement
    from omnistock.store.database import Database
    from tests.factories import movement

    url, process, threads, each = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    db = Database.open(url)

    def write(thread):
        for _ in range(each):
            apply_movement(db, movement("receipt", 1, sku=f"SKU-{process}-{thread}"))

    workers = [threading.Thread(target=write, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    db.close()
""")


@pytest.mark.slow
def test_concurrent_writer_processes_lose_and_repeat_nothing(pg_db, pg_database_url,
                                                             caplog):
    seed(pg_db, skus=[f"SKU-{p}-{t}" for p in range(PROCESSES) for t in range(THREADS)])
    total = PROCESSES * THREADS * EACH
    caplog.set_level(logging.WARNING, logger="omnistock.events")
    with ServerThread(make_app(pg_db)) as server, \
            SSEClient(server.url + "/v1/events") as client:
        writers = [subprocess.Popen([sys.executable, "-c", WRITER, pg_database_url, str(p),
                                     str(THREADS), str(EACH)], cwd=ROOT)
                   for p in range(PROCESSES)]
        assert [w.wait(300) for w in writers] == [0] * PROCESSES
        client.wait_for(total, timeout=60)
    with pg_db.uow(readonly=True) as uow:
        committed = [r["id"] for r in uow.outbox.after(0, limit=total + 1)]
    ids = client.ids()
    assert len(committed) == total
    assert ids == committed  # none missed, none twice, in increasing id order
    per_item = defaultdict(list)
    for _, _, event in client.events:
        per_item[event["subject"]].append(event["data"]["on_hand"])
    assert all(v == list(range(1, EACH + 1)) for v in per_item.values())
    assert not [r for r in caplog.records if r.name.startswith("omnistock.events")]


def test_a_transaction_in_another_database_is_not_waited_for(pg_db):
    elsewhere = create_engine(PG_ADMIN_URL)
    try:
        with elsewhere.connect() as conn, conn.begin():
            conn.execute(text("SELECT pg_current_xact_id()"))  # running, with an id
            with pg_db.uow(snapshot=True) as reader:
                token = reader.outbox.snapshot()
            assert token is not None
            with pg_db.uow(snapshot=True) as reader:
                assert reader.outbox.settled(token)
    finally:
        elsewhere.dispose()

