"""Movement types and the bucket deltas each one makes.

Buckets: oh on_hand, cm committed, rs reserved, dm damaged, qc quality_control,
ss safety_stock, in incoming.

| type                | oh | cm | rs | dm | qc | ss | in |
|---------------------|----|----|----|----|----|----|----|
| receipt             | +q |    |    |    |    |    | -c |
| sale                | -q |    |    |    |    |    |    |
| return              | +q |    |    |    |    |    |    |
| adjustment          | ±q |    |    |    |    |    |    |
| damage              |    |    |    | +q |    |    |    |
| write_off           | -q |    |    | -q |    |    |    |
| quality_control_in  |    |    |    |    | +q |    |    |
| quality_control_out |    |    |    |    | -q |    |    |
| transfer_out        | -q |    |    |    |    |    |    |
| expected            |    |    |    |    |    |    | +q |
| transfer_in         | +q |    |    |    |    |    | -c |
| transit_loss        |    |    |    |    |    |    | -c |
| ship                | -q | -q |    |    |    |    |    |
| reserve             |    |    | +q |    |    |    |    |
| release             |    |    | -q |    |    |    |    |
| expire              |    |    | -q |    |    |    |    |
| commit              |    | +q | -q |    |    |    |    |
| allocate            |    | +q |    |    |    |    |    |
| deallocate          |    | -q |    |    |    |    |    |
| safety_stock        |    |    |    |    |    | ±q |    |
| count               | counted - on_hand as of the count (counts.py) |
| count_reversal      | what the ledger without the reversed count gives (counts.py) |

`c` is what the movement closes of the expected units at its position (those of its reference
first, then loose notices), at most q: units that arrive without notice close nothing, so
`incoming` never goes below zero (services/ledger.py decides it, under the position's lock).
`transit_loss` (made by transfers: units shipped that will never arrive) closes only expected
units of its own reference, at most q, and puts nothing on hand.
`adjustment` and `safety_stock` take a signed, non-zero quantity; every other type a positive one.
`reserve` and `allocate` are conditional: they never make `available` negative. Physical facts
(sale, count, ...) are recorded even when they take `available` below zero.

Bounds: a quantity (or a counted quantity) is at most MAX_QUANTITY units, and no bucket may go
past +/- MAX_BUCKET, which keeps every sum the store and the reports make exact (a float holds
integers up to 2^53) and far inside the int64 columns. A fact is dated within a `TimeWindow`:
not before its earliest time, and not after the server's clock plus a small skew (an arrival,
`expected_at`, up to a horizon ahead): a count dated in year 9999 would otherwise see every
later movement as past and freeze its position for good.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from .errors import InvalidInput

MAX_QUANTITY = 1_000_000_000
MAX_BUCKET = 2**53
EARLIEST_TIME = datetime(2000, 1, 1, tzinfo=UTC)


class MovementType(StrEnum):
    RECEIPT = "receipt"
    SALE = "sale"
    RETURN = "return"
    ADJUSTMENT = "adjustment"
    DAMAGE = "damage"
    WRITE_OFF = "write_off"
    QUALITY_CONTROL_IN = "quality_control_in"
    QUALITY_CONTROL_OUT = "quality_control_out"
    TRANSFER_OUT = "transfer_out"
    EXPECTED = "expected"
    TRANSFER_IN = "transfer_in"
    TRANSIT_LOSS = "transit_loss"
    SHIP = "ship"
    RESERVE = "reserve"
    RELEASE = "release"
    EXPIRE = "expire"
    COMMIT = "commit"
    ALLOCATE = "allocate"
    DEALLOCATE = "deallocate"
    SAFETY_STOCK = "safety_stock"
    COUNT = "count"
    COUNT_REVERSAL = "count_reversal"


_SIGNS: dict[MovementType, dict[str, int]] = {
    MovementType.RECEIPT: {"on_hand": 1},
    MovementType.SALE: {"on_hand": -1},
    MovementType.RETURN: {"on_hand": 1},
    MovementType.ADJUSTMENT: {"on_hand": 1},
    MovementType.DAMAGE: {"damaged": 1},
    MovementType.WRITE_OFF: {"on_hand": -1, "damaged": -1},
    MovementType.QUALITY_CONTROL_IN: {"quality_control": 1},
    MovementType.QUALITY_CONTROL_OUT: {"quality_control": -1},
    MovementType.TRANSFER_OUT: {"on_hand": -1},
    MovementType.EXPECTED: {"incoming": 1},
    MovementType.TRANSFER_IN: {"on_hand": 1, "incoming": -1},
    MovementType.TRANSIT_LOSS: {"incoming": -1},
    MovementType.SHIP: {"on_hand": -1, "committed": -1},
    MovementType.RESERVE: {"reserved": 1},
    MovementType.RELEASE: {"reserved": -1},
    MovementType.EXPIRE: {"reserved": -1},
    MovementType.COMMIT: {"committed": 1, "reserved": -1},
    MovementType.ALLOCATE: {"committed": 1},
    MovementType.DEALLOCATE: {"committed": -1},
    MovementType.SAFETY_STOCK: {"safety_stock": 1},
}

SIGNED_TYPES = frozenset({MovementType.ADJUSTMENT, MovementType.SAFETY_STOCK})
# Conditional types: written only if available stays >= 0 (checked in the database).
GUARDED_TYPES = frozenset({MovementType.RESERVE, MovementType.ALLOCATE})
# Types whose units the service tracks itself (a reservation, an order or a transfer); not for
# feeds.
INTERNAL_TYPES = frozenset(
    {
        MovementType.RESERVE,
        MovementType.RELEASE,
        MovementType.EXPIRE,
        MovementType.COMMIT,
        MovementType.ALLOCATE,
        MovementType.DEALLOCATE,
        MovementType.COUNT,
        MovementType.TRANSIT_LOSS,
        MovementType.COUNT_REVERSAL,
    }
)
# Types that need a reason code.
REASONED_TYPES = frozenset({MovementType.ADJUSTMENT})


def deltas(type_: MovementType, quantity: int) -> dict[str, int]:
    """Bucket deltas of a movement of `quantity` units (validated)."""
    if type_ in (MovementType.COUNT, MovementType.COUNT_REVERSAL):
        raise InvalidInput(f"a {type_}'s delta depends on the position (domain/counts.py)",
                           field="type")
    validate_quantity(type_, quantity)
    return {bucket: sign * quantity for bucket, sign in _SIGNS[type_].items()}


def validate_quantity(type_: MovementType, quantity: int) -> None:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise InvalidInput("quantity must be an integer", field="quantity")
    if type_ in SIGNED_TYPES:
        if quantity == 0:
            raise InvalidInput(f"quantity of a {type_} must not be zero", field="quantity")
    elif quantity <= 0:
        raise InvalidInput(f"quantity must be a positive integer, got {quantity}",
                           field="quantity")
    if abs(quantity) > MAX_QUANTITY:
        raise InvalidInput(f"quantity {quantity} is beyond the bound of {MAX_QUANTITY} units",
                           field="quantity")


def validate_counted(quantity: int, field: str = "counted_quantity") -> None:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        raise InvalidInput(f"{field} must be an integer >= 0", field=field)
    if quantity > MAX_QUANTITY:
        raise InvalidInput(f"{field} {quantity} is beyond the bound of {MAX_QUANTITY} units",
                           field=field)


def add_bounded(buckets: Mapping[str, int], changes: Mapping[str, int],
                field: str = "quantity") -> dict[str, int]:
    """`buckets` after `changes`; refused when a bucket would go past +/- MAX_BUCKET."""
    after = dict(buckets)
    for bucket, delta in changes.items():
        value = after.get(bucket, 0) + delta
        if abs(value) > MAX_BUCKET:
            raise InvalidInput(f"{bucket} would become {value}, beyond the bound of "
                               f"{MAX_BUCKET} units of a position", field=field)
        after[bucket] = value
    return after


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """When a fact may be dated, as seen at `now` (the domain has no clock: services pass it).

    `skew` allows for the clocks of tills and scanners running a little ahead of ours;
    `horizon` is how far ahead an arrival (`expected_at`) may be announced."""

    now: datetime
    earliest: datetime = EARLIEST_TIME
    skew: timedelta = timedelta(seconds=300)
    horizon: timedelta = timedelta(days=366)

    def check(self, value: datetime, field: str, *, arrival: bool = False) -> None:
        latest = self.now + (self.horizon if arrival else self.skew)
        if value < self.earliest:
            raise InvalidInput(f"{field} {value.isoformat()} is before the earliest accepted "
                               f"time, {self.earliest.isoformat()}", field=field)
        if value > latest:
            ahead = "the horizon of arrivals" if arrival else "the allowed clock skew"
            raise InvalidInput(f"{field} {value.isoformat()} is in the future, past {ahead} "
                               f"({latest.isoformat()})", field=field)


def validate_timestamp(value: datetime, field: str = "occurred_at",
                       window: TimeWindow | None = None, *, arrival: bool = False) -> datetime:
    """Timestamps must carry a zone (a naive time is ambiguous) and, given a window, lie in it."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"{field} must include a time zone (ISO 8601 with Z or an offset)",
                           field=field)
    if window is not None:
        window.check(value, field, arrival=arrival)
    return value


@dataclass(frozen=True, slots=True)
class MovementRequest:
    """One requested change of stock, as received (before idempotency and position checks)."""

    type: MovementType
    sku: str
    location: str
    quantity: int
    occurred_at: datetime
    source: str
    external_id: str
    reason: str | None = None
    reference: str | None = None
    expected_at: datetime | None = None

    def validate(self, window: TimeWindow | None = None) -> MovementRequest:
        if self.type in INTERNAL_TYPES:
            raise InvalidInput(
                f"type {self.type} is made by reservations, orders, transfers and counts, "
                "not posted directly", field="type")
        validate_quantity(self.type, self.quantity)
        validate_timestamp(self.occurred_at, "occurred_at", window)
        if self.expected_at is not None:
            validate_timestamp(self.expected_at, "expected_at", window, arrival=True)
        for name in ("sku", "location", "source", "external_id"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise InvalidInput(f"{name} must be a non-empty string", field=name)
        if self.type in REASONED_TYPES and not self.reason:
            raise InvalidInput(f"a {self.type} needs a reason code", field="reason")
        return self

    def digest(self) -> str:
        """Hash of the fields that define the request (idempotency: same key, same digest)."""
        parts = (self.type.value, self.sku, self.location, str(self.quantity),
                 self.occurred_at.astimezone(UTC).isoformat(), self.reason or "",
                 self.reference or "",
                 self.expected_at.astimezone(UTC).isoformat() if self.expected_at else "")
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
