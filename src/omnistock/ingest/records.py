"""What every feed adapter yields (a FeedRecord to apply, or a Rejected to quarantine, both
defined in domain/feeds.py so that services read them without importing ingest), and the
field parsers the adapters share.

Adapters are pure: they read bytes and yield records in source order, one per fact, and never
touch the ledger. A broken record becomes a `Rejected` naming the field and what was wrong, and
parsing goes on with the next record. De-duplication is the ledger's job: a record re-sent by
the source carries the same `external_id`, derived from the source's own ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

from omnistock.domain import gs1
from omnistock.domain.errors import InvalidInput
from omnistock.domain.feeds import FeedRecord, ItemScheme, LocationScheme, Rejected
from omnistock.domain.movements import MAX_QUANTITY

_INTEGER = re.compile(r"[+-]?[0-9]+")

ParseResult = FeedRecord | Rejected
Feed = Iterator[ParseResult]


def parse_timestamp(value: object, field: str) -> datetime:
    """ISO 8601 with a zone (Z or an offset) -> aware UTC datetime; naive times are refused."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{field} is missing", field=field)
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{field} {value!r} is not an ISO 8601 date-time", field=field) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise InvalidInput(
            f"{field} {value!r} has no time zone (add Z or an offset like +01:00)", field=field
        )
    return in_utc(parsed, field)


def in_utc(moment: datetime, field: str) -> datetime:
    """The instant in UTC; at the ends of the calendar (0001-01-01 with a positive offset,
    9999-12-31 with a negative one) there is none, and the record is refused."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise InvalidInput(f"{field} {moment.isoformat()} is out of range in UTC",
                           field=field) from None


def parse_count(value: object, field: str, *, allow_zero: bool) -> int:
    """A whole number of units, at most MAX_QUANTITY, from a JSON int or a string of digits."""
    what = "a non-negative" if allow_zero else "a positive"
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        number = whole_number(value.strip(), field)
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        raise InvalidInput(f"{field} must be {what} integer, got {_brief(repr(value))}",
                           field=field)
    if number < 0 or (number == 0 and not allow_zero):
        raise InvalidInput(f"{field} must be {what} integer, got {_brief(str(number))}",
                           field=field)
    return within_bound(number, field)


def whole_number(digits: str, field: str) -> int:
    """A signed string of digits as an int, refused unread past MAX_QUANTITY's length: Python
    will not convert a string of thousands of digits, and no count has that many."""
    if len(digits.lstrip("+-").lstrip("0")) > _MAX_DIGITS:
        raise _beyond(digits, field)
    return int(digits)


def within_bound(number: int, field: str) -> int:
    if abs(number) > MAX_QUANTITY:
        raise _beyond(str(number), field)
    return number


_MAX_DIGITS = len(str(MAX_QUANTITY))


def _beyond(number: str, field: str) -> InvalidInput:
    return InvalidInput(f"{field} {_brief(number)} is beyond the bound of {MAX_QUANTITY} units",
                        field=field)


def _brief(text: str) -> str:
    """A value quoted in a reason, cut short: a reason names the problem, the raw line the rest."""
    return text if len(text) <= 40 else f"{text[:40]}..."


def required_text(value: object, field: str) -> str:
    """A non-empty identifier; JSON integers are accepted and turned into text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidInput(f"{field} is missing", field=field)
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text or an integer, got {value!r}", field=field)
    return value.strip()


def item_identity(code: str) -> tuple[str, ItemScheme]:
    """A GTIN-shaped code (8/12/13/14 digits, valid check digit) -> GTIN-14, else a SKU."""
    if gs1.is_gtin(code):
        return code.zfill(14), "gtin"
    return code, "sku"


def location_identity(code: str, otherwise: LocationScheme) -> tuple[str, LocationScheme]:
    """A 13-digit code with a valid check digit is a GLN; anything else keeps `otherwise`."""
    if gs1.is_gln(code):
        return code, "gln"
    return code, otherwise


def utc_key(moment: datetime) -> str:
    """The instant as it appears in external ids: UTC, ISO 8601."""
    return moment.astimezone(UTC).isoformat()
