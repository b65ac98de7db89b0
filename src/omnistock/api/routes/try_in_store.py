"""Reserve online, try in store: holds for a named customer, and the store's actions on them."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Query

from ...domain.errors import InsufficientStock
from ...metrics import RESERVATIONS_REFUSED
from ...services import try_in_store
from ..auth import Principal, require
from ..deps import DbDep, Reader
from ..idempotency import Idempotent, idempotent_for, replayed
from ..problems import responses
from ..schemas import Code
from ..schemas.orders import NoBody
from ..schemas.try_in_store import TryInStore, TryInStoreIn, TryInStoreList

router = APIRouter(prefix="/v1", tags=["try in store"])

_reservations = require("reservations:write")
_fulfillment = require("fulfillment:write")
Reserver = Annotated[Principal, Depends(_reservations)]
ReservationsOnce = Annotated[Idempotent, Depends(idempotent_for(_reservations))]
Associate = Annotated[Principal, Depends(_fulfillment)]
AssociateOnce = Annotated[Idempotent, Depends(idempotent_for(_fulfillment))]
HoldId = Annotated[UUID, "the hold's id"]
WRITE = responses(400, 401, 403, 404, 409, 422)


@router.post("/try-in-store", status_code=201, response_model=TryInStore,
             responses={**responses(400, 401, 403, 409, 422), **replayed(TryInStore)})
def hold_for_customer(body: TryInStoreIn, db: DbDep, who: Reserver, once: ReservationsOnce):
    """Hold units at a store for a named customer to try (no payment) until `collect_by`
    (201), or 409 `insufficient-stock`. Send an Idempotency-Key so a retry cannot hold twice."""
    who.at(body.location)
    data = body.model_dump()
    data["customer"] = body.customer.model_dump(exclude_none=True)

    def work() -> tuple[int, Any]:
        try:
            return 201, try_in_store.hold(db, **data, actor=who.prefix)
        except InsufficientStock:
            RESERVATIONS_REFUSED.inc()
            raise

    return once.respond(work)


@router.get("/try-in-store", response_model=TryInStoreList, responses=responses(401, 403, 422))
def list_holds(db: DbDep, _: Reader, location: Annotated[Code | None, Query()] = None,
               status: Annotated[Literal["active", "all"], Query(
                   description="active: still to collect (default); all: every outcome")]
               = "active",
               limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict:
    """Try-in-store holds, soonest collect-by first: a store's list to prepare."""
    return try_in_store.list_holds(db, location=location, active_only=status == "active",
                                   limit=limit)


@router.get("/try-in-store/{id}", response_model=TryInStore,
            responses=responses(401, 403, 404, 422))
def get_hold(id: HoldId, db: DbDep, _: Reader) -> dict:
    return try_in_store.get_hold(db, str(id))


@router.post("/try-in-store/{id}/convert", response_model=TryInStore, responses=WRITE)
def convert_hold(id: HoldId, db: DbDep, who: Associate, once: AssociateOnce,
                 _: Annotated[NoBody | None, Body()] = None):
    """The customer buys: the hold is committed and its units leave the store (200); 409 when
    it is no longer active. A store key acts at its own store."""
    return once.respond(lambda: (200, try_in_store.convert(db, str(id), actor=who.prefix,
                                                           authorize=who.at)))


@router.post("/try-in-store/{id}/cancel", response_model=TryInStore, responses=WRITE)
def cancel_hold(id: HoldId, db: DbDep, who: Associate, once: AssociateOnce,
                _: Annotated[NoBody | None, Body()] = None):
    """The customer declines: the units are released (200); 409 when no longer active."""
    return once.respond(lambda: (200, try_in_store.cancel(db, str(id), actor=who.prefix,
                                                          authorize=who.at)))
