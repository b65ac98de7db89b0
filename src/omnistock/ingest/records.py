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
from datetime import UTC, datetime, tzinfo

from omnistock.domain import gs1
from omnistock.domain.errors import InvalidInput
from omnistock.domain.feeds import FeedRecord, ItemScheme, LocationScheme, Rejected
from omnistock.domain.movements import MAX_QUANTITY

_INTEGER = re.compile(r"[+-]?[0-9]+")
# Tills and spreadsheets write whole quantities as decimals ("1.0", "2.000"). A decimal comma
# is not read: "2,000" is 2 in one country and 2000 in another.
_WHOLE_DECIMAL = re.compile(r"([+-]?[0-9]+)\.0*")
_DECIMAL = re.compile(r"[+-]?[0-9]*\.[0-9]+")

ParseResult = FeedRecord | Rejected
Feed = Iterator[ParseResult]


def parse_timestamp(value: object, field: str, zone: tzinfo | None = None) -> datetime:
    """ISO 8601 -> aware UTC datetime. A time with no offset is read in `zone` (the source's
    configured time zone), and refused when the source has none: it would be ambiguous."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{field} is missing", field=field)
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{field} {value!r} is not an ISO 8601 date-time", field=field) from None
    return aware(parsed, field, zone, value)


def aware(moment: datetime, field: str, zone: tzinfo | None, written: str) -> datetime:
    """`moment` in UTC; a naive one is local time in `zone`."""
    if moment.tzinfo is not None and moment.utcoffset() is not None:
        return in_utc(moment, field)
    if zone is None:
        raise InvalidInput(
            f"{field} {written!r} has no time zone: add Z or an offset like +01:00, or set the "
            "source's time_zone (PUT /v1/sources/{source}/settings) and import again",
            field=field)
    local = moment.replace(tzinfo=zone)
    # A wall-clock time skipped when clocks go forward names no instant at all.
    if in_utc(local, field).astimezone(zone).replace(tzinfo=None) != moment:
        raise InvalidInput(f"{field} {written!r} does not exist in {zone} (the clocks went "
                           "forward over it)", field=field)
    return in_utc(local, field)


def parse_date_time(date: object, time_: object, field: str, zone: tzinfo | None,
                    date_format: str | None = None) -> datetime:
    """A date column and a time column (HH:MM[:SS]), as tills export them, in `zone`."""
    if not isinstance(date, str) or not date.strip():
        raise InvalidInput(f"{field} date is missing", field=field)
    if not isinstance(time_, str) or not time_.strip():
        raise InvalidInput(f"{field} time is missing", field=field)
    written = f"{date.strip()} {time_.strip()}"
    try:
        day = (datetime.strptime(date.strip(), date_format).date() if date_format
               else datetime.fromisoformat(date.strip()).date())
        clock = datetime.fromisoformat(f"2000-01-01T{time_.strip()}")
    except ValueError:
        expected = date_format or "YYYY-MM-DD"
        raise InvalidInput(f"{field} {written!r} is not a date ({expected}) and a time "
                           "(HH:MM[:SS])", field=field) from None
    moment = datetime.combine(day, clock.time().replace(tzinfo=None), tzinfo=clock.tzinfo)
    return aware(moment, field, zone, written)


def in_utc(moment: datetime, field: str) -> datetime:
    """The instant in UTC; at the ends of the calendar (0001-01-01 with a positive offset,
    9999-12-31 with a negative one) there is none, and the record is refused."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise InvalidInput(f"{field} {moment.isoformat()} is out of range in UTC",
                           field=field) from None


def parse_count(value: object, field: str, *, allow_zero: bool) -> int:
    """A whole number of units, at most MAX_QUANTITY, from a JSON number or a string of
    digits; a decimal is accepted when it is whole (`1.0`), refused with a reason otherwise."""
    what = "a non-negative" if allow_zero else "a positive"
    number = parse_whole(value, field, what)
    if number < 0 or (number == 0 and not allow_zero):
        raise InvalidInput(f"{field} must be {what} integer, got {_brief(str(number))}",
                           field=field)
    return within_bound(number, field)


def parse_whole(value: object, field: str, what: str = "an") -> int:
    """A signed whole number of units written as an integer or a whole decimal."""
    text = value.strip() if isinstance(value, str) else None
    if text is not None and _INTEGER.fullmatch(text):
        return whole_number(text, field)
    if text is not None and (whole := _WHOLE_DECIMAL.fullmatch(text)):
        return whole_number(whole.group(1), field)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) <= MAX_QUANTITY:
        return int(value)
    if (text is not None and _DECIMAL.fullmatch(text)) or isinstance(value, float):
        raise InvalidInput(f"{field} {_brief(str(value))} is not a whole number of units: "
                           "omnistock counts units, not fractions", field=field)
    raise InvalidInput(f"{field} must be {what} integer, got {_brief(repr(value))}",
                       field=field)


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
