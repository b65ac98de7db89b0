"""Try-in-store holds: rows beside their reservations, and a store's list of them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from .hold_tables import try_in_store
from .tables import items, locations, reservations

OPEN = "open"


class HoldRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, row: dict[str, Any]) -> None:
        self.conn.execute(insert(try_in_store).values(**row))

    def get(self, hold_id: str) -> dict[str, Any] | None:
        rows = self._rows(try_in_store.c.id == hold_id, limit=1)
        return rows[0] if rows else None

    def end(self, hold_id: str, outcome: str, now: datetime) -> None:
        self.conn.execute(update(try_in_store).where(try_in_store.c.id == hold_id)
                          .values(outcome=outcome, updated_at=now))

    def at(self, location_id: int | None, outcomes: Sequence[str] | None, limit: int, *,
           active_at: datetime | None = None) -> list[dict[str, Any]]:
        """Holds (of a location; still held at `active_at`), soonest collect-by first."""
        where = []
        if active_at is not None:
            where += [reservations.c.status == "active", reservations.c.expires_at > active_at]
        if location_id is not None:
            where.append(try_in_store.c.location_id == location_id)
        if outcomes:
            where.append(try_in_store.c.outcome.in_(outcomes))
        return self._rows(*where, limit=limit)

    def _rows(self, *where: Any, limit: int) -> list[dict[str, Any]]:
        stmt = (select(try_in_store, reservations.c.item_id, reservations.c.quantity,
                       reservations.c.status, reservations.c.expires_at,
                       reservations.c.reference, items.c.sku,
                       locations.c.code.label("location"))
                .join(reservations, reservations.c.id == try_in_store.c.id)
                .join(items, items.c.id == reservations.c.item_id)
                .join(locations, locations.c.id == try_in_store.c.location_id)
                .where(*where)
                .order_by(reservations.c.expires_at, try_in_store.c.id).limit(limit))
        return [dict(r) for r in self.conn.execute(stmt).mappings()]
