"""Changes to items, locations and channels after they are created (PATCH), and addresses.

Codes and skus never change: ids are cached against them (store/catalog.py `IdCache`) and the
ledger names them. Each change is one UPDATE of the row, and a channel's locations are
replaced as a set; a unique identifier taken by another row is `AlreadyExists`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from ..domain.errors import AlreadyExists, NotFound
from .integration_tables import location_addresses
from .tables import channel_locations, channels, items, locations

ADDRESS_FIELDS = ("line1", "line2", "city", "region", "postal_code", "country")


class EditRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def item_for_update(self, sku: str) -> dict[str, Any]:
        return self._row(items, items.c.sku == sku, f"item {sku!r} not found", "sku")

    def location_for_update(self, code: str) -> dict[str, Any]:
        return self._row(locations, locations.c.code == code, f"location {code!r} not found",
                         "code")

    def channel_for_update(self, code: str) -> dict[str, Any]:
        return self._row(channels, channels.c.code == code, f"channel {code!r} not found",
                         "code")

    def _row(self, table: Any, where: Any, missing: str, field: str) -> dict[str, Any]:
        q = select(table).where(where)
        if self.conn.dialect.name == "postgresql":
            q = q.with_for_update()
        row = self.conn.execute(q).mappings().first()
        if row is None:
            raise NotFound(missing, field=field)
        return dict(row)

    def update(self, table_name: str, row_id: int, values: dict[str, Any]) -> None:
        table = {"items": items, "locations": locations, "channels": channels}[table_name]
        if not values:
            return
        try:
            with self.conn.begin_nested():
                self.conn.execute(update(table).where(table.c.id == row_id).values(**values))
        except IntegrityError:
            taken = ", ".join(sorted(values))
            raise AlreadyExists(f"another {table_name[:-1]} already has this {taken}",
                                field=sorted(values)[0]) from None

    def set_channel_locations(self, channel_id: int, location_ids: list[int]) -> None:
        self.conn.execute(delete(channel_locations)
                          .where(channel_locations.c.channel_id == channel_id))
        if location_ids:
            self.conn.execute(insert(channel_locations),
                              [{"channel_id": channel_id, "location_id": lid}
                               for lid in sorted(set(location_ids))])

    def address(self, location_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(select(location_addresses).where(
            location_addresses.c.location_id == location_id)).mappings().first()
        return _present(row) if row else None

    def addresses(self, location_ids: list[int]) -> dict[int, dict[str, Any]]:
        rows = self.conn.execute(select(location_addresses).where(
            location_addresses.c.location_id.in_(sorted(set(location_ids))))).mappings()
        return {r["location_id"]: _present(r) for r in rows}

    def set_address(self, location_id: int, address: dict[str, Any] | None,
                    now: datetime) -> None:
        """Replace the address (None: remove it)."""
        if address is None:
            self.conn.execute(delete(location_addresses)
                              .where(location_addresses.c.location_id == location_id))
            return
        dialect_insert = (postgresql.insert if self.conn.dialect.name == "postgresql"
                          else sqlite.insert)
        values = {f: address.get(f) for f in ADDRESS_FIELDS}
        stmt = dialect_insert(location_addresses).values(location_id=location_id,
                                                          updated_at=now, **values)
        self.conn.execute(stmt.on_conflict_do_update(
            index_elements=["location_id"], set_={**values, "updated_at": now}))


def _present(row: Any) -> dict[str, Any]:
    return {f: row[f] for f in ADDRESS_FIELDS if row[f] is not None}
