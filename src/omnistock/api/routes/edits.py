"""PATCH of items, locations and channels (JSON Merge Patch: a field left out is unchanged,
null clears an optional one); Idempotency-Key is taken as on the POST routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from ...services import edits
from ..auth import Principal, require
from ..deps import DbDep
from ..idempotency import Idempotent, idempotent_for
from ..problems import responses
from ..schemas import Code
from ..schemas import catalog as views
from ..schemas.edits import ChannelPatch, ItemPatch, LocationPatch, patch_of

router = APIRouter(prefix="/v1", tags=["catalog"])

_items = require("items:write")
_network = require("network:write")
ItemWriter = Annotated[Principal, Depends(_items)]
ItemsOnce = Annotated[Idempotent, Depends(idempotent_for(_items))]
NetworkWriter = Annotated[Principal, Depends(_network)]
NetworkOnce = Annotated[Idempotent, Depends(idempotent_for(_network))]

PATCHED = responses(400, 401, 403, 404, 409, 422)


@router.patch("/items/{sku}", response_model=views.Item, responses=PATCHED)
def patch_item(sku: Code, body: ItemPatch, db: DbDep, _: ItemWriter, once: ItemsOnce):
    """Change an item's name, GTIN (checked, kept as GTIN-14) or unit cost; 409 when the
    GTIN belongs to another item."""
    return once.respond(lambda: (200, edits.patch_item(db, sku, patch_of(body))))


@router.patch("/locations/{code}", response_model=views.Location, responses=PATCHED)
def patch_location(code: Code, body: LocationPatch, db: DbDep, _: NetworkWriter,
                   once: NetworkOnce):
    """Change a location's name, kind, GLN, coordinates, flags (`can_ship`, `can_pickup`),
    `daily_capacity` or address (admin keys)."""
    return once.respond(lambda: (200, edits.patch_location(db, code, patch_of(body))))


@router.patch("/channels/{code}", response_model=views.Channel, responses=PATCHED)
def patch_channel(code: Code, body: ChannelPatch, db: DbDep, _: NetworkWriter,
                  once: NetworkOnce):
    """Change a channel's name, the locations it sells (replaced as a set) or its sourcing
    policy (merged field by field) (admin keys)."""
    return once.respond(lambda: (200, edits.patch_channel(db, code, patch_of(body))))
