"""Building blocks for tests: a small retailer, and movement requests with unique ids."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from omnistock.domain.catalog import Item, Location
from omnistock.domain.movements import MovementRequest, MovementType
from omnistock.services import catalog
from omnistock.store.database import Database

T0 = datetime(2026, 11, 1, 9, tzinfo=UTC)


def ref(prefix: str = "x") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def seed(db: Database, skus=("SKU-1",), locations=("S1",)) -> None:
    for sku in skus:
        catalog.create_item(db, Item(sku=sku, name=f"Item {sku}"))
    for i, code in enumerate(locations):
        catalog.create_location(db, Location(code=code, kind="store", latitude=48.0 + i,
                                                longitude=2.0, can_ship=True, can_pickup=True))


def movement(type_: str = "receipt", quantity: int = 1, *, sku: str = "SKU-1",
             location: str = "S1", minutes: int = 0, source: str = "test",
             external_id: str | None = None, **kw) -> MovementRequest:
    return MovementRequest(type=MovementType(type_), sku=sku, location=location,
                           quantity=quantity, occurred_at=T0 + timedelta(minutes=minutes),
                           source=source, external_id=external_id or ref(type_), **kw)
