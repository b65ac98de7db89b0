"""Holds and orders refused for want of stock (counted by the KPIs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select

from .tables import refusals


class RefusalRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, kind: str, reference: str | None, lines: list[dict[str, Any]],
            now: datetime) -> None:
        self.conn.execute(insert(refusals).values(kind=kind, reference=reference, lines=lines,
                                                  refused_at=now))

    def count_by_kind(self, start: datetime, end: datetime) -> dict[str, int]:
        """Refusals with start <= refused_at < end, by kind."""
        rows = self.conn.execute(
            select(refusals.c.kind, func.count())
            .where(refusals.c.refused_at >= start, refusals.c.refused_at < end)
            .group_by(refusals.c.kind)).all()
        return {kind: int(n) for kind, n in rows}
