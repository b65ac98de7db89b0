"""Transfers: requests, their actions, and how a transfer reads."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StrictBool

from ...domain.transfers import MAX_LINES, TransferStatus
from ...services.transfers import STATUS_FILTERS
from . import T0, Code, ExternalId, Positive, Reason, Reference, Strict, Timestamp, example


class TransferLineIn(Strict):
    sku: Code
    quantity: Positive


Lines = Annotated[list[TransferLineIn], Field(min_length=1, max_length=MAX_LINES)]


class TransferIn(Strict):
    model_config = example(from_location="DC1", to_location="S1",
                           lines=[{"sku": "SKU-1", "quantity": 12}], expected_at=T0,
                           reference="REPLEN-42")
    from_location: Code
    to_location: Code
    lines: Lines
    expected_at: Timestamp = Field(description="when the units are due at the destination")
    reference: Reference | None = None


class ShipIn(Strict):
    """Leave out the body (or `lines`) to ship every line in full."""

    lines: Lines | None = Field(None, description="fewer units than requested; lines left "
                                                  "out ship none")


class ReceiveIn(Strict):
    model_config = example(lines=[{"sku": "SKU-1", "quantity": 10}], external_id="GRN-881")
    lines: Lines
    external_id: ExternalId | None = Field(
        None, description="the receipt's id at the destination: sent again, it is a replay")
    accept_over: StrictBool = Field(
        False, description="record units beyond what is in transit as a discrepancy instead "
                           "of refusing them (409)")


class CloseIn(Strict):
    model_config = example(reason="pallet missing at arrival")
    reason: Reason


class NoBody(Strict):
    """Cancel takes no input: no body, or `{}`."""


class TransferLine(BaseModel):
    sku: str
    quantity: int = Field(description="requested")
    shipped: int
    received: int = Field(description="of the units shipped")
    lost: int = Field(description="in transit when the transfer was closed")
    in_transit: int = Field(description="shipped - received - lost")
    over_received: int = Field(description="received beyond what was in transit")


class TransferSummary(BaseModel):
    id: str
    status: TransferStatus
    from_location: str
    to_location: str
    expected_at: datetime
    late: bool = Field(description="still in transit after its expected date")
    reference: str | None
    order_id: str | None = Field(description="an order's endless-aisle leg: its order")
    fulfillment: int | None = Field(description="... and the order's fulfillment")
    lines: list[TransferLine]
    in_transit: int = Field(description="units on their way, all lines")
    discrepancies: list[dict[str, Any]]
    close_reason: str | None
    allowed_actions: list[str]
    created_at: datetime
    updated_at: datetime
    shipped_at: datetime | None


class Transfer(TransferSummary):
    history: list[dict[str, Any]]


class TransferList(BaseModel):
    transfers: list[TransferSummary]


StatusFilter = Literal[STATUS_FILTERS]  # type: ignore[valid-type]
