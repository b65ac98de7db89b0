"""Items, locations and channels."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from ...domain.catalog import Item, Location
from ...services import catalog
from ..auth import Principal, require
from ..deps import DbDep, Reader
from ..idempotency import Idempotent, idempotent_for, replayed
from ..problems import responses
from ..schemas import Code
from ..schemas import catalog as schemas

router = APIRouter(prefix="/v1", tags=["catalog"])

_items = require("items:write")
_network = require("network:write")
ItemWriter = Annotated[Principal, Depends(_items)]
ItemsOnce = Annotated[Idempotent, Depends(idempotent_for(_items))]
NetworkWriter = Annotated[Principal, Depends(_network)]
NetworkOnce = Annotated[Idempotent, Depends(idempotent_for(_network))]

WRITE = responses(400, 401, 403, 409, 422)


def created(model: Any, operation: str, key: str, field: str) -> dict[int | str, Any]:
    """201 with a link to the GET of what was made (for clients, and stateful testing)."""
    link = {"operationId": operation, "parameters": {key: f"$response.body#/{field}"}}
    return {**WRITE, **replayed(model), 201: {"links": {operation: link}}}

READ = responses(401, 403, 404, 422)


@router.post("/items", status_code=201, response_model=schemas.Item,
             responses=created(schemas.Item, "get_item", "sku", "sku"))
def create_item(body: schemas.ItemIn, db: DbDep, _: ItemWriter, once: ItemsOnce):
    """Create an item (201). `gtin` is checked (GS1 check digit) and kept as GTIN-14."""
    return once.respond(lambda: (201, catalog.create_item(db, Item(**body.model_dump()))))


@router.get("/items", response_model=schemas.ItemList, responses=responses(401, 403, 422))
def search_items(db: DbDep, _: Reader,
                 q: Annotated[str, Query(max_length=200, pattern=r"^[^\x00]*$")] = "",
                 limit: Annotated[int, Query(ge=1, le=100)] = 20) -> dict:
    """Items whose sku, GTIN or name contains `q` (all items, by sku, when `q` is empty)."""
    return {"items": catalog.search_items(db, q, limit)}


@router.get("/items/{sku}", response_model=schemas.Item, responses=READ)
def get_item(sku: Code, db: DbDep, _: Reader) -> dict:
    return catalog.get_item(db, sku)


@router.post("/locations", status_code=201, response_model=schemas.Location,
             responses=created(schemas.Location, "get_location", "code", "code"))
def create_location(body: schemas.LocationIn, db: DbDep, _: NetworkWriter,
                    once: NetworkOnce):
    """Create a location (201); admin keys only. `gln` is checked (GS1 check digit)."""
    location = Location(**body.model_dump(mode="json"))
    return once.respond(lambda: (201, catalog.create_location(db, location)))


@router.get("/locations", response_model=schemas.LocationList,
            responses=responses(401, 403))
def list_locations(db: DbDep, _: Reader) -> dict:
    return {"locations": catalog.list_locations(db)}


@router.get("/locations/{code}", response_model=schemas.Location, responses=READ)
def get_location(code: Code, db: DbDep, _: Reader) -> dict:
    return catalog.get_location(db, code)


@router.post("/channels", status_code=201, response_model=schemas.Channel,
             responses=created(schemas.Channel, "get_channel", "code", "code"))
def create_channel(body: schemas.ChannelIn, db: DbDep, _: NetworkWriter,
                   once: NetworkOnce):
    """Create a channel selling the stock of `locations` (201); admin keys only."""
    return once.respond(lambda: (201, catalog.create_channel(
        db, body.code, body.name, body.locations)))


@router.get("/channels/{code}", response_model=schemas.Channel, responses=READ)
def get_channel(code: Code, db: DbDep, _: Reader) -> dict:
    return catalog.get_channel(db, code)
