"""The reads an integrator needs: channels, the ledger, a location's stock, and availability of
many SKUs at once, now or as of a past time. Every list is cursor-paged (`next`)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from ...domain.history import AsOf
from ...domain.movements import MovementType
from ...services import reads
from ...services.stock_reads import MAX_SKUS, availability_many
from ..deps import DbDep, Reader
from ..idempotency import json_response
from ..problems import responses
from ..schemas import Code, Source, Timestamp
from ..schemas import reads as schemas
from ..schemas.reads import Cursor

router = APIRouter(prefix="/v1", tags=["reads"])

MovementTypeName = Literal[tuple(t.value for t in MovementType)]  # type: ignore[valid-type]
AsOfQuery = Annotated[Timestamp | None, Query(
    description="what was there at this time: the ledger replayed up to it, counts as of "
                "their time (docs/integration.md)")]
AsRecordedQuery = Annotated[Timestamp | None, Query(
    description="what omnistock believed at this time: only movements recorded by then")]
HorizonQuery = Annotated[int | None, Query(ge=0, le=366, description="also what is expected "
                                           "within this many days (live reads only)")]


@router.get("/channels", response_model=schemas.ChannelPage,
            responses=responses(401, 403, 422))
def list_channels(db: DbDep, _: Reader, cursor: Cursor = None,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50) -> dict:
    """Channels by code, each with the locations whose stock it sells."""
    return reads.list_channels(db, cursor, limit)


@router.get("/movements", response_model=schemas.MovementPage,
            responses=responses(401, 403, 422))
def list_movements(
        db: DbDep, _: Reader, cursor: Cursor = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        sku: Annotated[Code | None, Query()] = None,
        location: Annotated[Code | None, Query()] = None,
        source: Annotated[Source | None, Query()] = None,
        type_: Annotated[MovementTypeName | None,  # type: ignore[valid-type]
                         Query(alias="type")] = None,
        occurred_from: Annotated[Timestamp | None, Query(description="occurred_at >= this")]
        = None,
        occurred_to: Annotated[Timestamp | None, Query(description="occurred_at < this")]
        = None,
        recorded_from: Annotated[Timestamp | None, Query(description="recorded_at >= this")]
        = None,
        recorded_to: Annotated[Timestamp | None, Query(description="recorded_at < this")]
        = None) -> Response:
    """The ledger in the order it was written, filtered. A page never repeats or skips a
    movement, even while others are written; `resume` asks later for what came since."""
    query = reads.MovementQuery(sku, location, source, type_, occurred_from, occurred_to,
                                recorded_from, recorded_to)
    return json_response(200, reads.list_movements(db, query, cursor, limit))


@router.get("/locations/{code}/stock", response_model=schemas.LocationStock,
            responses=responses(401, 403, 404, 422))
def location_stock(code: Code, db: DbDep, _: Reader, cursor: Cursor = None,
                   limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> Response:
    """Every item with a position at this location, with its buckets and `available`."""
    return json_response(200, reads.location_stock(db, code, cursor, limit))


@router.get("/availability", response_model=schemas.AvailabilityMany,
            responses=responses(401, 403, 404, 422))
def availability_of_many(
        db: DbDep, _: Reader,
        sku: Annotated[list[Code], Query(min_length=1, max_length=MAX_SKUS,
                                         description="repeat for each sku: ?sku=A&sku=B")],
        channel: Annotated[Code | None, Query()] = None,
        as_of: AsOfQuery = None, as_recorded: AsRecordedQuery = None,
        horizon_days: HorizonQuery = None) -> Response:
    """Availability of up to 100 SKUs from one consistent read, in the order asked; 404
    naming the skus that do not exist."""
    return json_response(200, availability_many(db, sku, channel, horizon_days=horizon_days,
                                                as_of=AsOf(as_of, as_recorded)))
