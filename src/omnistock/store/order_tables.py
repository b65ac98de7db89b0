"""Tables of orders: the order (with its sourcing decisions and history as JSON), its lines,
and the fulfillments (one location's part of an order) with their lines."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Table,
)

from .tables import metadata
from .types import UTCDateTime

orders = Table(
    "orders",
    metadata,
    Column("id", String(64), primary_key=True),  # the caller's order_id
    Column("channel_id", ForeignKey("channels.id"), nullable=False),
    Column("status", String(24), nullable=False),
    Column("delivery_method", String(16), nullable=False),
    Column("delivery", JSON, nullable=False),
    Column("payload_hash", String(64), nullable=False),
    # The first sourcing decision's explanation, every decision since (re-sourcing after a
    # short), the order's history, and units a short left without a node.
    Column("explanation", JSON, nullable=False),
    Column("decisions", JSON, nullable=False),
    Column("history", JSON, nullable=False),
    Column("unsourced", JSON, nullable=False),
    Column("placed_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("ready_at", UTCDateTime),
    Column("hold_until", UTCDateTime),  # a pickup order is cancelled as a no-show after this
    Column("actor", String(64)),
    Index("ix_orders_status_placed", "status", "placed_at"),
    Index("ix_orders_channel_placed", "channel_id", "placed_at"),
    Index("ix_orders_hold_until", "hold_until"),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("order_id", ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("item_id", ForeignKey("items.id"), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    CheckConstraint("quantity > 0", name="positive_quantity"),
)

fulfillments = Table(
    "fulfillments",
    metadata,
    Column("order_id", ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True),
    Column("number", Integer, primary_key=True),  # 1, 2, ... within the order
    Column("kind", String(16), nullable=False),  # ship | pickup | transfer
    Column("location_id", ForeignKey("locations.id"), nullable=False),
    Column("destination_id", ForeignKey("locations.id")),  # the pickup store of a transfer
    Column("status", String(24), nullable=False),
    Column("expected_at", UTCDateTime),  # a transfer's arrival at the destination
    Column("ready_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_fulfillments_location_status", "location_id", "status"),
    Index("ix_fulfillments_destination_status", "destination_id", "status"),
)

fulfillment_lines = Table(
    "fulfillment_lines",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("item_id", ForeignKey("items.id"), primary_key=True),
    Column("quantity", BigInteger, nullable=False),  # units this fulfillment still delivers
    Column("allocated", BigInteger, nullable=False),  # units first allocated here
    ForeignKeyConstraint(["order_id", "number"], ["fulfillments.order_id", "fulfillments.number"],
                         ondelete="CASCADE"),
    CheckConstraint("quantity >= 0", name="non_negative_quantity"),
)
