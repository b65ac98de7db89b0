"""Try-in-store holds: a reservation for a named customer, to be collected at a store.

The units are held by the reservation (same id), so availability, expiry and the sweeper
work as for every hold; this row adds who it is for and how it ended."""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table

from .tables import metadata
from .types import UTCDateTime

try_in_store = Table(
    "try_in_store",
    metadata,
    Column("id", ForeignKey("reservations.id"), primary_key=True),
    Column("location_id", ForeignKey("locations.id"), nullable=False),
    Column("customer", JSON, nullable=False),  # {name, phone?, email?}
    Column("channel", String(64)),
    # open until the customer buys (converted) or declines (cancelled); a hold that lapses
    # stays open here and reads as lapsed from its reservation.
    Column("outcome", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("actor", String(64)),
    Index("ix_try_in_store_location_outcome", "location_id", "outcome"),
)
