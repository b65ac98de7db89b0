"""Tables of returns: each return with its disposition, and the return rules per scope.

A return's movements are in the ledger (source "return", reference "return:<id>"); the row
keeps what the ledger cannot: the condition, the order it came back from, and the decision."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
)

from .tables import metadata
from .types import UTCDateTime

returns = Table(
    "returns",
    metadata,
    Column("id", String(36), primary_key=True),
    # The caller's id of the return (a till's transaction line): the same id with the same
    # payload is a replay, with another payload a conflict.
    Column("external_id", String(200), unique=True),
    Column("payload_hash", String(64), nullable=False),
    Column("item_id", ForeignKey("items.id"), nullable=False),
    Column("location_id", ForeignKey("locations.id"), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("condition", String(16), nullable=False),
    Column("order_id", ForeignKey("orders.id")),
    Column("reason", String(200)),
    Column("disposition", JSON, nullable=False),  # {action, location, reason, rule, scope}
    Column("before_shipment", Boolean, nullable=False),  # came back before it was delivered
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("actor", String(64)),
    CheckConstraint("quantity > 0", name="positive_quantity"),
    Index("ix_returns_location_recorded", "location_id", "recorded_at"),
    Index("ix_returns_order_item", "order_id", "item_id"),
    Index("ix_returns_recorded", "recorded_at"),
)

# Return rules (domain/return_rules.py) of a scope: "default", "channel:<code>" or
# "location:<code>". A location's rules come before its order's channel's, then the default.
return_policies = Table(
    "return_policies",
    metadata,
    Column("scope", String(80), primary_key=True),
    Column("policy", JSON, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("actor", String(64)),
)
