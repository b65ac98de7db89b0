"""Availability of an item, per location and for a channel."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class LocationAvailability(BaseModel):
    location: str
    on_hand: int
    committed: int
    reserved: int
    damaged: int
    quality_control: int
    safety_stock: int
    incoming: int
    available: int
    sequence: int = Field(description="the position's sequence: the `sequence` of the last "
                          "`availability.changed` event it made")
    expected_within_horizon: int | None = None


class Availability(BaseModel):
    sku: str
    channel: str | None
    available: int
    locations: list[LocationAvailability]
    horizon_days: int | None = None
    future_available: int | None = None
    as_of: datetime | None = Field(None, description="with as_of: what was there then")
    as_recorded: datetime | None = Field(None, description="with as_recorded: what omnistock "
                                         "believed then")
