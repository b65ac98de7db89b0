"""Forecasts, demand history and planning runs."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field, StrictBool, StrictFloat, StrictInt

from ...domain.movements import MAX_QUANTITY
from . import Code, Strict, example, integral


class ForecastDay(BaseModel):
    day: str = Field(json_schema_extra={"format": "date"})
    mean: float
    lo80: float
    hi80: float
    lo95: float
    hi95: float


class Backtest(BaseModel):
    wape: float | None
    seasonal_naive_wape: float | None
    mase: float | None


class LocationForecast(BaseModel):
    location: str
    run_id: str
    created_at: str = Field(json_schema_extra={"format": "date-time"})
    segment: str = Field(json_schema_extra={"enum": ["smooth", "intermittent"]})
    model: str
    start: str = Field(json_schema_extra={"format": "date"})
    days: list[ForecastDay]
    error_sd: float
    backtest: Backtest


class Forecasts(BaseModel):
    sku: str
    forecasts: list[LocationForecast]


class DemandHistory(BaseModel):
    start: str = Field(json_schema_extra={"format": "date"})
    days: int
    net: list[int]
    returns: list[int]
    censored: list[bool]
    by_channel: dict[str, list[int]]


class Demand(BaseModel):
    sku: str
    location: str
    history: DemandHistory | None


Days = Annotated[StrictInt, Field(ge=1, le=730), BeforeValidator(integral)]
Horizon = Annotated[StrictInt, Field(ge=1, le=120), BeforeValidator(integral)]
Level = Annotated[StrictFloat, Field(gt=0, lt=1, allow_inf_nan=False)]
LeadTime = Annotated[StrictFloat, Field(ge=0, le=365, allow_inf_nan=False)]


class ForecastRunIn(Strict):
    model_config = example(days=120, horizon=28)

    days: Days = 120
    horizon: Horizon = 28


class ForecastRun(BaseModel):
    run_id: str
    at: str = Field(json_schema_extra={"format": "date-time"})
    series: int
    history_days: int
    horizon_days: int
    models: dict[str, int]
    accuracy: dict[str, dict[str, float | int | None]]


class SafetyStockIn(Strict):
    model_config = example(lead_time_days=3.0, service_levels={"A": 0.98, "B": 0.95,
                                                               "C": 0.9}, dry_run=True)

    lead_time_days: LeadTime = 3.0
    lead_times: dict[str, LeadTime] = Field(default_factory=dict, max_length=10_000,
                                            description="lead time in days by location code")
    service_levels: dict[str, Level] = Field(
        default_factory=lambda: {"A": 0.98, "B": 0.95, "C": 0.9}, min_length=1, max_length=26)
    classes: dict[str, str] = Field(default_factory=dict, max_length=1_000_000,
                                    description="item class (A, B, C ...) by sku")
    default_class: str = Field("B", min_length=1, max_length=8)
    dry_run: StrictBool = False


class SafetyStockChange(BaseModel):
    sku: str
    location: str
    class_: str = Field(alias="class")
    from_: int = Field(alias="from")
    to: int
    reason: str


class SafetyStockResult(BaseModel):
    positions: int
    changed: int
    dry_run: bool
    changes: list[SafetyStockChange]


Kind = Literal["purchase_order", "transfer", "rebalance"]


class AutoAcceptRule(Strict):
    name: str = Field(min_length=1, max_length=48)
    kinds: list[Kind] = Field(default_factory=lambda: list[Kind](["transfer", "rebalance"]),
                              min_length=1, max_length=3)
    max_quantity: Annotated[StrictInt, Field(ge=1, le=MAX_QUANTITY),
                            BeforeValidator(integral)] | None = None
    max_value: Annotated[StrictFloat, Field(ge=0, le=1e12, allow_inf_nan=False)] | None = None
    locations: list[Code] | None = Field(None, max_length=10_000)


Days_ = Annotated[StrictFloat, Field(gt=0, le=365, allow_inf_nan=False)]
Money = Annotated[StrictFloat, Field(ge=0, le=1e9, allow_inf_nan=False)]
Units = Annotated[StrictInt, Field(ge=1, le=MAX_QUANTITY), BeforeValidator(integral)]


class ProposeIn(Strict):
    model_config = example(review_days=7.0, lead_time_days=2.0, pack_size=6,
                           auto_accept=[{"name": "small-moves", "kinds": ["transfer"],
                                         "max_quantity": 24}])

    review_days: Days_ = 7.0
    lead_time_days: LeadTime = 3.0
    supplier_lead_time_days: LeadTime = 10.0
    pack_size: Units = 1
    min_order: Units = 1
    unit_margin: Money = 1.0
    margin_rate: Annotated[StrictFloat, Field(ge=0, le=100, allow_inf_nan=False)] = 0.5
    transfer_unit_cost: Money = 0.2
    transfer_fixed_cost: Money = 5.0
    horizon_days: Days_ = 14.0
    auto_accept: list[AutoAcceptRule] = Field(default_factory=list, max_length=50)


class ProposalRun(BaseModel):
    run_id: str
    at: str = Field(json_schema_extra={"format": "date-time"})
    proposals: int
    by_kind: dict[str, int]
    auto_accepted: int
    superseded: int


class Proposal(BaseModel):
    id: str
    run_id: str
    kind: Kind
    sku: str
    from_location: str | None
    to_location: str
    quantity: int
    value: float | None
    status: Literal["proposed", "accepted", "rejected", "superseded"]
    why: dict[str, Any]
    created_at: str = Field(json_schema_extra={"format": "date-time"})
    decided_at: str | None = Field(json_schema_extra={"format": "date-time"})
    decided_by: str | None
    result: dict[str, Any] | None


class ProposalList(BaseModel):
    proposals: list[Proposal]
