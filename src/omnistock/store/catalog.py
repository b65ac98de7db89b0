"""Items, locations and channels, and the id lookups every write needs."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select
from sqlalchemy.exc import IntegrityError

from ..domain.errors import AlreadyExists, NotFound, UnknownReference
from .tables import channel_locations, channels, items, locations


class IdCache:
    """sku -> id and code -> id. Ids never change once assigned, so this is safe to share."""

    def __init__(self) -> None:
        self._items: dict[str, int] = {}
        self._locations: dict[str, int] = {}
        self._lock = threading.Lock()

    def item(self, sku: str) -> int | None:
        return self._items.get(sku)

    def location(self, code: str) -> int | None:
        return self._locations.get(code)

    def remember(self, kind: str, key: str, id_: int) -> None:
        with self._lock:
            (self._items if kind == "item" else self._locations)[key] = id_


class CatalogRepository:
    def __init__(self, conn: Connection, ids: IdCache) -> None:
        self.conn = conn
        self.ids = ids

    def item_id(self, sku: str, field: str = "sku") -> int:
        cached = self.ids.item(sku)
        if cached is not None:
            return cached
        found = self.conn.execute(select(items.c.id).where(items.c.sku == sku)).scalar()
        if found is None:
            raise UnknownReference(f"unknown sku {sku!r}", field=field)
        self.ids.remember("item", sku, found)
        return int(found)

    def location_id(self, code: str, field: str = "location") -> int:
        cached = self.ids.location(code)
        if cached is not None:
            return cached
        found = self.conn.execute(select(locations.c.id).where(locations.c.code == code)).scalar()
        if found is None:
            raise UnknownReference(f"unknown location {code!r}", field=field)
        self.ids.remember("location", code, found)
        return int(found)

    def add_item(self, values: dict[str, Any]) -> None:
        self._insert(items, values, "item", values["sku"])

    def add_location(self, values: dict[str, Any]) -> None:
        self._insert(locations, values, "location", values["code"])

    def add_channel(self, values: dict[str, Any], location_codes: list[str]) -> None:
        location_ids = [self.location_id(c, "locations") for c in location_codes]
        channel_id = self._insert(channels, values, "channel", values["code"])
        if location_ids:
            self.conn.execute(
                insert(channel_locations),
                [{"channel_id": channel_id, "location_id": lid} for lid in location_ids],
            )

    def _insert(self, table: Any, values: dict[str, Any], what: str, key: str) -> int:
        # A savepoint keeps the outer transaction usable when the key already exists.
        try:
            with self.conn.begin_nested():
                pk = self.conn.execute(insert(table).values(**values)).inserted_primary_key
                assert pk is not None
                return int(pk[0])
        except IntegrityError:
            raise AlreadyExists(f"{what} {key!r} already exists (or one of its unique "
                                "identifiers is taken)", field="code" if what != "item" else "sku"
                                ) from None

    def names(self, keys: list[tuple[int, int]]) -> dict[tuple[int, int], tuple[str, str]]:
        """(item_id, location_id) -> (sku, location code)."""
        item_ids = sorted({k[0] for k in keys})
        location_ids = sorted({k[1] for k in keys})
        skus = dict(self.conn.execute(
            select(items.c.id, items.c.sku).where(items.c.id.in_(item_ids))).all())
        codes = dict(self.conn.execute(
            select(locations.c.id, locations.c.code).where(locations.c.id.in_(location_ids))
        ).all())
        return {k: (skus[k[0]], codes[k[1]]) for k in keys}

    def unit_costs(self, skus: set[str]) -> dict[str, float]:
        rows = self.conn.execute(select(items.c.sku, items.c.unit_cost).where(
            items.c.sku.in_(sorted(skus)), items.c.unit_cost.is_not(None))).all()
        return {sku: float(cost) for sku, cost in rows}

    def item(self, sku: str) -> dict[str, Any]:
        row = self.conn.execute(select(items).where(items.c.sku == sku)).mappings().first()
        if row is None:
            raise NotFound(f"item {sku!r} not found", field="sku")
        return dict(row)

    def location(self, code: str) -> dict[str, Any]:
        row = self.conn.execute(
            select(locations).where(locations.c.code == code)).mappings().first()
        if row is None:
            raise NotFound(f"location {code!r} not found", field="code")
        return dict(row)

    def list_locations(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute(
            select(locations).order_by(locations.c.code)).mappings()]

    def channel(self, code: str) -> dict[str, Any]:
        row = self.conn.execute(
            select(channels).where(channels.c.code == code)).mappings().first()
        if row is None:
            raise NotFound(f"channel {code!r} not found", field="channel")
        codes = self.conn.execute(
            select(locations.c.code)
            .join(channel_locations, channel_locations.c.location_id == locations.c.id)
            .where(channel_locations.c.channel_id == row["id"])
            .order_by(locations.c.code)
        ).scalars().all()
        return {**dict(row), "locations": list(codes)}

    def set_channel_policy(self, code: str, policy: dict[str, Any]) -> None:
        result = self.conn.execute(
            channels.update().where(channels.c.code == code).values(policy=policy))
        if result.rowcount == 0:
            raise NotFound(f"channel {code!r} not found", field="channel")

    def search_items(self, query: str, limit: int = 20) -> list[dict[str, Any]]:
        """Items whose sku, GTIN or name contains `query` as typed: `%` and `_` are letters."""
        folded, exact = _contains(query.lower()), _contains(query)
        rows = self.conn.execute(
            select(items).where(or_(
                func.lower(items.c.sku).like(folded, escape=_ESCAPE),
                items.c.gtin.like(exact, escape=_ESCAPE),
                func.lower(items.c.name).like(folded, escape=_ESCAPE)))
            .order_by(items.c.sku).limit(limit)
        ).mappings()
        return [dict(r) for r in rows]


_ESCAPE = "\\"


def _contains(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, its wildcards and the escape taken literally."""
    for char in (_ESCAPE, "%", "_"):
        text = text.replace(char, _ESCAPE + char)
    return f"%{text}%"
