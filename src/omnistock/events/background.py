"""Starting and stopping the event machinery: `start_background(db)` from the API lifespan.

Everything runs in one daemon thread with its own event loop: the outbox dispatcher (sinks:
NATS JetStream when `OMNISTOCK_NATS_URL` is set, Shopify levels when `OMNISTOCK_SHOPIFY_SHOP`
is, webhook deliveries always) and the webhook and Shopify senders. A thread rather than
tasks on the server's loop: request handling never waits behind a publish, the same code runs
under uvicorn, the CLI and tests, and `stop()` is a plain join.
Server-sent events are not here: they are served on the server's loop (tail.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Sequence

from ..settings import get_settings
from ..store.database import Database
from .config import EventsConfig
from .dispatcher import Dispatcher, Sink
from .nats import NatsSink
from .sender import WebhookSender, WebhookSink
from .shopify_config import ShopifyConfig, shopify_config
from .shopify_sink import ShopifySender, ShopifySink
from .wakeup import wake_on_outbox_write

log = logging.getLogger(__name__)
SinkFactory = Callable[[Database, EventsConfig], Sequence[Sink]]


def default_sinks(db: Database, config: EventsConfig) -> list[Sink]:
    return [NatsSink(db, config)] if config.nats_url else []


class Background:
    def __init__(self, db: Database, config: EventsConfig,
                 sinks: SinkFactory = default_sinks,
                 shopify: ShopifyConfig | None = None) -> None:
        self.db = db
        self.config = config
        self._sinks = sinks
        self.shopify = shopify
        self._thread = threading.Thread(target=self._main, name="omnistock-events", daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self.ready = threading.Event()
        self.dispatcher: Dispatcher | None = None
        self.sender: WebhookSender | None = None

    def start(self) -> Background:
        self._thread.start()
        if not self.ready.wait(10):
            raise RuntimeError("the event thread did not start")
        return self

    def stop(self, timeout: float = 15.0) -> None:
        """Finish the batch in flight, release the lease, close connections; then return."""
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop ended on its own
                self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("the event thread did not stop within %.0f s", timeout)

    def _main(self) -> None:
        asyncio.run(self._run())

    async def _run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = stop = asyncio.Event()
        wake = asyncio.Event()
        self.sender = WebhookSender(self.db, self.config)
        sinks = [*self._sinks(self.db, self.config),
                 WebhookSink(self.db, self.sender.wake.set)]
        loops = [self.sender.run(stop)]
        if self.shopify is not None:
            shopify = ShopifySender(self.db, self.shopify, self.config)
            sinks.append(ShopifySink(self.db, self.shopify, shopify.wake.set))
            loops.append(shopify.run(stop))
        self.dispatcher = Dispatcher(self.db, sinks, self.config)
        unsubscribe = wake_on_outbox_write(self.db, wake)
        self.ready.set()
        try:
            await asyncio.gather(self.dispatcher.run(stop, wake), *loops)
        finally:
            unsubscribe()
            for sink in sinks:
                try:
                    await sink.close()
                except Exception:
                    log.exception("closing the %s sink failed", sink.name)


async def background_task(db: Database, stop: asyncio.Event) -> None:
    """The same, as a task of the API's lifespan (`async def task(db, stop)`)."""
    background = await asyncio.to_thread(start_background, db)
    try:
        await stop.wait()
    finally:
        await asyncio.to_thread(background.stop)


def start_background(db: Database, config: EventsConfig | None = None, *,
                     sinks: SinkFactory = default_sinks,
                     shopify: ShopifyConfig | None = None) -> Background:
    """Start the dispatcher and the webhook sender (and the Shopify sink, configured by the
    environment unless `shopify` is given: ShopifyNotConfigured when its token is missing);
    call `.stop()` on shutdown."""
    return Background(db, config or EventsConfig.from_settings(get_settings()), sinks,
                      shopify or shopify_config()).start()
