"""NATS JetStream sink: each event to `<prefix>.<type>` on the stream, deduplicated by id.

The stream (default `OMNISTOCK`, subjects `<prefix>.>`) is created when missing, with a
duplicate window (default 2 minutes) inside which a second publish with the same `Nats-Msg-Id`
is acknowledged as a duplicate and not stored: a batch sent again after a crash between
publish and mark is stored once. An existing stream is used as configured by its operator.
The message id is `<source>:<database id>:<outbox id>` (`message_id`): deployments sharing a
stream, or a database re-initialised within the window, count outbox ids from 1 again, and a
bare outbox id would have JetStream drop their events as repeats.
Publishes are pipelined (sent in id order, acks awaited together); if any ack fails or times
out the whole batch fails and is sent again, and the acked part is dropped as duplicates.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import StreamConfig
from nats.js.errors import NotFoundError

from ..metrics import observe
from ..store.database import Database
from .cloudevents import CONTENT_TYPE, Event
from .config import EventsConfig
from .identity import database_id

log = logging.getLogger(__name__)


class NatsSink:
    name = "nats"

    def __init__(self, db: Database, config: EventsConfig) -> None:
        assert config.nats_url, "NatsSink needs OMNISTOCK_NATS_URL"
        self.url: str = config.nats_url
        self.db = db
        self.config = config
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._database_id: str | None = None

    def subject(self, event: Event) -> str:
        return f"{self.config.nats_subject_prefix}.{event.type}"

    async def connect(self) -> JetStreamContext:
        if self._js is not None and self._nc is not None and self._nc.is_connected:
            return self._js
        await self.close()
        self._nc = await nats.connect(self.url, name="omnistock-events",
                                      connect_timeout=2, max_reconnect_attempts=-1)
        self._js = self._nc.jetstream(timeout=self.config.nats_ack_timeout)
        await ensure_stream(self._js, self.config)
        return self._js

    def message_id(self, event: Event) -> str:
        assert self._database_id is not None, "known once publish starts"
        return f"{self.config.source}:{self._database_id}:{event.id}"

    async def publish(self, events: Sequence[Event]) -> None:
        if self._database_id is None:
            self._database_id = await asyncio.to_thread(database_id, self.db)
        js = await self.connect()
        acks = []
        try:
            for e in events:
                acks.append(await js.publish_async(
                    self.subject(e), e.body, wait_stall=self.config.nats_ack_timeout,
                    headers={"Nats-Msg-Id": self.message_id(e), "Content-Type": CONTENT_TYPE}))
            await asyncio.wait_for(asyncio.gather(*acks), self.config.nats_ack_timeout)
        except BaseException:
            for ack in acks:
                ack.cancel()  # frees the client's slots for pending acks
            raise
        observe(self.name, ((e.occurred_at, e.created_at) for e in events), self.db.clock())

    async def close(self) -> None:
        nc, self._nc, self._js = self._nc, None, None
        if nc is not None and not nc.is_closed:
            try:
                await nc.drain()
            except Exception:  # closing a broken connection is best effort
                log.debug("NATS drain failed", exc_info=True)


async def ensure_stream(js: JetStreamContext, config: EventsConfig) -> None:
    try:
        await js.stream_info(config.nats_stream)
    except NotFoundError:
        await js.add_stream(StreamConfig(
            name=config.nats_stream, subjects=[f"{config.nats_subject_prefix}.>"],
            duplicate_window=config.nats_duplicate_window))
        log.info("created JetStream stream %s", config.nats_stream)
