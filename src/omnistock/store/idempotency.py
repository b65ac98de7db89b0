"""Responses remembered under an Idempotency-Key, per actor (the protocol: services/idempotency)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from .tables import idempotency_keys as table


def _where(key: str, actor: str) -> ColumnElement[bool]:
    return (table.c.key == key) & (table.c.actor == actor)


class IdempotencyRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, key: str, actor: str, request_hash: str, status_code: int, body: str,
            now: datetime) -> bool:
        """False when the key is already remembered for this actor."""
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(table).values(
                    key=key, actor=actor, request_hash=request_hash, status_code=status_code,
                    body=body, created_at=now))
        except IntegrityError:
            return False
        return True

    def get(self, key: str, actor: str) -> dict[str, Any] | None:
        row = self.conn.execute(select(table.c.request_hash, table.c.status_code, table.c.body)
                                .where(_where(key, actor))).mappings().first()
        return dict(row) if row is not None else None

    def update(self, key: str, actor: str, status_code: int, body: str) -> None:
        self.conn.execute(update(table).where(_where(key, actor))
                          .values(status_code=status_code, body=body))

    def delete(self, key: str, actor: str, *, status_code: int) -> None:
        """Only while the row still has `status_code` (a claim, not a completed response)."""
        self.conn.execute(delete(table).where(_where(key, actor),
                                              table.c.status_code == status_code))

    def prune(self, older_than: datetime) -> int:
        n = self.conn.execute(delete(table).where(table.c.created_at < older_than)).rowcount
        return int(n or 0)
