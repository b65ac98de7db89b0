"""Webhooks out: the sink that turns events into deliveries, and the sender that POSTs them.

The body is the CloudEvent (structured JSON), signed as described in signing.py. A 2xx answer
delivers; anything else (another status, a timeout, a refused connection) is a failure, retried
after 1, 2, 4 ... times `webhook_backoff_base` seconds (capped), and parked after
`webhook_max_attempts` failures; parked deliveries wait for POST .../retry. Redirects are not
followed. Up to `webhook_concurrency` requests are in flight, so one slow endpoint does not hold
back the others; one item's deliveries to one endpoint go one at a time, in commit order
(deliveries.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import timedelta

import httpx

from ..metrics import WEBHOOK_ATTEMPTS, observe
from ..store.database import Database
from . import deliveries
from .cloudevents import CONTENT_TYPE, Event
from .config import EventsConfig
from .deliveries import Job, Status
from .dispatcher import wait_any
from .signing import sign

log = logging.getLogger(__name__)
USER_AGENT = "omnistock-webhooks/1"


class WebhookSink:
    """Dispatcher side: one pending delivery per matching webhook, in one transaction."""

    name = "webhook"

    def __init__(self, db: Database, on_created: Callable[[], None] = lambda: None) -> None:
        self.db = db
        self.on_created = on_created

    async def publish(self, events: Sequence[Event]) -> None:
        if await asyncio.to_thread(self._create, events):
            self.on_created()

    def _create(self, events: Sequence[Event]) -> int:
        with self.db.uow() as uow:
            n = deliveries.create_for(uow.webhooks, events, self.db.clock())
            uow.commit()
        return n

    async def close(self) -> None:
        pass


class WebhookSender:
    def __init__(self, db: Database, config: EventsConfig,
                 client: httpx.AsyncClient | None = None) -> None:
        self.db = db
        self.config = config
        self.client = client or httpx.AsyncClient(
            timeout=config.webhook_timeout, follow_redirects=False,
            headers={"User-Agent": USER_AGENT})
        self.wake = asyncio.Event()
        self._inflight: set[asyncio.Task[Status]] = set()

    async def run(self, stop: asyncio.Event) -> None:
        try:
            while not stop.is_set():
                self.wake.clear()
                free = self.config.webhook_concurrency - len(self._inflight)
                if free > 0:
                    try:
                        jobs = await asyncio.to_thread(self._claim, free)
                    except Exception:
                        log.exception("claiming webhook deliveries failed")
                        jobs = []
                    for job in jobs:
                        self._start(job)
                    if len(jobs) == free:
                        continue
                await wait_any(stop, self.wake, timeout=self.config.webhook_poll_interval)
            if self._inflight:
                await asyncio.wait(self._inflight, timeout=self.config.webhook_timeout)
        finally:
            for task in self._inflight:
                task.cancel()
            await self.client.aclose()

    def _start(self, job: Job) -> None:
        task = asyncio.create_task(self.deliver(job))
        self._inflight.add(task)

        def done(t: asyncio.Task[Status]) -> None:
            self._inflight.discard(t)
            self.wake.set()

        task.add_done_callback(done)

    def _claim(self, limit: int) -> list[Job]:
        now = self.db.clock()
        with self.db.uow(readonly=True) as uow:
            if not uow.webhooks.any_due(now):
                return []
        until = now + timedelta(seconds=self.config.webhook_timeout + 30)
        with self.db.uow() as uow:
            jobs = deliveries.claim(uow.webhooks, now, until, limit, self.config)
            uow.commit()
        return jobs

    async def deliver(self, job: Job) -> Status:
        status_code, error = None, None
        if not job.deleted:
            status_code, error = await self._post(job)
        try:
            status = await asyncio.to_thread(self._resolve, job, status_code, error)
        except Exception:
            log.exception("recording webhook delivery %s failed", job.delivery_id)
            return Status.PENDING  # claimed until the lease ends, then sent again
        WEBHOOK_ATTEMPTS.labels("failed" if status is Status.PENDING else status.value).inc()
        if status is Status.DELIVERED:
            observe("webhook", [(job.event.occurred_at, job.event.created_at)],
                    self.db.clock())
        elif status is Status.PARKED:
            log.warning("webhook delivery %s parked after %d attempts: %s", job.delivery_id,
                        job.attempts + 1, error)
        return status

    async def _post(self, job: Job) -> tuple[int | None, str | None]:
        timestamp = int(self.db.clock().timestamp())
        headers = {"Content-Type": CONTENT_TYPE, "X-Omnistock-Event-Id": str(job.event.id),
                   "X-Omnistock-Delivery-Id": str(job.delivery_id),
                   "X-Omnistock-Timestamp": str(timestamp),
                   "X-Omnistock-Signature": sign(job.secret, timestamp, job.event.body)}
        try:
            response = await self.client.post(job.url, content=job.event.body, headers=headers)
        except Exception as e:  # refused, timed out, bad URL ...: all count as a failed attempt
            return None, f"{type(e).__name__}: {e}"
        if response.is_success:
            return response.status_code, None
        return response.status_code, f"HTTP {response.status_code}: {response.text[:200]}"

    def _resolve(self, job: Job, status_code: int | None, error: str | None) -> Status:
        with self.db.uow() as uow:
            status = deliveries.resolve(uow.webhooks, job, self.db.clock(), self.config,
                                        status_code=status_code, error=error)
            uow.commit()
        return status
