"""Tables of planning: the latest forecast of each position (with the backtest that chose it),
and the replenishment proposals a planner or a rule accepts."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Float, ForeignKey, Index, String, Table

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

proposals = Table(
    "proposals",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("run_id", String(36), nullable=False),
    Column("kind", String(16), nullable=False),  # purchase_order | transfer | rebalance
    Column("item_id", ForeignKey("items.id"), nullable=False),
    Column("from_location_id", ForeignKey("locations.id")),
    Column("to_location_id", ForeignKey("locations.id"), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("value", Float),  # at cost, when the item has one
    Column("status", String(16), nullable=False),  # proposed, accepted, rejected, superseded
    Column("why", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("decided_at", UTCDateTime),
    Column("decided_by", String(64)),  # a key prefix, or `rule:<name>` for automatic ones
    Column("result", JSON),  # the transfer or purchase order it became
    Index("ix_proposals_status", "status", "created_at"),
)
