"""Demand history, forecasts and the planning runs that make them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from ...services import planning
from ..auth import Principal, require
from ..deps import DbDep, Reader
from ..idempotency import json_response
from ..problems import responses
from ..schemas import Code
from ..schemas.planning import (
    Demand,
    ForecastRun,
    ForecastRunIn,
    Forecasts,
    Proposal,
    ProposalList,
    ProposalRun,
    ProposeIn,
    SafetyStockIn,
    SafetyStockResult,
)

router = APIRouter(prefix="/v1", tags=["planning"])
Planner = Annotated[Principal, Depends(require("planning:write"))]
ProposalStatus = Literal["proposed", "accepted", "rejected", "superseded"]
ProposalKind = Literal["purchase_order", "transfer", "rebalance"]


@router.get("/forecasts/{sku}", response_model=Forecasts,
            responses=responses(401, 403, 404, 422))
def get_forecast(sku: Code, db: DbDep, _: Reader,
                 location: Annotated[Code | None, Query()] = None) -> Response:
    """The latest forecast of the item at each location (or at `location`): the mean and
    80/95 % intervals per day, the model the backtest chose, and its WAPE against seasonal
    naive."""
    return json_response(200, planning.forecast_view(db, sku, location))


@router.get("/demand/{sku}", response_model=Demand, responses=responses(401, 403, 404, 422))
def get_demand(sku: Code, db: DbDep, _: Reader, location: Annotated[Code, Query()],
               days: Annotated[int, Query(ge=1, le=730)] = 90) -> Response:
    """Daily demand of the item at `location` over the last `days` whole days: net of
    returns, by channel (walk-in, BOPIS, ship), with the days that ended out of stock marked
    as censored."""
    return json_response(200, planning.demand_view(db, sku, location, days))


@router.post("/planning/forecasts", response_model=ForecastRun,
             responses=responses(401, 403, 422))
def run_forecasts(body: ForecastRunIn, db: DbDep, _: Planner) -> Any:
    """Forecast every position that had demand in the last `days` days (synchronous; for a
    large network use `omnistock plan forecast`)."""
    return planning.run_forecasts(db, days=body.days, horizon=body.horizon)


@router.post("/planning/safety-stock", response_model=SafetyStockResult,
             responses=responses(401, 403, 422))
def apply_safety_stock(body: SafetyStockIn, db: DbDep, who: Planner) -> Any:
    """Set each forecast position's safety stock to what its class's service level needs over
    the lead time, through `safety_stock` movements whose reason says why."""
    return planning.apply_safety_stock(db, actor=who.prefix, **body.model_dump())


@router.post("/planning/proposals", response_model=ProposalRun,
             responses=responses(401, 403, 422))
def propose(body: ProposeIn, db: DbDep, who: Planner) -> Any:
    """Replenishment (DC -> store transfers, supplier purchase orders) and rebalancing
    (store -> store) proposals from each position's forecast, safety stock and inventory
    position; open proposals of an earlier run are superseded; `auto_accept` rules accept
    what they allow, recorded with the rule's name."""
    return planning.propose(db, body.model_dump(), actor=who.prefix)


@router.get("/proposals", response_model=ProposalList, responses=responses(401, 403, 422))
def list_proposals(db: DbDep, _: Reader,
                   status: Annotated[ProposalStatus | None, Query()] = None,
                   kind: Annotated[ProposalKind | None, Query()] = None,
                   limit: Annotated[int, Query(ge=1, le=500)] = 100) -> Response:
    return json_response(200, {"proposals": planning.list_proposals(db, status, kind, limit)})


@router.post("/proposals/{proposal_id}/{decision}", response_model=Proposal,
             responses=responses(401, 403, 404, 409, 422))
def decide_proposal(proposal_id: Annotated[str, Path(max_length=36)],
                    decision: Literal["accept", "reject"], db: DbDep, who: Planner) -> Any:
    """Accept or reject an open proposal (409 when it is no longer open)."""
    return planning.decide_proposal(db, proposal_id, decision == "accept", actor=who.prefix)
