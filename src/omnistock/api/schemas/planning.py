"""Forecasts, demand history and planning runs."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field, StrictFloat, StrictInt

from . import Strict, example, integral


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
    dry_run: bool = False


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
