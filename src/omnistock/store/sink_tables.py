"""Where each outbox consumer that must not miss an event has got to (events/dispatcher.py)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, String, Table

from .tables import metadata
from .types import UTCDateTime

# One row per sink (NATS, webhook deliveries): every settled outbox id <= position was handed
# to it. Each sink moves on its own, so a sink that is down holds back no other.
sink_cursors = Table(
    "sink_cursors",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
