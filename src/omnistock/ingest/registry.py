"""The feed formats omnistock reads, by name, and the one way to parse a file of any of them.

The edges (`omnistock import`, `POST /v1/ingest/{format}`) parse here and hand the records to
services/feeds.py, which never needs to know where they came from.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import BinaryIO

from ..domain.errors import DomainError
from .edifact import parse_edifact
from .epcis import parse_epcis
from .pos import parse_pos
from .records import Feed
from .snapshot import parse_snapshot

FORMATS: dict[str, Callable[[BinaryIO], Feed]] = {
    "pos": parse_pos,
    "snapshot": parse_snapshot,
    "epcis": parse_epcis,
    "edifact": parse_edifact,
}


def parse(fmt: str, file_or_bytes: BinaryIO | bytes) -> Feed:
    """The records of a feed in format `fmt`, lazily, in source order."""
    if fmt not in FORMATS:
        raise DomainError(f"format must be one of {', '.join(FORMATS)}", field="format")
    fileobj = io.BytesIO(file_or_bytes) if isinstance(file_or_bytes, bytes) else file_or_bytes
    return FORMATS[fmt](fileobj)
