"""Returns (a store key records them at its own location) and the return rules (admin)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from ...services import return_rules, returns
from ..auth import Principal, require
from ..deps import DbDep, Reader
from ..idempotency import Idempotent, idempotent_for, replayed
from ..problems import responses
from ..schemas import Code
from ..schemas.returns import Return, ReturnIn, ReturnList, ReturnPolicyIn, ReturnRules

router = APIRouter(prefix="/v1", tags=["returns"])

_returns = require("returns:write")
ReturnWriter = Annotated[Principal, Depends(_returns)]
ReturnsOnce = Annotated[Idempotent, Depends(idempotent_for(_returns))]
NetworkWriter = Annotated[Principal, Depends(require("network:write"))]
LocationQuery = Annotated[Code | None, Query(description="a location's rules")]
ChannelQuery = Annotated[Code | None, Query(description="a channel's rules")]


@router.post("/returns", status_code=201, response_model=Return,
             responses={**responses(400, 401, 403, 409, 422), **replayed(Return)})
def record_return(body: ReturnIn, db: DbDep, who: ReturnWriter, once: ReturnsOnce):
    """Record units a customer brought back (201) with the disposition the rules decide and
    the movements it made. Against an `order_id`: at most what the order sold, less earlier
    returns (409 naming `quantity`), at any store. The same `external_id` and payload again:
    200 with the first answer; with another payload: 409 `idempotency-conflict`."""
    who.at(body.location)
    request = returns.ReturnRequest(**body.model_dump())

    def work() -> tuple[int, Any]:
        done = returns.record_return(db, request, actor=who.prefix)
        return (201 if done.created else 200), done.view

    return once.respond(work)


@router.get("/returns", response_model=ReturnList, responses=responses(401, 403, 422))
def list_returns(db: DbDep, _: Reader, location: Annotated[Code | None, Query()] = None,
                 order_id: Annotated[Code | None, Query()] = None,
                 limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict:
    """Returns, newest first."""
    return returns.list_returns(db, location=location, order_id=order_id, limit=limit)


@router.get("/returns/{id}", response_model=Return, responses=responses(401, 403, 404, 422))
def get_return(id: Code, db: DbDep, _: Reader) -> dict:
    return returns.get_return(db, id)


@router.get("/return-rules", response_model=ReturnRules,
            responses=responses(401, 403, 404, 422))
def get_return_rules(db: DbDep, _: Reader, location: LocationQuery = None,
                     channel: ChannelQuery = None) -> dict:
    """The rules in force for a location, a channel, or (neither) the default, and where they
    come from: a location's own rules, else the order's channel's, else the default's, else
    the built-in ones."""
    return return_rules.get_rules(db, location=location, channel=channel)


@router.put("/return-rules", response_model=ReturnRules,
            responses=responses(400, 401, 403, 404, 422))
def put_return_rules(body: ReturnPolicyIn, db: DbDep, who: NetworkWriter,
                     location: LocationQuery = None, channel: ChannelQuery = None) -> dict:
    """Replace the rules of a location, a channel or the default (admin keys). Every condition
    needs a last rule without `when`; a problem names the offending field."""
    return return_rules.set_rules(db, body.model_dump(exclude_none=True), location=location,
                                  channel=channel, actor=who.prefix)


@router.delete("/return-rules", response_model=ReturnRules,
               responses=responses(401, 403, 404, 422))
def delete_return_rules(db: DbDep, _: NetworkWriter, location: LocationQuery = None,
                        channel: ChannelQuery = None) -> dict:
    """Drop a scope's own rules: it inherits again."""
    return return_rules.clear_rules(db, location=location, channel=channel)
