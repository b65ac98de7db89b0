"""Returns, the reads their dispositions need, and the return rules per scope.

A return locks its order row first (orders.get(lock=True)), so two returns of the same order
line are serialised and cannot together return more than was sold; then positions, through
the ledger, in its lock order."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, exists, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from .return_tables import return_policies, returns
from .tables import channel_locations, items, locations, movements, positions, reservations

_RETURN_COLUMNS = (returns, items.c.sku, locations.c.code.label("location"))


class ReturnRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def insert(self, row: dict[str, Any]) -> bool:
        """False (nothing written) when its external_id is taken; on PostgreSQL a concurrent
        insert of the same external_id waits for the other transaction to end."""
        dialect = postgresql if self.conn.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(returns).values(**row).on_conflict_do_nothing()
        return self.conn.execute(stmt.returning(returns.c.id)).first() is not None

    def get(self, return_id: str) -> dict[str, Any] | None:
        return self._one(returns.c.id == return_id)

    def by_external_id(self, external_id: str) -> dict[str, Any] | None:
        return self._one(returns.c.external_id == external_id)

    def _one(self, where: Any) -> dict[str, Any] | None:
        row = self.conn.execute(self._select().where(where)).mappings().first()
        return dict(row) if row else None

    def _select(self) -> Any:
        return (select(*_RETURN_COLUMNS).join(items, items.c.id == returns.c.item_id)
                .join(locations, locations.c.id == returns.c.location_id))

    def search(self, *, location_id: int | None, order_id: str | None,
               limit: int) -> list[dict[str, Any]]:
        stmt = self._select()
        if location_id is not None:
            stmt = stmt.where(returns.c.location_id == location_id)
        if order_id is not None:
            stmt = stmt.where(returns.c.order_id == order_id)
        stmt = stmt.order_by(returns.c.recorded_at.desc(), returns.c.id.desc()).limit(limit)
        return [dict(r) for r in self.conn.execute(stmt).mappings()]

    def returned(self, order_id: str, item_id: int) -> int:
        """Units of the item already returned against the order."""
        return int(self.conn.execute(
            select(func.coalesce(func.sum(returns.c.quantity), 0))
            .where(returns.c.order_id == order_id, returns.c.item_id == item_id)).scalar_one())

    def movements(self, return_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """The ledger rows of each return (source "return", reference "return:<id>")."""
        out: dict[str, list[dict[str, Any]]] = {r: [] for r in return_ids}
        if not return_ids:
            return out
        rows = self.conn.execute(
            select(movements, items.c.sku, locations.c.code.label("location"))
            .join(items, items.c.id == movements.c.item_id)
            .join(locations, locations.c.id == movements.c.location_id)
            .where(movements.c.source == "return",
                   movements.c.reference.in_([f"return:{r}" for r in return_ids]))
            .order_by(movements.c.id)).mappings()
        for r in rows:
            out[r["reference"].removeprefix("return:")].append(dict(r))
        return out

    def shelves(self, item_id: int, now: datetime) -> list[dict[str, Any]]:
        """Every location with its position of the item (None where it has none), whether it
        belongs to a channel, and the units of its lapsed holds of the item."""
        lapsed = (select(func.coalesce(func.sum(reservations.c.quantity), 0))
                  .where(reservations.c.item_id == item_id,
                         reservations.c.location_id == locations.c.id,
                         reservations.c.status == "active", reservations.c.expires_at <= now)
                  .scalar_subquery())
        in_channel = exists().where(channel_locations.c.location_id == locations.c.id)
        stmt = (select(locations.c.code, locations.c.kind, locations.c.latitude,
                       locations.c.longitude, positions.c.item_id.label("stocked"),
                       *[positions.c[b] for b in _SHELF_BUCKETS],
                       in_channel.label("in_channel"), lapsed.label("lapsed"))
                .outerjoin(positions, and_(positions.c.location_id == locations.c.id,
                                           positions.c.item_id == item_id))
                .order_by(locations.c.code))
        return [dict(r) for r in self.conn.execute(stmt).mappings()]

    # -- rules ---------------------------------------------------------------------------------
    def policies(self, scopes: Sequence[str]) -> dict[str, dict[str, Any]]:
        rows = self.conn.execute(select(return_policies)
                                 .where(return_policies.c.scope.in_(scopes))).mappings()
        return {r["scope"]: dict(r) for r in rows}

    def set_policy(self, scope: str, policy: dict[str, Any], now: datetime,
                   actor: str | None) -> None:
        values = {"policy": policy, "updated_at": now, "actor": actor}
        done = self.conn.execute(update(return_policies)
                                 .where(return_policies.c.scope == scope).values(**values))
        if done.rowcount == 0:
            self.conn.execute(insert(return_policies).values(scope=scope, **values))

    def clear_policy(self, scope: str) -> bool:
        done = self.conn.execute(delete(return_policies).where(return_policies.c.scope == scope))
        return bool(done.rowcount)


_SHELF_BUCKETS = ("on_hand", "committed", "reserved", "damaged", "quality_control",
                  "safety_stock")
