"""One reader of the outbox per event loop and engine, shared by every SSE stream.

It polls rows after its settled cursor (highwater.py) every `poll_interval`, or at once when a
commit in this process wrote outbox rows (wakeup.py), and keeps the latest events, encoded
once, in a ring. A stream reads from the ring, or from the database when it is further behind
(a resumed `Last-Event-ID`), always up to the settled cursor. The tail polls only while
streams are open; when the first stream opens it starts at the newest id, so "from now" means
the changes that become visible after that moment.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
import weakref
from collections import deque
from typing import Any

from sqlalchemy import Connection, Engine, func, select, text

from ..store.database import Database
from ..store.tables import outbox
from .cloudevents import Event
from .config import EventsConfig
from .dispatcher import wait_any
from .highwater import HighWater
from .metrics import observe
from .wakeup import OutboxWakeup

log = logging.getLogger(__name__)
RING = 4096
_SNAPSHOT = text("SELECT CAST(pg_current_snapshot() AS text)")
_SETTLED = text("SELECT NOT EXISTS (SELECT 1 FROM pg_snapshot_xip(CAST(:s AS pg_snapshot)) AS x "
                "WHERE pg_xact_status(x) = 'in progress')")
_tails: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Engine, OutboxTail]] = \
    weakref.WeakKeyDictionary()


def tail_for(db: Database, config: EventsConfig) -> OutboxTail:
    by_engine = _tails.setdefault(asyncio.get_running_loop(), {})
    if db.engine not in by_engine:
        by_engine[db.engine] = OutboxTail(db, config)
    return by_engine[db.engine]


class OutboxTail:
    def __init__(self, db: Database, config: EventsConfig) -> None:
        self.db = db
        self.config = config
        self.in_order = db.engine.dialect.name != "postgresql"
        self.hw = HighWater(0, in_order=self.in_order, timeout=config.gap_timeout)
        self.ring: deque[Event] = deque(maxlen=RING)
        self.floor = 0  # the ring holds every settled event with floor < id <= cursor
        self.changed = asyncio.Event()  # replaced by a fresh one each time the cursor moves
        self._subscribers = 0
        self._task: asyncio.Task[None] | None = None
        self._starting = asyncio.Lock()

    @property
    def cursor(self) -> int:
        return self.hw.cursor

    async def subscribe(self) -> None:
        self._subscribers += 1
        async with self._starting:
            if self._task is None:
                head = await asyncio.to_thread(self._head)
                self.hw = HighWater(head, in_order=self.in_order, timeout=self.config.gap_timeout)
                self.ring.clear()
                self.floor = head
                self._task = asyncio.create_task(self._run())

    def unsubscribe(self) -> None:
        self._subscribers -= 1

    async def events_after(self, last: int) -> tuple[list[Event], int]:
        """Settled events after `last` (a page of them) and the id to continue from."""
        cursor = self.cursor
        if last >= cursor:
            return [], last
        if last >= self.floor:  # from the newest end: a live stream wants the last few
            newer = list(itertools.takewhile(lambda e: e.id > last, reversed(self.ring)))
            return newer[::-1], cursor
        upto = min(cursor, self.floor)
        events = await asyncio.to_thread(self._read_range, last, upto)
        full = len(events) == self.config.batch_size
        return events, events[-1].id if full else upto

    async def _run(self) -> None:
        wake = asyncio.Event()
        unsubscribe = OutboxWakeup.of(self.db.engine).subscribe_event(wake)
        failures = 0
        try:
            while self._subscribers > 0:
                wake.clear()
                try:
                    more = await self._poll()
                    failures = 0
                except Exception:
                    failures += 1
                    log.exception("reading the outbox for event streams failed (%d)", failures)
                    more = False
                if not more:
                    await wait_any(wake, timeout=min(self.config.poll_interval * 2 ** failures,
                                                     10.0))
        finally:
            unsubscribe()
            self._task = None

    async def _poll(self) -> bool:
        token = self.hw.pending_token()
        settled, rows, snapshot = await asyncio.to_thread(self._read, token)
        if settled:
            self.hw.settle()
        released = self.hw.advance(rows, snapshot, time.monotonic())
        if released:
            events = [Event.from_row(r, self.config) for r in released]
            self.ring.extend(events)
            if len(self.ring) == self.ring.maxlen:
                self.floor = self.ring[0].id - 1
            observe("sse", ((e.occurred_at, e.created_at) for e in events), self.db.clock())
            self.changed.set()
            self.changed = asyncio.Event()
        return len(rows) == self.config.batch_size and bool(released)

    def _head(self) -> int:
        with self.db.uow(readonly=True) as uow:
            return int(uow.conn.execute(select(func.coalesce(func.max(outbox.c.id), 0)))
                       .scalar_one())

    def _read(self, token: str | None) -> tuple[bool, list[dict[str, Any]], str | None]:
        with self.db.uow(readonly=True) as uow:
            settled = token is not None and bool(uow.conn.execute(_SETTLED, {"s": token}).scalar())
            rows = _rows(uow.conn, self.hw.cursor, None, self.config.batch_size)
            snapshot = None if self.in_order else uow.conn.execute(_SNAPSHOT).scalar()
        return settled, rows, snapshot

    def _read_range(self, after: int, upto: int) -> list[Event]:
        with self.db.uow(readonly=True) as uow:
            rows = _rows(uow.conn, after, upto, self.config.batch_size)
        return [Event.from_row(r, self.config) for r in rows]


def _rows(conn: Connection, after: int, upto: int | None, limit: int) -> list[dict[str, Any]]:
    q = select(outbox).where(outbox.c.id > after).order_by(outbox.c.id).limit(limit)
    if upto is not None:
        q = q.where(outbox.c.id <= upto)
    return [dict(r) for r in conn.execute(q).mappings()]
