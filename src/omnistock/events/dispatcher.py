"""The outbox dispatcher: unpublished rows, in id order, to every sink, then marked published.

Delivery is at least once. Rows are marked only after every sink has accepted them (NATS: the
stream's ack), so a process that dies in between sends them again on restart; sinks are
idempotent (NATS drops a repeated `Nats-Msg-Id` inside the duplicate window, webhook deliveries
are unique per (webhook, event)). The mark is shared, but no sink's progress can skip another's
events: a sink that fails holds back the batch, which is retried with backoff, and nothing is
marked. Each sink is tried on its own and remembers the unmarked events it has accepted, so a
retry goes only to the sinks that failed, however long the outage lasts (a NATS duplicate
window would not cover it). Server-sent events keep their own position (tail.py), and webhook
deliveries theirs once created (deliveries.py).

Several server processes may run a dispatcher against one database. Work is not split with
`SELECT ... FOR UPDATE SKIP LOCKED`: two dispatchers taking alternate batches would publish the
changes of one SKU out of order. Instead one dispatcher at a time holds a lease (lease.py) and
publishes what has committed in id order; the others stand by and take over within `lease_ttl`
of its death. Changes to one position (a SKU at a location) commit in id order, since each
writer locks the position row before it writes the outbox, so they are published in commit
order. One dispatcher publishes thousands of events a second, far above the change rate.

It is an asyncio task in the background thread (background.py): NATS and httpx are asyncio
clients, and the database calls go to worker threads so they never stall their sends.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Protocol

from ..metrics import DISPATCHER_LEADER
from ..store.database import Database
from .cloudevents import Event
from .config import EventsConfig
from .lease import Lease

log = logging.getLogger(__name__)
LEASE = "outbox-dispatcher"


class Sink(Protocol):
    name: str

    async def publish(self, events: Sequence[Event]) -> None:
        """Return once every event is stored downstream; raise to have the batch retried."""

    async def close(self) -> None: ...


class Dispatcher:
    def __init__(self, db: Database, sinks: Sequence[Sink], config: EventsConfig,
                 lease: Lease | None = None) -> None:
        self.db = db
        self.sinks = list(sinks)
        self.config = config
        self.lease = lease or Lease(db, LEASE, config.lease_ttl)
        # Per sink: ids it accepted that are not marked published yet.
        self._accepted: list[set[int]] = [set() for _ in self.sinks]

    async def dispatch_once(self) -> int:
        """Publish one batch if this process holds the lease; return how many rows."""
        leader = await asyncio.to_thread(self.lease.hold)
        DISPATCHER_LEADER.set(int(leader))
        if not leader:
            for accepted in self._accepted:  # whoever leads now marks them
                accepted.clear()
            return 0
        events = await asyncio.to_thread(self._unpublished)
        if not events:
            return 0
        failed: Exception | None = None
        for sink, accepted in zip(self.sinks, self._accepted, strict=True):
            todo = [e for e in events if e.id not in accepted]
            if not todo:
                continue
            try:
                await sink.publish(todo)
            except Exception as e:
                log.warning("the %s sink failed: %s", sink.name, e)
                failed = failed or e
                continue
            accepted.update(e.id for e in todo)
        if failed is not None:
            raise failed
        ids = [e.id for e in events]
        await asyncio.to_thread(self._mark_published, ids)
        for accepted in self._accepted:
            accepted.difference_update(ids)
        return len(events)

    def _unpublished(self) -> list[Event]:
        with self.db.uow(readonly=True) as uow:
            rows = uow.outbox.unpublished(self.config.batch_size)
        return [Event.from_row(r, self.config) for r in rows]

    def _mark_published(self, ids: list[int]) -> None:
        with self.db.uow() as uow:
            uow.outbox.mark_published(ids, self.db.clock())
            uow.commit()

    async def run(self, stop: asyncio.Event, wake: asyncio.Event) -> None:
        """Loop until `stop`: a full batch goes on at once, otherwise wait for a wake-up or
        the poll interval; failures back off exponentially up to 10 s."""
        failures = 0
        while not stop.is_set():
            wake.clear()
            try:
                n = await self.dispatch_once()
                failures = 0
            except Exception:
                failures += 1
                log.exception("outbox dispatch failed (%d in a row); retrying", failures)
                n = 0
            if n >= self.config.batch_size:
                continue
            delay = min(self.config.poll_interval * 2 ** failures, 10.0) if failures else (
                self.config.poll_interval if self.lease.held else self.lease.ttl / 4)
            await wait_any(stop, wake, timeout=delay)
        DISPATCHER_LEADER.set(0)
        try:
            await asyncio.to_thread(self.lease.release)
        except Exception:  # it runs out by itself
            log.exception("releasing the dispatcher lease failed")


async def wait_any(*events: asyncio.Event, timeout: float) -> None:
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()
