"""The transactional outbox: events are rows written with the change they announce."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Connection, bindparam, select, text, update

from .tables import outbox
from .types import UTCDateTime

_INSERT = text(
    "INSERT INTO outbox (type, subject, data, occurred_at, created_at) "
    "VALUES (:type, :subject, :data, :occurred_at, :created_at)"
).bindparams(bindparam("data", type_=JSON), bindparam("occurred_at", type_=UTCDateTime),
             bindparam("created_at", type_=UTCDateTime))


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

    def after(self, last_id: int, limit: int = 500) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            select(outbox).where(outbox.c.id > last_id).order_by(outbox.c.id).limit(limit)
        ).mappings()
        return [dict(r) for r in rows]

    def unpublished(self, limit: int = 500) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            select(outbox).where(outbox.c.published_at.is_(None)).order_by(outbox.c.id)
            .limit(limit)
        ).mappings()
        return [dict(r) for r in rows]

    def mark_published(self, ids: list[int], now: datetime) -> None:
        if ids:
            self.conn.execute(update(outbox).where(outbox.c.id.in_(ids))
                              .values(published_at=now))
