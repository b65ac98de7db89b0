"""Mappings and quarantine rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from ..domain.errors import AlreadyExists, NotFound
from .feed_source_tables import feed_sources
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
        """Hold records, one row per (source, fingerprint): a record held again reopens and
        updates its row (reason, raw, record) and counts it in `seen`."""
        if not rows:
            return
        # One statement may not touch a row twice: the last of a record held twice wins.
        unique = {(r["source"], r["fingerprint"]): r for r in rows}
        insert_ = (postgresql.insert if self.conn.dialect.name == "postgresql"
                   else sqlite.insert)
        stmt = insert_(quarantine)
        stmt = stmt.on_conflict_do_update(
            index_elements=["source", "fingerprint"],
            set_={"reason": stmt.excluded.reason, "raw": stmt.excluded.raw,
                  "position": stmt.excluded.position, "record": stmt.excluded.record,
                  "status": "open", "resolved_at": None,
                  "last_seen_at": stmt.excluded.last_seen_at, "seen": quarantine.c.seen + 1})
        self.conn.execute(stmt, list(unique.values()))

    def has_open(self, source: str) -> bool:
        return self.conn.execute(select(quarantine.c.id).where(
            quarantine.c.source == source, quarantine.c.status == "open").limit(1)).first() \
            is not None

    def resolve_applied(self, source: str, fingerprints: list[str], now: datetime) -> int:
        """Close the open rows of records that have now been applied (a corrected re-send)."""
        if not fingerprints:
            return 0
        return self.conn.execute(
            update(quarantine).where(quarantine.c.source == source,
                                     quarantine.c.status == "open",
                                     quarantine.c.fingerprint.in_(fingerprints))
            .values(status="resolved", resolved_at=now)).rowcount

    def resolve_unread_files(self, source: str, fmt: str, ending: str, now: datetime) -> int:
        return self.conn.execute(
            update(quarantine).where(quarantine.c.source == source,
                                     quarantine.c.format == fmt,
                                     quarantine.c.status == "open",
                                     quarantine.c.reason.endswith(ending))
            .values(status="resolved", resolved_at=now)).rowcount

    def source_settings(self, source: str) -> dict[str, Any] | None:
        row = self.conn.execute(select(feed_sources).where(
            feed_sources.c.source == source)).mappings().first()
        return dict(row) if row else None

    def all_source_settings(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute(
            select(feed_sources).order_by(feed_sources.c.source)).mappings()]

    def put_source_settings(self, row: dict[str, Any]) -> None:
        insert_ = (postgresql.insert if self.conn.dialect.name == "postgresql"
                   else sqlite.insert)
        stmt = insert_(feed_sources).values(**row)
        self.conn.execute(stmt.on_conflict_do_update(
            index_elements=["source"],
            set_={k: stmt.excluded[k] for k in row if k != "source"}))

    def put_mappings(self, rows: list[dict[str, Any]]) -> tuple[int, int]:
        """Add or re-point mappings in bulk; (added, changed). A mapping already pointing at
        the same target is left alone, so importing the same file again changes nothing."""
        if not rows:
            return 0, 0
        source = rows[0]["source"]
        existing = {(m["kind"], m["code"]): m["target"] for m in self.mappings(source)}
        added = [r for r in rows if (r["kind"], r["code"]) not in existing]
        changed = [r for r in rows if existing.get((r["kind"], r["code"])) not in (None,
                                                                                   r["target"])]
        if added:
            self.conn.execute(insert(code_mappings), added)
        for r in changed:
            self.conn.execute(update(code_mappings).where(
                code_mappings.c.source == source, code_mappings.c.kind == r["kind"],
                code_mappings.c.code == r["code"]).values(target=r["target"],
                                                          created_at=r["created_at"]))
        return len(added), len(changed)

    def quarantined(self, *, status: str = "open", source: str | None = None,
                    limit: int = 500, ids: list[int] | None = None) -> list[dict[str, Any]]:
        stmt = select(quarantine).where(quarantine.c.status == status)
        if source:
            stmt = stmt.where(quarantine.c.source == source)
        if ids is not None:
            stmt = stmt.where(quarantine.c.id.in_(ids))
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
