"""Tables of the event machinery, on the shared `metadata` so migrations see one schema."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from .tables import BigId, metadata
from .types import UTCDateTime

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("url", String(2000), nullable=False),
    Column("events", JSON, nullable=False),  # type patterns: ["availability.changed", "order.*"]
    # Kept as given: the HMAC needs it. Only a masked form is ever returned.
    Column("secret", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("deleted_at", UTCDateTime),
)

# One row per (webhook, outbox event): created by the dispatcher, sent by the webhook sender.
# status: pending -> delivered, or -> parked after too many failures; cancelled when the
# webhook is deleted. A pending row's next_attempt_at doubles as the sender's claim lease.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("webhook_id", ForeignKey("webhooks.id"), nullable=False),
    Column("event_id", BigInteger().with_variant(Integer(), "sqlite"),
           ForeignKey("outbox.id"), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("last_attempt_at", UTCDateTime),
    Column("last_status_code", Integer),
    Column("last_error", String(500)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime),
    UniqueConstraint("webhook_id", "event_id", name="uq_webhook_deliveries_event"),
    Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
)

# Leases: which process runs a singleton loop (the outbox dispatcher), until when; and the
# names held for good, such as the random id of this database (events/identity.py).
event_leases = Table(
    "event_leases",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)
