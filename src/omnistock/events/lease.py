"""A lease: at most one process at a time runs a named loop, and a dead holder is replaced.

Acquiring and renewing are one conditional UPDATE (`WHERE holder = me OR expires_at < now`),
with an INSERT ... ON CONFLICT DO NOTHING for the first holder ever. On PostgreSQL the row lock
makes concurrent attempts queue, and the loser re-reads the row and finds it taken; on SQLite
the write lock (BEGIN IMMEDIATE) serialises them. Expiry compares clocks of different
processes: keep them in sync (NTP). A holder that stalls past its lease can overlap with its
successor for one batch; sinks are idempotent, so that costs a duplicate, not a loss.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from datetime import timedelta

from sqlalchemy import or_, update
from sqlalchemy.dialects import postgresql, sqlite

from ..store.database import Database
from .tables import event_leases


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
        until = now + timedelta(seconds=self.ttl)
        t = event_leases.c
        with self.db.uow() as uow:
            taken = uow.conn.execute(
                update(event_leases)
                .where(t.name == self.name, or_(t.holder == self.holder, t.expires_at < now))
                .values(holder=self.holder, expires_at=until).returning(t.name)).first()
            if taken is None:  # rowcount is not reliable here on every driver: use RETURNING
                insert = postgresql.insert if uow.dialect == "postgresql" else sqlite.insert
                taken = uow.conn.execute(
                    insert(event_leases)
                    .values(name=self.name, holder=self.holder, expires_at=until)
                    .on_conflict_do_nothing(index_elements=["name"]).returning(t.name)).first()
            uow.commit()
        return taken is not None

    def release(self) -> None:
        """Let a successor take over now rather than after the lease runs out."""
        if self._renewed is None:
            return
        self._renewed = None
        t = event_leases.c
        with self.db.uow() as uow:
            uow.conn.execute(update(event_leases)
                             .where(t.name == self.name, t.holder == self.holder)
                             .values(expires_at=self.db.clock() - timedelta(seconds=1)))
            uow.commit()
