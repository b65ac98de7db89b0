"""The outbox dispatcher: committed rows, in id order, to every sink, each at its own pace.

Each sink (NATS, webhook deliveries) keeps its own position in the outbox (store/sink_tables.py),
moved once the sink has accepted a batch (NATS: the stream's ack). A sink that fails backs off
and retries from its own position, however long the outage lasts (a NATS duplicate window
would not cover it), while the others go on: a stuck NATS holds back no webhook, a database
error writing deliveries holds back no NATS publish. Delivery is at least once: a process that
dies between a publish and the move of that sink's position sends the batch again on restart,
and sinks are idempotent (NATS drops a repeated `Nats-Msg-Id` inside the duplicate window,
webhook deliveries are unique per (webhook, event)). A row is marked `published_at` once every
sink has passed it; the outbox lag metric reads that mark. Server-sent events keep their own
position (tail.py), and each webhook endpoint its pending deliveries (deliveries.py).

On PostgreSQL ids are drawn at insert, not at commit, so positions only move over the settled
prefix of the outbox (highwater.py), which no row can join later. If a hole stays open past
`gap_timeout` (a long write transaction), the prefix moves on and the missing ids are
remembered: a row among them that commits later is a late row, found by the next pass (it is
the only kind of unmarked row below every position) and sent to every sink then, out of order.

Several server processes may run a dispatcher against one database. Work is not split with
`SELECT ... FOR UPDATE SKIP LOCKED`: two dispatchers taking alternate batches would publish the
changes of one SKU out of order. Instead one dispatcher at a time holds a lease (lease.py) and
publishes what has committed in id order; the others stand by and take over within `lease_ttl`
of its death, from the positions stored. Changes to one position (a SKU at a location) commit
in id order, since each writer locks the position row before it writes the outbox, so they are
published in commit order. One dispatcher publishes thousands of events a second.

It is an asyncio task in the background thread (background.py): NATS and httpx are asyncio
clients, and the database calls go to worker threads so they never stall their sends.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ..metrics import DISPATCHER_LEADER
from ..store.database import Database
from ..store.outbox_writes import OutboxWrites
from .cloudevents import Event
from .config import EventsConfig
from .highwater import HighWater
from .lease import Lease

log = logging.getLogger(__name__)
LEASE = "outbox-dispatcher"


class Sink(Protocol):
    name: str

    async def publish(self, events: Sequence[Event]) -> None:
        """Return once every event is stored downstream; raise to have the batch retried."""

    async def close(self) -> None: ...


class SinkFailed(Exception):
    """One or more sinks failed this pass; the others went on."""


@dataclass
class _Leading:
    """What the dispatcher knows while it holds the lease."""

    hw: HighWater  # the settled prefix of the outbox
    positions: dict[str, int]  # per sink
    marked: int  # rows up to here are marked published (but for late ones)


class Dispatcher:
    def __init__(self, db: Database, sinks: Sequence[Sink], config: EventsConfig,
                 lease: Lease | None = None) -> None:
        self.db = db
        self.sinks = list(sinks)
        self.config = config
        self.lease = lease or Lease(db, LEASE, config.lease_ttl)
        self.in_order = OutboxWrites.of(db).in_id_order
        self._state: _Leading | None = None
        self._failures = dict.fromkeys(self.names, 0)
        self._retry_at = dict.fromkeys(self.names, 0.0)

    @property
    def names(self) -> list[str]:
        return [f"sink:{sink.name}" for sink in self.sinks]

    async def dispatch_once(self) -> int:
        """One pass if this process holds the lease: settle what committed, give each sink
        that is not backing off its next batch. The number of rows the busiest sink took
        (or that settled); SinkFailed after the pass if a sink failed."""
        leader = await asyncio.to_thread(self.lease.hold)
        DISPATCHER_LEADER.set(int(leader))
        if not leader:
            self._state = None  # whoever leads now moves the positions
            return 0
        if self._state is None:
            self._state = await asyncio.to_thread(self._lead)
        state = self._state
        late = await asyncio.to_thread(self._late, state)
        settled = await asyncio.to_thread(self._settle, state)
        took, failed, everyone = settled, [], True
        for sink, name in zip(self.sinks, self.names, strict=True):
            if time.monotonic() < self._retry_at[name]:
                everyone = False
                continue
            try:
                took = max(took, await self._feed(sink, name, state, late))
            except Exception as e:
                self._back_off(name, e)
                failed.append(e)
                everyone = False
        await asyncio.to_thread(self._mark, state, late if everyone else [])
        if failed:
            raise SinkFailed(f"{len(failed)} sink(s) failed: {failed[0]}") from failed[0]
        return took

    def _back_off(self, name: str, error: Exception) -> None:
        self._failures[name] += 1
        delay = min(self.config.poll_interval * 2 ** self._failures[name], 10.0)
        self._retry_at[name] = time.monotonic() + delay
        log.warning("the %s failed (%d in a row), retrying in %.1f s: %s", name,
                    self._failures[name], delay, error)

    async def _feed(self, sink: Sink, name: str, state: _Leading, late: list[Event]) -> int:
        position = state.positions[name]
        events = await asyncio.to_thread(self._read, position, state.hw.cursor)
        if late or events:
            await sink.publish([*late, *events])
        full = len(events) == self.config.batch_size
        moved = events[-1].id if full else state.hw.cursor
        if moved != position:
            await asyncio.to_thread(self._move, name, moved)
            state.positions[name] = moved
        self._failures[name], self._retry_at[name] = 0, 0.0
        return len(events)

    def _lead(self) -> _Leading:
        """Positions as stored; a sink seen for the first time starts where the shared
        `published_at` mark is (a database from before positions, or a sink just enabled). A
        row in flight below that start is found as a late row when it commits."""
        with self.db.uow() as uow:
            first = uow.outbox.first_unpublished_id()
            start = first - 1 if first is not None else uow.outbox.last_id()
            positions = uow.sink_cursors.positions(self.names, start, self.db.clock())
            uow.commit()
        low = min(positions.values(), default=start)
        return _Leading(HighWater(low, in_order=self.in_order, timeout=self.config.gap_timeout),
                        positions, low)

    def _settle(self, state: _Leading) -> int:
        token = state.hw.pending_token()
        with self.db.uow(snapshot=True) as uow:  # one snapshot: see store/outbox.py
            if token is not None and uow.outbox.settled(token):
                state.hw.settle()
            rows = uow.outbox.after(state.hw.cursor, self.config.batch_size)
            snapshot = uow.outbox.snapshot()
        return len(state.hw.advance(rows, snapshot, time.monotonic()))

    def _read(self, after: int, upto: int) -> list[Event]:
        if upto <= after:
            return []
        with self.db.uow(readonly=True) as uow:
            rows = uow.outbox.after(after, self.config.batch_size, upto=upto)
        return [Event.from_row(r, self.config) for r in rows]

    def _late(self, state: _Leading) -> list[Event]:
        """Rows below every position that are not marked: committed after their id was passed
        (or left by a dispatcher that died before marking them)."""
        with self.db.uow(readonly=True) as uow:
            rows = uow.outbox.unpublished_upto(state.marked, self.config.batch_size)
        if rows:
            log.warning("%d outbox row(s) committed after their ids were passed (first %d); "
                        "sending them now", len(rows), rows[0]["id"])
        return [Event.from_row(r, self.config) for r in rows]

    def _move(self, name: str, position: int) -> None:
        with self.db.uow() as uow:
            uow.sink_cursors.move(name, position, self.db.clock())
            uow.commit()

    def _mark(self, state: _Leading, late: list[Event]) -> None:
        low = min(state.positions.values(), default=state.hw.cursor)
        if low <= state.marked and not late:
            return
        with self.db.uow() as uow:
            now = self.db.clock()
            uow.outbox.mark_range(state.marked, low, now, state.hw.skipped)
            uow.outbox.mark_published([e.id for e in late], now)
            uow.commit()
        state.marked = max(state.marked, low)
        # Passed ids below the mark can no longer be marked by a range: a late row among
        # them stays unmarked until it is sent (`_late`).
        state.hw.skipped = [r for r in state.hw.skipped if r[1] > state.marked]

    async def run(self, stop: asyncio.Event, wake: asyncio.Event) -> None:
        """Loop until `stop`: a full batch goes on at once, otherwise wait for a wake-up or
        the poll interval. A failing sink backs off on its own (the others go on); a failure
        of the outbox itself backs off the loop, up to 10 s."""
        failures = 0
        while not stop.is_set():
            wake.clear()
            try:
                n = await self.dispatch_once()
                failures = 0
            except SinkFailed:
                n, failures = 0, 0
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
