"""Pages of the integrator's lists and the many-SKU availability answer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Query
from pydantic import BaseModel, Field

from ...domain.paging import MAX_CURSOR
from .catalog import Channel
from .movements import Movement
from .stock import Availability

Cursor = Annotated[str | None, Query(
    min_length=1, max_length=MAX_CURSOR, pattern=r"^[A-Za-z0-9_-]+$",
    description="`next` of the previous page (opaque); send the same filters with it")]

NEXT = Field(description="the cursor of the next page; null when the list has ended")


class ChannelPage(BaseModel):
    channels: list[Channel]
    next: str | None = NEXT


class MovementPage(BaseModel):
    movements: list[Movement]
    next: str | None = NEXT
    resume: str = Field(description="a cursor after the last movement returned (or the "
                        "cursor given): call again with it later for the movements "
                        "written since")


class StockLine(BaseModel):
    sku: str
    on_hand: int
    committed: int
    reserved: int
    damaged: int
    quality_control: int
    safety_stock: int
    incoming: int
    available: int
    sequence: int


class LocationStock(BaseModel):
    location: str
    items: list[StockLine]
    next: str | None = NEXT


class AvailabilityMany(BaseModel):
    channel: str | None
    as_of: datetime | None
    as_recorded: datetime | None
    items: list[Availability]
