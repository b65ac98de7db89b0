"""Tables of planning: the latest forecast of each position, with the backtest that chose it."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Float, ForeignKey, String, Table

from .tables import metadata
from .types import UTCDateTime

forecasts = Table(
    "forecasts",
    metadata,
    Column("item_id", ForeignKey("items.id"), primary_key=True),
    Column("location_id", ForeignKey("locations.id"), primary_key=True),
    Column("run_id", String(36), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("segment", String(16), nullable=False),
    Column("model", String(32), nullable=False),
    Column("error_sd", Float, nullable=False),
    Column("wape", Float),
    Column("mase", Float),
    Column("body", JSON, nullable=False),  # Forecast.to_dict(): days, intervals, backtest
)
