"""Cursor paging: a list is read in pages ordered by a unique key, and `next` names the last
key handed out, so a page is never repeated or skipped when rows are added while a client
pages (keyset paging, not offsets).

A cursor is opaque to clients: URL-safe base64 of a small JSON object holding the list it
belongs to, the last key and a digest of the filters it was made with. A cursor given to
another list, or with other filters, is refused (`InvalidInput` naming `cursor`) rather than
silently answering something else.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import InvalidInput

MAX_CURSOR = 400  # characters: a cursor holds one key and a digest


@dataclass(frozen=True, slots=True)
class Page:
    """Where a page starts: after `after` (None: from the start), `limit` rows at most."""

    after: Any
    limit: int


def filters_digest(filters: Mapping[str, Any]) -> str:
    canonical = json.dumps(filters, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def encode_cursor(kind: str, after: Any, filters: Mapping[str, Any]) -> str:
    raw = json.dumps({"k": kind, "a": after, "f": filters_digest(filters)},
                     separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, kind: str, filters: Mapping[str, Any],
                  limit: int) -> Page:
    """The page a request asks for; a cursor that is not one of ours for this list and these
    filters is an InvalidInput naming `cursor`."""
    if cursor is None:
        return Page(None, limit)
    try:
        if len(cursor) > MAX_CURSOR:
            raise ValueError("too long")
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error):
        raise InvalidInput("cursor is not a cursor this server handed out",
                           field="cursor") from None
    if not isinstance(value, dict) or value.get("k") != kind or "a" not in value:
        raise InvalidInput(f"cursor does not belong to this list ({kind})", field="cursor")
    if value.get("f") != filters_digest(filters):
        raise InvalidInput("cursor was made with other filters: send the same filters with it",
                           field="cursor")
    return Page(value["a"], limit)


def next_cursor(kind: str, rows: list[Any], page: Page, key: Any,
                filters: Mapping[str, Any], *, more: bool = False) -> str | None:
    """The cursor after the last row of a full page, or of a page cut short (`more`); None
    when the list has ended.

    A full page may be the last one; the next call then returns no rows and no cursor, which
    is cheaper than reading one row more on every call."""
    if not more and len(rows) < page.limit:
        return None
    return encode_cursor(kind, key(rows[-1]) if rows else page.after, filters)
