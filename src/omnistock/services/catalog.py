"""Creating and reading items, locations and channels."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from ..domain.catalog import Item, Location, validate_channel_code
from ..store.database import Database
from .context import iso


def create_item(db: Database, item: Item) -> dict[str, Any]:
    item = item.validated()
    with db.uow() as uow:
        uow.catalog.add_item({**asdict(item), "created_at": db.clock()})
        uow.commit()
    return get_item(db, item.sku)


def get_item(db: Database, sku: str) -> dict[str, Any]:
    with db.uow(readonly=True) as uow:
        row = uow.catalog.item(sku)
    return {"sku": row["sku"], "name": row["name"], "gtin": row["gtin"],
            "unit_cost": float(row["unit_cost"]) if row["unit_cost"] is not None else None,
            "created_at": iso(row["created_at"])}


def search_items(db: Database, query: str, limit: int = 20) -> list[dict[str, Any]]:
    with db.uow(readonly=True) as uow:
        rows = uow.catalog.search_items(query, limit)
    return [{"sku": r["sku"], "name": r["name"], "gtin": r["gtin"]} for r in rows]


def create_location(db: Database, location: Location) -> dict[str, Any]:
    location = location.validated()
    with db.uow() as uow:
        uow.catalog.add_location({**asdict(location), "created_at": db.clock()})
        uow.commit()
    return get_location(db, location.code)


def location_view(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("code", "name", "kind", "gln", "latitude", "longitude", "can_ship", "can_pickup",
            "daily_capacity")
    return {k: row[k] for k in keys}


def get_location(db: Database, code: str) -> dict[str, Any]:
    with db.uow(readonly=True) as uow:
        row = uow.catalog.location(code)
        return {**location_view(row), "address": uow.edits.address(row["id"])}


def list_locations(db: Database) -> list[dict[str, Any]]:
    with db.uow(readonly=True) as uow:
        rows = uow.catalog.list_locations()
        addresses = uow.edits.addresses([r["id"] for r in rows])
    return [{**location_view(r), "address": addresses.get(r["id"])} for r in rows]


def create_channel(db: Database, code: str, name: str, location_codes: list[str],
                   policy: dict[str, Any] | None = None) -> dict[str, Any]:
    validate_channel_code(code)
    with db.uow() as uow:
        uow.catalog.add_channel({"code": code, "name": name, "policy": policy or {},
                                 "created_at": db.clock()}, sorted(set(location_codes)))
        uow.commit()
    return get_channel(db, code)


def get_channel(db: Database, code: str) -> dict[str, Any]:
    with db.uow(readonly=True) as uow:
        row = uow.catalog.channel(code)
    return {"code": row["code"], "name": row["name"], "locations": row["locations"]}
