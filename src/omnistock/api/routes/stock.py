"""Availability and reservations."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from ...domain.errors import InsufficientStock, NotFound, UnknownReference
from ...domain.history import AsOf
from ...metrics import RESERVATIONS_REFUSED
from ...services import reservations
from ...services.availability import availability
from ...services.stock_reads import availability_as_of
from ..auth import Principal, require
from ..deps import DbDep, Reader
from ..idempotency import Idempotent, idempotent_for, json_response, replayed
from ..problems import responses
from ..schemas import Code
from ..schemas.reservations import Reservation, ReservationIn
from ..schemas.stock import Availability
from .reads import AsOfQuery, AsRecordedQuery

router = APIRouter(prefix="/v1", tags=["stock"])

_reservations = require("reservations:write")
Reserver = Annotated[Principal, Depends(_reservations)]
ReservationsOnce = Annotated[Idempotent, Depends(idempotent_for(_reservations))]


@router.get("/availability/{sku}", response_model=Availability,
            responses=responses(401, 403, 404, 422))
def get_availability(
        sku: Code, db: DbDep, _: Reader,
        channel: Annotated[Code | None, Query()] = None,
        horizon_days: Annotated[int | None, Query(ge=0, le=366)] = None,
        as_of: AsOfQuery = None, as_recorded: AsRecordedQuery = None) -> Response:
    """Buckets and `available` per location; with `channel`, only its locations (ATP); with
    `horizon_days`, also what is expected within it (`future_available`); with `as_of` and/or
    `as_recorded`, as it was, or as omnistock believed it, at a past time."""
    try:
        if as_of is not None or as_recorded is not None:
            return json_response(200, availability_as_of(db, sku, channel,
                                                         AsOf(as_of, as_recorded),
                                                         horizon_days))
        return json_response(200, availability(db, sku, channel, horizon_days))
    except UnknownReference as e:
        raise NotFound(e.detail, field="sku") from None


_LINKS = {op: {"operationId": op, "parameters": {"id": "$response.body#/id"}}
          for op in ("get_reservation", "commit_reservation", "release_reservation")}


@router.post("/reservations", status_code=201, response_model=Reservation,
             responses={**responses(400, 401, 403, 409, 422), **replayed(Reservation),
                        201: {"links": _LINKS}})
def reserve(body: ReservationIn, db: DbDep, who: Reserver,
            once: ReservationsOnce):
    """Hold `quantity` units for `ttl_seconds` (201), or 409 `insufficient-stock` with the
    `lines` that do not fit. Send an Idempotency-Key so that a retry cannot hold twice."""
    who.at(body.location)

    def work() -> tuple[int, Any]:
        try:
            return 201, reservations.reserve(db, **body.model_dump(), actor=who.prefix)
        except InsufficientStock:
            RESERVATIONS_REFUSED.inc()
            raise

    return once.respond(work)


ReservationId = Annotated[UUID, "the reservation's id"]


@router.get("/reservations/{id}", response_model=Reservation,
            responses=responses(401, 403, 404, 422))
def get_reservation(id: ReservationId, db: DbDep, _: Reader) -> dict:
    return reservations.get(db, str(id))


@router.post("/reservations/{id}/release", response_model=Reservation,
             responses=responses(401, 403, 404, 409, 422))
def release_reservation(id: ReservationId, db: DbDep, who: Reserver, once: ReservationsOnce):
    """Give the units back (200); 409 `invalid-state` when the hold is no longer active."""
    return once.respond(lambda: (200, reservations.release(db, str(id), actor=who.prefix)))


@router.post("/reservations/{id}/commit", response_model=Reservation,
             responses=responses(401, 403, 404, 409, 422))
def commit_reservation(id: ReservationId, db: DbDep, who: Reserver, once: ReservationsOnce):
    """Turn the hold into committed stock (200); 409 when it is no longer active."""
    return once.respond(lambda: (200, reservations.commit(db, str(id), actor=who.prefix)))
