"""Per-source settings of the feeds: how a source writes its files (domain/feed_sources.py)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, String, Table

from .tables import metadata
from .types import UTCDateTime

feed_sources = Table(
    "feed_sources",
    metadata,
    Column("source", String(64), primary_key=True),
    Column("time_zone", String(64)),  # IANA name; times without an offset are read in it
    Column("columns", JSON),  # our field -> the source's column header
    Column("types", JSON),  # the source's type value -> sale | return
    Column("date_format", String(40)),
    Column("updated_at", UTCDateTime, nullable=False),
)
