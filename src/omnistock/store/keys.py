"""API keys as stored: the prefix, the hash of the whole key, its role and location."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, insert, select, update
from sqlalchemy.exc import IntegrityError

from .tables import api_keys, locations


def _with_location() -> Select[Any]:
    return (select(api_keys, locations.c.code.label("location"))
            .outerjoin(locations, locations.c.id == api_keys.c.location_id))


class KeyRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, *, prefix: str, key_hash: str, name: str, role: str,
            location_id: int | None, now: datetime) -> bool:
        """False when the prefix is taken; the rest of the transaction is kept either way."""
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(api_keys).values(
                    prefix=prefix, key_hash=key_hash, name=name, role=role,
                    location_id=location_id, created_at=now))
        except IntegrityError:
            return False
        return True

    def all(self) -> list[dict[str, Any]]:
        rows = self.conn.execute(_with_location().order_by(api_keys.c.created_at,
                                                           api_keys.c.id)).mappings()
        return [dict(r) for r in rows]

    def get(self, prefix: str) -> dict[str, Any] | None:
        row = self.conn.execute(_with_location().where(api_keys.c.prefix == prefix)
                                ).mappings().first()
        return dict(row) if row is not None else None

    def revoke(self, prefix: str, now: datetime) -> None:
        """A revoked key keeps its first revocation time."""
        self.conn.execute(update(api_keys)
                          .where(api_keys.c.prefix == prefix, api_keys.c.revoked_at.is_(None))
                          .values(revoked_at=now))
