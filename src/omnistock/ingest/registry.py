"""The feed formats omnistock reads, by name, and the one way to parse a file of any of them.

The edges (`omnistock import`, `POST /v1/ingest/{format}`) parse here and hand the records to
services/feeds.py, which never needs to know where they came from.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC
from typing import BinaryIO

from ..domain.errors import DomainError
from ..domain.feed_sources import SourceSettings
from .edifact import parse_edifact
from .epcis import parse_epcis
from .pos import parse_pos
from .records import Feed
from .snapshot import parse_snapshot

FORMATS: dict[str, Callable[[BinaryIO, SourceSettings], Feed]] = {
    "pos": lambda f, s: parse_pos(f, settings=s),
    "snapshot": lambda f, s: parse_snapshot(f, settings=s),
    "epcis": lambda f, _: parse_epcis(f),
    "edifact": lambda f, s: parse_edifact(f, tz=s.zone or UTC),
}


def parse(fmt: str, file_or_bytes: BinaryIO | bytes,
          settings: SourceSettings | None = None) -> Feed:
    """The records of a feed in format `fmt`, lazily, in source order, read as the source's
    `settings` say (its time zone, its column names)."""
    if fmt not in FORMATS:
        raise DomainError(f"format must be one of {', '.join(FORMATS)}", field="format")
    fileobj = io.BytesIO(file_or_bytes) if isinstance(file_or_bytes, bytes) else file_or_bytes
    return FORMATS[fmt](fileobj, settings or SourceSettings(fmt))
