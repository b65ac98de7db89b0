"""Tables of the feeds: code mappings per source, and the quarantine."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Index, Integer, String, Table, Text, UniqueConstraint

from .tables import BigId, metadata
from .types import UTCDateTime

# A source's own code for an item or a location (a POS store number, a platform's item id).
code_mappings = Table(
    "code_mappings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(64), nullable=False),
    Column("kind", String(16), nullable=False),  # item | location
    Column("code", String(200), nullable=False),
    Column("target", String(64), nullable=False),  # our sku or location code
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("source", "kind", "code", name="uq_code_mappings_source_kind_code"),
)

# Records that could not be applied, with the reason; `record` holds the parsed record when
# parsing succeeded (then a retry can apply it once the cause, e.g. a mapping, is fixed).
quarantine = Table(
    "quarantine",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("format", String(16), nullable=False),
    Column("position", String(200), nullable=False),
    Column("raw", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("record", JSON),
    Column("status", String(16), nullable=False, default="open"),  # open | resolved
    Column("created_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime),
    # The same source record quarantined again (a re-sent file, a failed retry) updates its
    # row: domain/feeds.py `fingerprint`. Rows from before fingerprints have none.
    Column("fingerprint", String(64)),
    Column("seen", Integer, nullable=False, default=1, server_default="1"),
    Column("last_seen_at", UTCDateTime),
    Index("ix_quarantine_status", "status", "source"),
    Index("uq_quarantine_source_fingerprint", "source", "fingerprint", unique=True),
)
