"""What `omnistock verify` replays: the ledger's facts per position, in one pass."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import groupby
from typing import Any

from sqlalchemy import Connection, select

from ..domain.buckets import BUCKETS
from ..domain.ledger import CHAIN_FIELDS
from .tables import items, locations, movements


class AuditRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def facts_by_position(self) -> Iterator[tuple[tuple[int, int], list[Any]]]:
        """((item_id, location_id), its movements' id, type, reference, occurred_at, source,
        external_id, raw_on_hand, counted and bucket deltas d_*), position by position;
        streamed, not loaded at once. The caller sums the deltas, not SQL: SQLite's SUM()
        raises on an overflow, and a ledger corrupted that way must still get a report."""
        m = movements.c
        rows = self.conn.execute(
            select(m.item_id, m.location_id, m.id, m.type, m.reference, m.occurred_at,
                   m.source, m.external_id, m.raw_on_hand, m.counted,
                   *[getattr(m, f"d_{b}") for b in BUCKETS])
            .order_by(m.item_id, m.location_id)
            .execution_options(yield_per=10_000))
        for key, group in groupby(rows, key=lambda r: (r.item_id, r.location_id)):
            yield key, list(group)

    def chains(self) -> Iterator[tuple[tuple[int, int], list[Any]]]:
        """Each position's movements in chain order, with what their links cover; streamed."""
        m = movements.c
        cols = {c: getattr(m, c) for c in ("id", "seq", "chain_hash", *CHAIN_FIELDS)}
        rows = self.conn.execute(
            select(*cols.values()).order_by(m.item_id, m.location_id, m.seq, m.id)
            .execution_options(yield_per=10_000)).mappings()
        for key, group in groupby(rows, key=lambda r: (r["item_id"], r["location_id"])):
            yield key, list(group)

    def link(self, sku: str, location: str, seq: int) -> str | None:
        """The hash of link `seq` of a position's chain, if it has one."""
        m = movements.c
        return self.conn.execute(
            select(m.chain_hash)
            .join(items, items.c.id == m.item_id).join(locations, locations.c.id == m.location_id)
            .where(items.c.sku == sku, locations.c.code == location, m.seq == seq)
        ).scalar()
