"""Tables of transfers: the transfer (from, to, expected date, status, history as JSON), its
lines with what was shipped, received and lost of each, and its receipts (so that a receipt
sent again with its external_id is recognised)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from .tables import metadata
from .types import UTCDateTime

transfers = Table(
    "transfers",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("from_location_id", ForeignKey("locations.id"), nullable=False),
    Column("to_location_id", ForeignKey("locations.id"), nullable=False),
    Column("status", String(24), nullable=False),
    Column("expected_at", UTCDateTime, nullable=False),
    Column("reference", String(200)),  # the caller's
    # The reference of its expected units at the destination: "transfer:<id>", or the order's
    # id for an order's leg (its units stay bound to the order).
    Column("inbound_reference", String(200), nullable=False),
    Column("order_id", String(64)),
    Column("fulfillment", Integer),
    # While True the order's fulfillment actions move it, not the transfer's own.
    Column("managed_by_order", Boolean, nullable=False),
    Column("close_reason", String(200)),
    Column("discrepancies", JSON, nullable=False),
    Column("history", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("shipped_at", UTCDateTime),
    Column("actor", String(64)),
    Index("ix_transfers_status_created", "status", "created_at"),
    Index("ix_transfers_from_status", "from_location_id", "status"),
    Index("ix_transfers_to_status", "to_location_id", "status"),
    Index("ix_transfers_order", "order_id", "fulfillment"),
)

transfer_lines = Table(
    "transfer_lines",
    metadata,
    Column("transfer_id", ForeignKey("transfers.id", ondelete="CASCADE"), primary_key=True),
    Column("item_id", ForeignKey("items.id"), primary_key=True),
    Column("line_no", Integer, nullable=False),
    Column("quantity", BigInteger, nullable=False),  # requested
    Column("shipped", BigInteger, nullable=False),
    Column("received", BigInteger, nullable=False),
    Column("lost", BigInteger, nullable=False),
    Column("over", BigInteger, nullable=False),  # received beyond what was in transit
    CheckConstraint("quantity > 0", name="positive_quantity"),
    CheckConstraint("shipped >= 0 AND received >= 0 AND lost >= 0 AND over >= 0",
                    name="non_negative"),
    CheckConstraint("received + lost <= shipped", name="within_shipped"),
)

transfer_receipts = Table(
    "transfer_receipts",
    metadata,
    Column("transfer_id", ForeignKey("transfers.id", ondelete="CASCADE"), primary_key=True),
    Column("number", Integer, primary_key=True),  # 1, 2, ... within the transfer
    Column("external_id", String(200)),
    Column("payload_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("transfer_id", "external_id", name="uq_transfer_receipts_external_id"),
)
