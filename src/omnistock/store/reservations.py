"""Reservation rows. Status changes are conditional updates, so two callers cannot both win."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from ..domain.reservations import ReservationStatus
from .tables import items, locations, reservations

ACTIVE = ReservationStatus.ACTIVE.value


class ReservationRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, row: dict[str, Any]) -> None:
        self.conn.execute(insert(reservations).values(**row))

    def get(self, reservation_id: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            select(reservations, items.c.sku, locations.c.code.label("location"))
            .join(items, items.c.id == reservations.c.item_id)
            .join(locations, locations.c.id == reservations.c.location_id)
            .where(reservations.c.id == reservation_id)
        ).mappings().first()
        return dict(row) if row else None

    def close(self, reservation_id: str, status: str, now: datetime) -> dict[str, Any] | None:
        """active (and not yet due) -> `status`; None when it was not active any more."""
        row = self.conn.execute(
            update(reservations)
            .where(reservations.c.id == reservation_id, reservations.c.status == ACTIVE,
                   reservations.c.expires_at > now)
            .values(status=status, updated_at=now)
            .returning(reservations.c.item_id, reservations.c.location_id,
                       reservations.c.quantity)
        ).mappings().first()
        return dict(row) if row else None

    def expire_due(self, now: datetime, *, item_id: int | None = None,
                   location_id: int | None = None, limit: int = 500) -> list[dict[str, Any]]:
        """Mark due holds expired and return them. The status re-check in the UPDATE makes two
        concurrent sweepers expire each hold once."""
        due = select(reservations.c.id).where(
            reservations.c.status == ACTIVE, reservations.c.expires_at <= now)
        if item_id is not None:
            due = due.where(reservations.c.item_id == item_id,
                            reservations.c.location_id == location_id)
        ids = list(self.conn.execute(due.order_by(reservations.c.expires_at).limit(limit))
                   .scalars())
        if not ids:
            return []
        rows = self.conn.execute(
            update(reservations)
            .where(reservations.c.id.in_(ids), reservations.c.status == ACTIVE)
            .values(status=ReservationStatus.EXPIRED.value, updated_at=now)
            .returning(reservations.c.id, reservations.c.item_id, reservations.c.location_id,
                       reservations.c.quantity)
        ).mappings()
        return [dict(r) for r in rows]
