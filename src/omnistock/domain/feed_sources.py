"""How one feed source writes its files: its time zone, and which of its columns is which.

Plain data, validated here and kept per source (store/feed_source_tables.py). The adapters
(ingest/) read files with it; a source without settings is read as omnistock's own format.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import InvalidInput

# Our field -> what it means; a source's column mapping names its own header for each.
POS_FIELDS = ("transaction_id", "line", "occurred_at", "date", "time", "store", "sku",
              "quantity", "type")
SNAPSHOT_FIELDS = ("location", "sku", "on_hand", "as_of", "date", "time")
FIELDS = frozenset(POS_FIELDS + SNAPSHOT_FIELDS)
MOVEMENT_TYPES = ("sale", "return")
MAX_NAME = 200


@dataclass(frozen=True, slots=True)
class SourceSettings:
    """`time_zone`: an IANA name (Europe/Paris) for times the source writes without an offset.
    `columns`: our field -> the source's header (case-insensitive). `types`: the source's
    value of `type` -> sale | return. `date_format`: a strptime pattern for a `date` column
    that is not ISO 8601 (e.g. %m/%d/%Y)."""

    source: str
    time_zone: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    types: Mapping[str, str] = field(default_factory=dict)
    date_format: str | None = None

    @property
    def zone(self) -> ZoneInfo | None:
        return ZoneInfo(self.time_zone) if self.time_zone else None

    def header(self, name: str) -> str:
        """The source's column for our field `name` (lower case, as the CSV reader keys it)."""
        return self.columns.get(name, name).strip().lower()

    def validate(self) -> SourceSettings:
        if self.time_zone is not None:
            zone_of(self.time_zone)
        for ours, theirs in self.columns.items():
            if ours not in FIELDS:
                raise InvalidInput(f"columns: {ours!r} is not a field omnistock reads (one of "
                                   f"{', '.join(sorted(FIELDS))})", field=f"columns.{ours}")
            if not theirs.strip() or len(theirs) > MAX_NAME:
                raise InvalidInput(f"columns.{ours} must name a column (1 to {MAX_NAME} "
                                   "characters)", field=f"columns.{ours}")
        for theirs, ours in self.types.items():
            if ours not in MOVEMENT_TYPES:
                raise InvalidInput(f"types.{theirs} must be sale or return, got {ours!r}",
                                   field=f"types.{theirs}")
        if self.date_format is not None:
            _check_date_format(self.date_format)
        return self


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"time_zone {name!r} is not an IANA time zone name (like "
                           "Europe/Paris or America/New_York)", field="time_zone") from None


def _check_date_format(pattern: str) -> None:
    if not pattern.strip() or "%" not in pattern or len(pattern) > 40:
        raise InvalidInput(f"date_format {pattern!r} must be a strptime pattern like %m/%d/%Y",
                           field="date_format")
    try:
        datetime.strptime(datetime(2024, 3, 1).strftime(pattern), pattern)
    except ValueError:
        raise InvalidInput(f"date_format {pattern!r} does not read back the dates it writes",
                           field="date_format") from None


def as_settings(source: str, data: Mapping[str, Any] | None) -> SourceSettings:
    """Settings from their stored form (None: the source has none)."""
    if not data:
        return SourceSettings(source)
    return SourceSettings(source, data.get("time_zone") or None,
                          dict(data.get("columns") or {}), dict(data.get("types") or {}),
                          data.get("date_format") or None)
