"""Work the server does besides answering: each task runs for the life of the process.

A task is `async def task(store, stop)`: loop until `stop` is set, and survive its own errors.
Every server process runs every task, so each must be safe to run in many processes at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool

from ..metrics import RESERVATIONS_EXPIRED
from ..services import idempotency
from ..services.orders import expire_no_shows
from ..services.reservations import sweep_expired
from ..store.database import Database

BackgroundTask = Callable[[Database, asyncio.Event], Coroutine[Any, Any, None]]
log = logging.getLogger("omnistock.background")

SWEEP_EVERY_SECONDS = 1.0
PRUNE_EVERY_SECONDS = 600.0
NO_SHOW_EVERY_SECONDS = 60.0
IDEMPOTENCY_KEYS_KEPT = timedelta(hours=24)


async def every(seconds: float, stop: asyncio.Event, name: str,
                step: Callable[[], Awaitable[None]]) -> None:
    while not stop.is_set():
        try:
            await step()
        except Exception:
            log.exception("background task %s failed; retrying in %.0f s", name, seconds)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=seconds)


async def reservation_sweeper(db: Database, stop: asyncio.Event) -> None:
    """Return the units of lapsed holds (services.reservations.sweep_expired)."""
    async def step() -> None:
        RESERVATIONS_EXPIRED.inc(await run_in_threadpool(sweep_expired, db))

    await every(SWEEP_EVERY_SECONDS, stop, "reservation sweeper", step)


async def idempotency_pruner(db: Database, stop: asyncio.Event) -> None:
    """Forget Idempotency-Key responses after 24 hours."""
    async def step() -> None:
        await run_in_threadpool(idempotency.prune, db, db.clock() - IDEMPOTENCY_KEYS_KEPT)

    await every(PRUNE_EVERY_SECONDS, stop, "idempotency pruner", step)


async def no_show_sweeper(db: Database, stop: asyncio.Event) -> None:
    """Cancel pickup orders not collected within the channel's hold (expire_no_shows)."""
    async def step() -> None:
        await run_in_threadpool(expire_no_shows, db)

    await every(NO_SHOW_EVERY_SECONDS, stop, "no-show sweeper", step)
