"""The records a feed turns into: facts to apply to the ledger, or rejects to quarantine.

Plain data shared by the feed adapters (ingest/), which produce them, and the import service
(services/feeds.py), which applies them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from .movements import MovementType

Kind = Literal["movement", "count"]
ItemScheme = Literal["sku", "gtin", "source"]
LocationScheme = Literal["code", "gln", "source"]


@dataclass(frozen=True, slots=True)
class FeedRecord:
    """One fact to apply.

    `item_scheme`: "sku" (our item key), "gtin" (a validated GTIN-14) or "source" (the source's
    own id, which needs a mapping). `location_scheme`: "code" (our location key), "gln"
    (a validated GLN-13) or "source". `quantity` is positive units for a movement and the
    counted on_hand (>= 0) for a count. `occurred_at` is timezone-aware, in UTC.
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


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record (or a whole file) that cannot be applied, with the reason, for quarantine."""

    position: str
    raw: str
    reason: str
