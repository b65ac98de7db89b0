"""Leases of singleton loops (events/lease.py): who holds a name, until when.

Taking a lease is one conditional UPDATE (`WHERE holder = me OR expires_at < now`), with an
INSERT ... ON CONFLICT DO NOTHING for the first holder ever. On PostgreSQL the row lock makes
concurrent attempts queue, and the loser re-reads the row and finds it taken; on SQLite the
write lock (BEGIN IMMEDIATE) serialises them.

A name can also be held for good (`hold_forever`): the first holder written wins and is read
back by everyone after, which is how a database keeps the random id it was given once.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from .event_tables import event_leases

_t = event_leases.c
FOREVER = datetime(9999, 12, 31, tzinfo=UTC)


class LeaseRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def take(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        """Acquire or renew `name` for `holder` until `until`; False while another holder's
        lease runs."""
        taken = self.conn.execute(
            update(event_leases)
            .where(_t.name == name, or_(_t.holder == holder, _t.expires_at < now))
            .values(holder=holder, expires_at=until).returning(_t.name)).first()
        if taken is None:  # rowcount is not reliable here on every driver: use RETURNING
            insert = postgresql.insert if self.conn.dialect.name == "postgresql" \
                else sqlite.insert
            taken = self.conn.execute(
                insert(event_leases).values(name=name, holder=holder, expires_at=until)
                .on_conflict_do_nothing(index_elements=["name"]).returning(_t.name)).first()
        return taken is not None

    def end(self, name: str, holder: str, at: datetime) -> None:
        """Let the lease run out at `at`, if `holder` still has it."""
        self.conn.execute(update(event_leases).where(_t.name == name, _t.holder == holder)
                          .values(expires_at=at))

    def holder(self, name: str, now: datetime) -> str | None:
        """Who holds `name` at `now`, if anyone."""
        return self.conn.execute(select(_t.holder).where(_t.name == name, _t.expires_at >= now)
                                 ).scalar()

    def hold_forever(self, name: str, holder: str) -> str:
        """Hold `name` for `holder` with no end, unless it is held for good already; returns
        whoever holds it for good."""
        insert = postgresql.insert if self.conn.dialect.name == "postgresql" else sqlite.insert
        self.conn.execute(insert(event_leases).values(name=name, holder=holder,
                                                      expires_at=FOREVER)
                          .on_conflict_do_nothing(index_elements=["name"]))
        return str(self.conn.execute(select(_t.holder).where(_t.name == name)).scalar_one())
