"""Reservations: holds of units with an expiry."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from ...domain.reservations import MAX_TTL_SECONDS, ReservationStatus
from . import Code, Integer, Positive, Reference, Strict, example


class ReservationIn(Strict):
    model_config = example(sku="SKU-1", location="S1", quantity=1, ttl_seconds=900,
                           reference="cart-42")
    sku: Code
    location: Code
    quantity: Positive
    ttl_seconds: Annotated[Integer, Field(ge=1, le=MAX_TTL_SECONDS)]
    reference: Reference | None = None


class Reservation(BaseModel):
    id: str
    sku: str
    location: str
    quantity: int
    status: ReservationStatus
    expires_at: datetime
    reference: str | None
    created_at: datetime
