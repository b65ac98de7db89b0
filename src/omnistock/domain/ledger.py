"""A movement as the ledger writer takes it, and the event every change of a position makes.

Every writer (feeds and the API, holds, orders, and whatever moves stock next) builds
`Movement` values; `services/ledger.py` is the one place that turns them into rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .buckets import BUCKETS, available
from .isotime import iso
from .movements import GUARDED_TYPES, MovementType, deltas

Key = tuple[int, int]  # a position: (item_id, location_id)

# The bucket a conditional movement adds to; the check "available stays >= 0" guards it.
GUARDED_BUCKET = {MovementType.RESERVE: "reserved", MovementType.ALLOCATE: "committed"}

AVAILABILITY_CHANGED = "availability.changed"
# The payload of `availability.changed`, in order. The PostgreSQL one-statement hold builds the
# same object in SQL from this list (store/hot_path.py). `sequence` is the position's chain
# length after the change and `previous_sequence` before it: a consumer that last saw another
# sequence for the position has missed an event, and refetches the position.
AVAILABILITY_FIELDS = ("sku", "location", *BUCKETS, "available", "cause", "occurred_at",
                       "sequence", "previous_sequence")


@dataclass(frozen=True, slots=True)
class Movement:
    """One change of stock at one position, already validated, with its idempotency key.

    `quantity` is the counted quantity for a count, the (signed, for adjustments) units
    otherwise. `digest` fingerprints the request behind it: the same key with another digest is
    an idempotency conflict.
    """

    type: MovementType
    item_id: int
    location_id: int
    sku: str
    location: str
    quantity: int
    occurred_at: datetime
    source: str
    external_id: str
    digest: str
    reason: str | None = None
    reference: str | None = None
    actor: str | None = None
    expected_at: datetime | None = None  # an `expected` movement's arrival (future ATP)
    # What an `expected` movement's units are bound to (INBOUND_KINDS): units bound to a record
    # are closed only by a receipt or transfer_in that names the same reference.
    inbound_kind: str = "notice"
    # A count's compare-and-set: on_hand must be this when the count is applied, or nothing
    # is written (StaleQuantity); None for no check.
    compare_on_hand: int | None = None

    @property
    def key(self) -> Key:
        return (self.item_id, self.location_id)

    @property
    def idempotency_key(self) -> tuple[str, str]:
        return (self.source, self.external_id)

    @property
    def is_count(self) -> bool:
        return self.type is MovementType.COUNT

    @property
    def is_reversal(self) -> bool:
        """A count's reversal: `reference` names the count (counts.REVERSAL_REFERENCE)."""
        return self.type is MovementType.COUNT_REVERSAL

    @property
    def sets_on_hand(self) -> bool:
        """Its on_hand delta is decided from the position's ledger, not from its quantity."""
        return self.is_count or self.is_reversal

    @property
    def guard(self) -> str | None:
        """The bucket this movement may only add to while available stays >= 0."""
        return GUARDED_BUCKET.get(self.type) if self.type in GUARDED_TYPES else None

    def raw(self) -> dict[str, int]:
        """Bucket deltas before the count-as-of rule (a count's depend on the position)."""
        return {} if self.sets_on_hand else deltas(self.type, self.quantity)


# Expected units: a loose notice (an ASN or an integrator's `expected` movement), a transfer's or a
# purchase order's lines, or an order's own units on their way to its pickup store (which future
# ATP must not offer again).
INBOUND_KINDS = ("notice", "transfer", "purchase_order", "order")
OFFERED_INBOUND = ("notice", "transfer", "purchase_order")


def availability_data(sku: str, location: str, buckets: dict[str, int], cause: str,
                      occurred_at: datetime, sequence: int, previous: int) -> dict[str, Any]:
    """The `availability.changed` payload for a position's buckets after a change."""
    return {"sku": sku, "location": location, **{b: buckets[b] for b in BUCKETS},
            "available": available(buckets), "cause": cause,
            "occurred_at": iso(occurred_at), "sequence": sequence, "previous_sequence": previous}


# -- the hash chain ------------------------------------------------------------------------------
# Each movement's hash covers its content, its place in its position's chain and the hash before
# it, so a deleted, edited, reordered or inserted movement breaks the chain at that link. One
# chain per position: writers of different positions never wait on each other for it.
CHAIN_FIELDS = ("type", "item_id", "location_id", "quantity", "raw_on_hand", "counted",
                "occurred_at", "source", "external_id", "payload_hash", "reason", "reference")
GENESIS = ""  # the head of a position with no movement yet


def chain_content(row: Mapping[str, Any]) -> str:
    """The movement's own part of its link: the fields a count or a writer never rewrite."""
    return "\x1f".join(_text(row[f]) for f in CHAIN_FIELDS)


def _text(value: Any) -> str:
    if value is None:
        return ""
    return iso(value) or "" if isinstance(value, datetime) else str(value)


def chain_link(previous: str, seq: int, content: str) -> str:
    """The hash of link `seq` (1, 2, ...) of a position's chain. store/ledger.py computes the
    same in SQL where a statement advances the chain itself."""
    return hashlib.sha256(f"{previous}|{seq}|{content}".encode()).hexdigest()


def anchor(heads: Iterable[tuple[str, str, int, str]]) -> str:
    """One digest of every chain's head (sku, location, length, head hash): published or kept
    elsewhere, it later proves that no chain was rewritten since."""
    digest = hashlib.sha256()
    for sku, location, seq, head in sorted(heads):
        digest.update(f"{sku}\x1f{location}\x1f{seq}\x1f{head}\n".encode())
    return digest.hexdigest()
