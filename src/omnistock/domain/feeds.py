"""The records a feed turns into: facts to apply to the ledger, or rejects to quarantine.

Plain data shared by the feed adapters (ingest/), which produce them, and the import service
(services/feeds.py), which applies them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from .movements import MovementType

# "available": a count of the sellable units only (Shopify's `available`), see
# services/movements.py CountRequest.basis.
Kind = Literal["movement", "count", "available"]
ItemScheme = Literal["sku", "gtin", "source"]
LocationScheme = Literal["code", "gln", "source"]


@dataclass(frozen=True, slots=True)
class FeedRecord:
    """One fact to apply.

    `item_scheme`: "sku" (our item key), "gtin" (a validated GTIN-14) or "source" (the source's
    own id, which needs a mapping). `location_scheme`: "code" (our location key), "gln"
    (a validated GLN-13) or "source". `quantity` is positive units for a movement and the
    counted on_hand (>= 0) for a count, the counted available units for "available".
    `occurred_at` is timezone-aware, in UTC.
    """

    position: str
    kind: Kind
    type: MovementType | None
    item_code: str
    item_scheme: ItemScheme
    location_code: str
    location_scheme: LocationScheme
    quantity: int
    occurred_at: datetime
    external_id: str
    raw: str
    expected_at: datetime | None = None  # when units announced (`expected`) are due


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record (or a whole file) that cannot be applied, with the reason, for quarantine."""

    position: str
    raw: str
    reason: str


def fingerprint(fmt: str, record: FeedRecord | Rejected) -> str:
    """What makes a quarantined record the same record when it comes again: its idempotency
    key when it parsed, else its raw text (a re-sent file, or a retry, then updates the one row
    instead of adding another)."""
    identity = record.external_id if isinstance(record, FeedRecord) else f"raw\x1f{record.raw}"
    return hashlib.sha256(f"{fmt}\x1f{identity}".encode()).hexdigest()


def raw_fingerprint(fmt: str, raw: str) -> str:
    """The fingerprint the record had when it could not be parsed (see `fingerprint`)."""
    return hashlib.sha256(f"{fmt}\x1fraw\x1f{raw}".encode()).hexdigest()
