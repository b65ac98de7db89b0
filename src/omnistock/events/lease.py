"""A lease: at most one process at a time runs a named loop, and a dead holder is replaced.

Acquiring and renewing are one atomic step in the database (store/leases.py). Expiry compares
clocks of different processes: keep them in sync (NTP). A holder that stalls past its lease
can overlap with its successor for one batch; sinks are idempotent, so that costs a
duplicate, not a loss.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from datetime import timedelta

from ..store.database import Database


def holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Lease:
    def __init__(self, db: Database, name: str, ttl: float, holder: str | None = None) -> None:
        self.db = db
        self.name = name
        self.ttl = ttl
        self.holder = holder or holder_id()
        self._renewed: float | None = None  # monotonic time of the last successful renewal

    @property
    def held(self) -> bool:
        return self._renewed is not None and time.monotonic() - self._renewed < self.ttl

    def hold(self) -> bool:
        """Acquire or renew, going to the database only when half the lease has gone by."""
        if self._renewed is not None and time.monotonic() - self._renewed < self.ttl / 2:
            return True
        started = time.monotonic()
        if self._try_acquire():
            self._renewed = started
            return True
        self._renewed = None
        return False

    def _try_acquire(self) -> bool:
        now = self.db.clock()
        with self.db.uow() as uow:
            taken = uow.leases.take(self.name, self.holder, now,
                                    now + timedelta(seconds=self.ttl))
            uow.commit()
        return taken

    def release(self) -> None:
        """Let a successor take over now rather than after the lease runs out."""
        if self._renewed is None:
            return
        self._renewed = None
        with self.db.uow() as uow:
            uow.leases.end(self.name, self.holder, self.db.clock() - timedelta(seconds=1))
            uow.commit()
