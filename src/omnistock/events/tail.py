"""One reader of the outbox per event loop and database, shared by every SSE stream.

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

from ..metrics import observe
from ..store.database import Database
from ..store.outbox_writes import OutboxWrites
from .cloudevents import Event
from .config import EventsConfig
from .dispatcher import wait_any
from .highwater import HighWater
from .wakeup import wake_on_outbox_write

log = logging.getLogger(__name__)
RING = 4096
# Keyed by the outbox's write signal: one per database, whichever `Database` object asks.
_tails: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop,
                                  dict[OutboxWrites, OutboxTail]] = weakref.WeakKeyDictionary()


def tail_for(db: Database, config: EventsConfig) -> OutboxTail:
    by_outbox = _tails.setdefault(asyncio.get_running_loop(), {})
    writes = OutboxWrites.of(db)
    if writes not in by_outbox:
        by_outbox[writes] = OutboxTail(db, config)
    return by_outbox[writes]


class OutboxTail:
    def __init__(self, db: Database, config: EventsConfig) -> None:
        self.db = db
        self.config = config
        self.in_order = OutboxWrites.of(db).in_id_order
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
        unsubscribe = wake_on_outbox_write(self.db, wake)
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
            return uow.outbox.last_id()

    def _read(self, token: str | None) -> tuple[bool, list[dict[str, Any]], str | None]:
        # One snapshot for all three: a hole is settled only if the rows read can show what
        # filled it (store/outbox.py).
        with self.db.uow(snapshot=True) as uow:
            settled = token is not None and uow.outbox.settled(token)
            rows = uow.outbox.after(self.hw.cursor, self.config.batch_size)
            snapshot = uow.outbox.snapshot()
        return settled, rows, snapshot

    def _read_range(self, after: int, upto: int) -> list[Event]:
        with self.db.uow(readonly=True) as uow:
            rows = uow.outbox.after(after, self.config.batch_size, upto=upto)
        return [Event.from_row(r, self.config) for r in rows]
