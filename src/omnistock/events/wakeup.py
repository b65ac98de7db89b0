"""Wake an asyncio loop when this process commits outbox rows (store/outbox_writes.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from ..store.database import Database
from ..store.outbox_writes import OutboxWrites


def wake_on_outbox_write(db: Database, wake: asyncio.Event) -> Callable[[], None]:
    """Set `wake` on the running loop, from whichever thread committed; returns the function
    that stops it."""
    loop = asyncio.get_running_loop()

    def callback() -> None:
        if not loop.is_closed():
            loop.call_soon_threadsafe(wake.set)

    return OutboxWrites.of(db).subscribe(callback)
