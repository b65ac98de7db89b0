"""Transfers between locations and their actions."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Query

from ...services import transfers
from ...services.transfers import STATUS_FILTERS
from ..auth import Principal, require
from ..deps import DbDep, Reader
from ..idempotency import Idempotent, idempotent_for, replayed
from ..problems import responses
from ..schemas import Code
from ..schemas.transfers import (
    CloseIn,
    NoBody,
    ReceiveIn,
    ShipIn,
    StatusFilter,
    Transfer,
    TransferIn,
    TransferList,
)

router = APIRouter(prefix="/v1", tags=["transfers"])

_write = require("transfers:write")
_move = require("transfers:move")
Writer = Annotated[Principal, Depends(_write)]
WriteOnce = Annotated[Idempotent, Depends(idempotent_for(_write))]
Mover = Annotated[Principal, Depends(_move)]
MoveOnce = Annotated[Idempotent, Depends(idempotent_for(_move))]
TransferId = Annotated[UUID, "the transfer's id"]

WRITE = responses(400, 401, 403, 404, 409, 422)
_LINKS = {op: {"operationId": op, "parameters": {"id": "$response.body#/id"}}
          for op in ("get_transfer", "ship_transfer", "receive_transfer", "close_transfer",
                     "cancel_transfer")}


@router.post("/transfers", status_code=201, response_model=Transfer,
             responses={**responses(400, 401, 403, 409, 422), **replayed(Transfer),
                        201: {"links": _LINKS}})
def create_transfer(body: TransferIn, db: DbDep, who: Writer, once: WriteOnce):
    """Request a transfer (201, status `requested`); nothing moves until it ships. Send an
    Idempotency-Key so that a retry cannot request it twice."""
    data = body.model_dump()
    return once.respond(lambda: (201, transfers.create_transfer(db, **data, actor=who.prefix)))


@router.get("/transfers", response_model=TransferList, responses=responses(401, 403, 404, 422))
def list_transfers(db: DbDep, _: Reader,
                   status: Annotated[StatusFilter | None, Query(
                       description=f"one of {', '.join(STATUS_FILTERS)}")] = None,
                   location: Annotated[Code | None, Query(
                       description="either end of the transfer")] = None,
                   sku: Annotated[Code | None, Query()] = None,
                   order_id: Annotated[Code | None, Query()] = None,
                   limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict:
    """Transfers, newest first. `status=in_transit&location=X&sku=Y` is what is on its way to
    or from a position."""
    return transfers.list_transfers(db, status=status, location=location, sku=sku,
                                    order_id=order_id, limit=limit)


@router.get("/transfers/{id}", response_model=Transfer, responses=responses(401, 403, 404, 422))
def get_transfer(id: TransferId, db: DbDep, _: Reader) -> dict:
    return transfers.get_transfer(db, str(id))


@router.post("/transfers/{id}/ship", response_model=Transfer, responses=WRITE)
def ship_transfer(id: TransferId, db: DbDep, who: Mover, once: MoveOnce,
                  body: Annotated[ShipIn | None, Body()] = None):
    """Move the lines out of the source (`transfer_out`) and into the destination's `incoming`
    for this transfer (`expected`, due at its expected_at); 409 `insufficient-stock` naming
    the lines the source does not have available. A store key ships from its own location."""
    lines = body.model_dump()["lines"] if body is not None and body.lines else None
    return once.respond(lambda: (200, transfers.ship(db, str(id), lines, actor=who.prefix,
                                                     authorize=_at(who, "from_location"))))


@router.post("/transfers/{id}/receive", response_model=Transfer, responses=WRITE)
def receive_transfer(id: TransferId, body: ReceiveIn, db: DbDep, who: Mover, once: MoveOnce):
    """Receive units (partial, repeatable): up to what is in transit they move from incoming to
    on_hand; beyond it 409, or with `accept_over` a discrepancy on the transfer (the extra
    units arrive on hand, closing nothing). The same external_id again is a replay. A store
    key receives at its own location."""
    data: dict[str, Any] = body.model_dump()
    return once.respond(lambda: (200, transfers.receive(
        db, str(id), data["lines"], external_id=data["external_id"],
        accept_over=data["accept_over"], actor=who.prefix,
        authorize=_at(who, "to_location"))))


@router.post("/transfers/{id}/close", response_model=Transfer, responses=WRITE)
def close_transfer(id: TransferId, body: CloseIn, db: DbDep, who: Writer, once: WriteOnce):
    """Record what never arrived as lost in transit (it leaves the destination's incoming),
    with the reason; status `closed_short`."""
    return once.respond(lambda: (200, transfers.close(db, str(id), body.reason,
                                                      actor=who.prefix)))


@router.post("/transfers/{id}/cancel", response_model=Transfer, responses=WRITE)
def cancel_transfer(id: TransferId, db: DbDep, who: Writer, once: WriteOnce,
                    _: Annotated[NoBody | None, Body()] = None):
    """Cancel a transfer that has not shipped."""
    return once.respond(lambda: (200, transfers.cancel(db, str(id), actor=who.prefix)))


def _at(who: Principal, field: str) -> Any:
    return lambda location: who.at(location, field)
