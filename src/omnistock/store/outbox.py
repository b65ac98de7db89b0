"""The transactional outbox: events are rows written with the change they announce.

On PostgreSQL ids are drawn when rows are inserted, not when they commit, so a reader can see
id 11 while id 10 is in flight (events/highwater.py); `snapshot` and `settled` let it tell
when such a hole is final. On SQLite writers are serialised and ids commit in order.

`settled` asks the reader's own snapshot, not `pg_xact_status`: a transaction is marked
committed a moment before it leaves the set of running transactions that snapshots are made
of, so in that moment its rows are committed and still invisible to a new snapshot. A reader
that took "committed" for "visible" would pass a row it cannot see, and never send it. So
the check and the read run in one REPEATABLE READ transaction (`db.uow(snapshot=True)`).
Every outbox writer changes other rows first, so it holds a transaction id before it draws an
outbox id, and is in the snapshot's list of running transactions while the id is missing.
That list spans the whole server; a transaction seen running in another database cannot
write this outbox and is not waited for.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Connection, bindparam, func, select, text, update

from .tables import outbox
from .types import UTCDateTime

_INSERT = text(
    "INSERT INTO outbox (type, subject, data, occurred_at, created_at) "
    "VALUES (:type, :subject, :data, :occurred_at, :created_at)"
).bindparams(bindparam("data", type_=JSON), bindparam("occurred_at", type_=UTCDateTime),
             bindparam("created_at", type_=UTCDateTime))
_SNAPSHOT = text("SELECT CAST(pg_current_snapshot() AS text)")
_SETTLED = text(
    "SELECT NOT EXISTS (SELECT 1 FROM pg_snapshot_xip(CAST(:s AS pg_snapshot)) AS x "
    "WHERE NOT pg_visible_in_snapshot(x, pg_current_snapshot()) "
    "AND NOT EXISTS (SELECT 1 FROM pg_stat_activity AS a "
    "WHERE a.backend_xid = CAST(x AS xid) AND a.datname <> current_database()))")


class OutboxRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, type_: str, subject: str, data: dict[str, Any], occurred_at: datetime,
            now: datetime) -> None:
        self.add_many([{"type": type_, "subject": subject, "data": data,
                        "occurred_at": occurred_at, "created_at": now}])

    def add_many(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.conn.execute(_INSERT, rows)

    def after(self, last_id: int, limit: int = 500,
              upto: int | None = None) -> list[dict[str, Any]]:
        """Rows with last_id < id (<= upto), in id order."""
        q = select(outbox).where(outbox.c.id > last_id).order_by(outbox.c.id).limit(limit)
        if upto is not None:
            q = q.where(outbox.c.id <= upto)
        return [dict(r) for r in self.conn.execute(q).mappings()]

    def last_id(self) -> int:
        """The newest id (0 for an empty outbox)."""
        return int(self.conn.execute(select(func.coalesce(func.max(outbox.c.id), 0)))
                   .scalar_one())

    def oldest_unpublished_at(self) -> datetime | None:
        """When the oldest event not yet published was written (None when all are)."""
        return self.conn.execute(
            select(outbox.c.created_at).where(outbox.c.published_at.is_(None))
            .order_by(outbox.c.id).limit(1)).scalar()

    def snapshot(self) -> str | None:
        """A token for the transactions in flight in this snapshot; None where ids commit in
        order."""
        if self.conn.dialect.name != "postgresql":
            return None
        return self.conn.execute(_SNAPSHOT).scalar()

    def settled(self, token: str) -> bool:
        """Whether every transaction in flight in the `token` snapshot had ended when this
        transaction's snapshot was taken (so its rows, if committed, are visible to it)."""
        return bool(self.conn.execute(_SETTLED, {"s": token}).scalar())

    def unpublished(self, limit: int = 500) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            select(outbox).where(outbox.c.published_at.is_(None)).order_by(outbox.c.id)
            .limit(limit)
        ).mappings()
        return [dict(r) for r in rows]

    def first_unpublished_id(self) -> int | None:
        return self.conn.execute(
            select(outbox.c.id).where(outbox.c.published_at.is_(None)).order_by(outbox.c.id)
            .limit(1)).scalar()

    def unpublished_upto(self, upto: int, limit: int = 500) -> list[dict[str, Any]]:
        """Rows not marked published with id <= upto, in id order."""
        rows = self.conn.execute(
            select(outbox).where(outbox.c.published_at.is_(None), outbox.c.id <= upto)
            .order_by(outbox.c.id).limit(limit)).mappings()
        return [dict(r) for r in rows]

    def mark_range(self, after: int, upto: int, now: datetime,
                   except_ranges: Sequence[tuple[int, int]] = ()) -> None:
        """Mark the rows after < id <= upto published, but for ids in `except_ranges`."""
        if upto <= after:
            return
        q = update(outbox).where(outbox.c.published_at.is_(None), outbox.c.id > after,
                                 outbox.c.id <= upto)
        for lo, hi in except_ranges:
            q = q.where(~outbox.c.id.between(lo, hi))
        self.conn.execute(q.values(published_at=now))

    def mark_published(self, ids: list[int], now: datetime) -> None:
        if ids:
            self.conn.execute(update(outbox).where(outbox.c.id.in_(ids))
                              .values(published_at=now))
