"""Mappings and quarantine rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..domain.errors import AlreadyExists, NotFound
from .feed_tables import code_mappings, quarantine
from .tables import items, locations, movements


class FeedRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def mappings(self, source: str | None = None) -> list[dict[str, Any]]:
        stmt = select(code_mappings).order_by(code_mappings.c.source, code_mappings.c.kind,
                                              code_mappings.c.code)
        if source:
            stmt = stmt.where(code_mappings.c.source == source)
        return [dict(r) for r in self.conn.execute(stmt).mappings()]

    def add_mapping(self, row: dict[str, Any]) -> None:
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(code_mappings).values(**row))
        except IntegrityError:
            raise AlreadyExists(f"{row['source']} already maps {row['kind']} {row['code']!r}",
                                field="code") from None

    def remove_mapping(self, source: str, kind: str, code: str) -> None:
        gone = self.conn.execute(delete(code_mappings).where(
            code_mappings.c.source == source, code_mappings.c.kind == kind,
            code_mappings.c.code == code)).rowcount
        if not gone:
            raise NotFound(f"no mapping of {kind} {code!r} for {source}", field="code")

    def by_gtin(self) -> dict[str, str]:
        return dict(self.conn.execute(
            select(items.c.gtin, items.c.sku).where(items.c.gtin.is_not(None))).all())

    def by_gln(self) -> dict[str, str]:
        return dict(self.conn.execute(
            select(locations.c.gln, locations.c.code).where(locations.c.gln.is_not(None))).all())

    def known(self) -> tuple[set[str], set[str]]:
        skus = set(self.conn.execute(select(items.c.sku)).scalars())
        codes = set(self.conn.execute(select(locations.c.code)).scalars())
        return skus, codes

    def quarantine(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.conn.execute(insert(quarantine), rows)

    def quarantined(self, *, status: str = "open", source: str | None = None,
                    limit: int = 500) -> list[dict[str, Any]]:
        stmt = select(quarantine).where(quarantine.c.status == status)
        if source:
            stmt = stmt.where(quarantine.c.source == source)
        return [dict(r) for r in self.conn.execute(stmt.order_by(quarantine.c.id).limit(limit))
                .mappings()]

    def resolve(self, ids: list[int], now: datetime) -> None:
        if ids:
            self.conn.execute(update(quarantine).where(quarantine.c.id.in_(ids))
                              .values(status="resolved", resolved_at=now))

    def source_totals(self, excluded: tuple[str, ...]) -> list[tuple[str, int, datetime, datetime]]:
        """Per source: records, last recorded_at, last occurred_at."""
        return [tuple(r) for r in self.conn.execute(
            select(movements.c.source, func.count(), func.max(movements.c.recorded_at),
                   func.max(movements.c.occurred_at))
            .where(movements.c.source.not_in(excluded))
            .group_by(movements.c.source).order_by(movements.c.source))]

    def latest_times(self, source: str, limit: int) -> list[tuple[datetime, datetime]]:
        """(recorded_at, occurred_at) of the source's latest records."""
        return [tuple(r) for r in self.conn.execute(
            select(movements.c.recorded_at, movements.c.occurred_at)
            .where(movements.c.source == source).order_by(movements.c.id.desc()).limit(limit))]
