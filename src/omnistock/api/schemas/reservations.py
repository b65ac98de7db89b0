"""Reservations: holds of units with an expiry."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field, StrictInt

from ...domain.reservations import MAX_TTL_SECONDS, ReservationStatus
from . import Code, Positive, Reference, Strict, example, integral


class ReservationIn(Strict):
    model_config = example(sku="SKU-1", location="S1", quantity=1, ttl_seconds=900,
                           reference="cart-42")
    sku: Code
    location: Code
    quantity: Positive
    ttl_seconds: Annotated[StrictInt, Field(ge=1, le=MAX_TTL_SECONDS),
                           BeforeValidator(integral)]
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
