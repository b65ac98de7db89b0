"""Try-in-store holds: a named customer's units held at a store until collect-by."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from . import Code, Positive, Reference, Strict, Timestamp, example

CustomerName = Annotated[str, StringConstraints(min_length=1, max_length=200,
                                                pattern=r"^[^\x00]*\S[^\x00]*$")]
Phone = Annotated[str, StringConstraints(min_length=3, max_length=32,
                                         pattern=r"^\+?[0-9 ().-]{3,32}$")]
Email = Annotated[str, StringConstraints(min_length=3, max_length=200,
                                         pattern=r"^[^@\s\x00]+@[^@\s\x00]+$")]


class Customer(Strict):
    name: CustomerName
    phone: Phone | None = None
    email: Email | None = None


class TryInStoreIn(Strict):
    model_config = example(sku="SKU-1", location="S1", quantity=1,
                           customer={"name": "Ada Lovelace", "phone": "+44 20 7946 0000"},
                           reference="web-cart-42")
    sku: Code
    location: Code
    quantity: Positive
    customer: Customer
    collect_by: Timestamp | None = Field(
        None, description="when the hold lapses; default: the channel's bopis_hold_hours "
                          "ahead, or 48 hours without a channel")
    channel: Code | None = None
    reference: Reference | None = None


HoldStatus = Literal["active", "converted", "cancelled", "lapsed", "committed", "released"]


class CustomerOut(BaseModel):
    name: str
    phone: str | None = None
    email: str | None = None


class TryInStore(BaseModel):
    id: str = Field(description="also the id of its reservation")
    sku: str
    location: str
    quantity: int
    customer: CustomerOut
    channel: str | None
    reference: str | None
    status: HoldStatus
    collect_by: datetime
    created_at: datetime
    updated_at: datetime


class TryInStoreList(BaseModel):
    holds: list[TryInStore]

