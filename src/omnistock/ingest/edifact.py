"""UN/EDIFACT INVRPT (EANCOM inventory report) -> counts, streamed (ingest/edifact_syntax.py).

Envelope: the interchange is checked whole before anything is yielded, in a first pass over
the file that holds one segment at a time: it must start with UNB and end with UNZ, UNZ must
carry UNB's control reference and the number of messages (or groups), and each UNH..UNT
message must have its UNT segment count and reference right. Any failure gives one Rejected
for the interchange (position "interchange") and no records. A second pass yields the records.
A file object that cannot seek is spooled to a temporary file first. Messages other than
INVRPT are rejected one by one.

Content (EANCOM 1997 / 2002: header DTM, NAD, LOC; then LIN-[INV]-QTY-[INV]-[LOC]-[DTM] per
item; in D.96A the INV follows its QTY, from D.97A on it opens the group):

- `LIN+n++<gtin>:SRV` (or EN/UP/no type): the item, validated GTIN -> GTIN-14, "gtin";
  other item number types are kept as "source" codes.
- `QTY+145:<n>[:PCE]` (actual stock) -> one count of `n` (a whole number >= 0, in units).
  Other EANCOM stock qualifiers (in transit, damaged, minimum ...) are not counts and are
  skipped; an unknown qualifier is rejected. A second QTY+145 of the same item, location and
  time in a message is a sub-quantity of the first (by package or batch) and is not a count.
- Location: the LOC after the QTY, else a LOC between LIN and QTY, else the header LOC, else
  the header party that holds the stock: `NAD+SN` (store), `NAD+WH` (warehouse), `NAD+GY`
  (inventory reporting party), `NAD+BY` (buyer), in that order. An id with agency 9 (GS1)
  must be a valid GLN -> "gln"; another agency's id is kept as "source".
- Time: the DTM+366/179 (inventory date) after the QTY, else the item's, else the header's,
  else the header DTM+137 (document date), else the interchange's preparation time (UNB).
  Formats 102 CCYYMMDD, 203 CCYYMMDDHHMM and 204 CCYYMMDDHHMMSS, in `tz` (EDIFACT times
  carry no zone: the source's time zone; default UTC). A 102 date means the close of that day
  (23:59:59.999999), the sender's end of business; but a date of the very day UNB says the
  interchange was prepared states the stock as of its preparation time (the day had not
  closed yet), so that the day's later sales still apply on top of it.
- `external_id`: `invrpt:{UNB sender}:{BGM document number}:{location}:{item}:{time in UTC}`,
  stable when the same report is sent again.

`position` is "segment N", counting from UNB = 1 (a UNA service string advice is not counted).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, tzinfo
from typing import BinaryIO

from omnistock.domain import gs1
from omnistock.domain.errors import InvalidInput

from .edifact_syntax import Malformed, Segment, segments
from .records import (
    Feed,
    FeedRecord,
    ItemScheme,
    LocationScheme,
    Rejected,
    in_utc,
    utc_key,
    whole_number,
    within_bound,
)

_GTIN_TYPES = frozenset({"", "SRV", "EN", "UP"})
_INVENTORY_DATES = frozenset({"366", "179"})
_UNIT_CODES = frozenset({"", "PCE", "EA", "H87", "C62"})
# EANCOM INVRPT quantity qualifiers that are not the actual stock: skipped, not rejected.
_OTHER_QUANTITIES = frozenset({"1", "12", "21", "66", "81", "89", "96", "97", "98", "124", "146",
                               "157", "160", "194", "197", "198", "199", "31E", "32E", "35E"})
_DATE_FORMATS = {"102": ("%Y%m%d", 8), "203": ("%Y%m%d%H%M", 12), "204": ("%Y%m%d%H%M%S", 14)}
_NUMBER = re.compile(r"-?[0-9]+(?:[.,]0*)?")
# Parties that hold the reported stock, the most specific first.
_HOLDERS = ("SN", "WH", "GY", "BY")
_RAW_LIMIT = 1 << 16  # of an interchange or message quoted whole in a rejection

Located = tuple[str, LocationScheme]
Named = tuple[str, ItemScheme]


@dataclass
class _Interchange:
    sender: str
    prepared: datetime | None  # UNB preparation date and time, in the source's zone


@dataclass
class _Stock:
    """One QTY+145 being assembled with the LOC and DTM that follow it."""

    number: int
    segments: list[Segment]
    quantity: int | str  # str: why the quantity is unusable
    location: Located | str | None = None
    date: datetime | str | None = None


@dataclass
class _Item:
    lin: Segment
    item: Named | str
    location: Located | str | None = None
    date: datetime | str | None = None


@dataclass
class _Header:
    document: str = ""
    location: Located | str | None = None
    inventory_date: datetime | str | None = None
    document_date: datetime | str | None = None
    parties: dict[str, Located | str] = field(default_factory=dict)  # NAD qualifier -> id

    def holder(self) -> Located | str | None:
        return next((self.parties[q] for q in _HOLDERS if q in self.parties), None)


def parse_edifact(fileobj: BinaryIO, *, tz: tzinfo = UTC) -> Feed:
    """Counts of an INVRPT interchange, or one Rejected when the interchange is malformed."""
    with _seekable(fileobj) as data:
        try:
            interchange = check_interchange(data, tz)
        except Malformed as exc:
            yield Rejected("interchange", _quote(data), str(exc))
            return
        data.seek(0)
        yield from _records(data, interchange, tz)


class _seekable:
    """The file itself when it can seek back, else a temporary copy (two passes read it)."""

    def __init__(self, fileobj: BinaryIO) -> None:
        self.fileobj: BinaryIO = fileobj
        self.copy: BinaryIO | None = None

    def __enter__(self) -> BinaryIO:
        seekable = getattr(self.fileobj, "seekable", None)
        if seekable is not None and seekable():
            return self.fileobj
        copy: BinaryIO = tempfile.TemporaryFile()
        shutil.copyfileobj(self.fileobj, copy)
        copy.seek(0)
        self.copy = copy
        return copy

    def __exit__(self, *_: object) -> None:
        if self.copy is not None:
            self.copy.close()


def _quote(data: BinaryIO) -> str:
    data.seek(0)
    head = data.read(_RAW_LIMIT + 1)
    text = head[:_RAW_LIMIT].decode("utf-8", "backslashreplace")
    return text if len(head) <= _RAW_LIMIT else f"{text}... (cut at {_RAW_LIMIT} bytes)"


def check_interchange(data: BinaryIO, tz: tzinfo = UTC) -> _Interchange:
    """Check the envelope in one pass, a segment at a time; raise Malformed with the reason."""
    first: Segment | None = None
    last: Segment | None = None
    open_message: Segment | None = None
    messages = groups = count = 0
    for number, segment in enumerate(segments(data), start=1):
        if first is None:
            if segment.tag != "UNB":
                raise Malformed("interchange does not start with UNB")
            first = segment
        elif last is not None:
            raise Malformed(f"segment {number}: {segment.tag} after UNZ")
        elif segment.tag == "UNZ":
            last = segment
        elif segment.tag == "UNH":
            if open_message is not None:
                raise Malformed(f"segment {number}: UNH inside message "
                                f"{open_message.element(0)!r}, which has no UNT")
            open_message, count = segment, 1
        elif segment.tag == "UNT":
            if open_message is None:
                raise Malformed(f"segment {number}: UNT outside a message")
            _check_trailer(open_message, segment, count + 1)
            open_message, messages = None, messages + 1
        elif open_message is not None:
            count += 1
        elif segment.tag in {"UNG", "UNE"}:
            groups += segment.tag == "UNG"
        else:
            raise Malformed(f"segment {number}: {segment.tag} outside a message (UNH..UNT)")
        previous = segment
    if first is None:
        raise Malformed("empty file: no interchange")
    if open_message is not None:
        raise Malformed(f"message {open_message.element(0)!r} has no UNT: the file is cut")
    if last is None:
        raise Malformed(f"interchange ends with {previous.tag}, not UNZ: the file is cut "
                        "or incomplete")
    reference, closing = first.element(4), last.element(1)
    if not reference:
        raise Malformed("UNB has no interchange control reference (its fifth element)")
    if closing != reference:
        raise Malformed(f"UNZ control reference {closing!r} does not match UNB's {reference!r}")
    expected = groups or messages
    if last.element(0) != str(expected):
        raise Malformed(f"UNZ counts {last.element(0)!r} messages or groups, the "
                        f"interchange has {expected}")
    return _Interchange(first.element(1), _prepared(first, tz))


def _prepared(unb: Segment, tz: tzinfo) -> datetime | None:
    """UNB's preparation date (YYMMDD, or CCYYMMDD in syntax 4) and time (HHMM)."""
    day, clock = unb.element(3, 0), unb.element(3, 1)
    pattern = {6: "%y%m%d", 8: "%Y%m%d"}.get(len(day))
    if pattern is None or len(clock) != 4:
        return None
    try:
        moment = datetime.strptime(day + clock, pattern + "%H%M")
        return in_utc(moment.replace(tzinfo=tz), "UNB preparation time")
    except (ValueError, InvalidInput):
        return None


def _check_trailer(unh: Segment, unt: Segment, count: int) -> None:
    reference = unh.element(0)
    if unt.element(1) != reference:
        raise Malformed(f"UNT reference {unt.element(1)!r} does not match UNH's {reference!r}")
    if unt.element(0) != str(count):
        raise Malformed(f"message {reference!r}: UNT counts {unt.element(0)!r} segments, the "
                        f"message has {count}")


def _records(data: BinaryIO, interchange: _Interchange, tz: tzinfo) -> Feed:
    reader: _Reader | None = None
    skipped: list[str] | None = None  # the raw text of a message that is not an INVRPT
    start = 0
    for number, segment in enumerate(segments(data), start=1):
        if segment.tag == "UNH":
            start = number
            if segment.element(1, 0) == "INVRPT":
                reader = _Reader(interchange, tz, segment.element(1, 2))
            else:
                skipped = [segment.raw]
            continue
        if skipped is not None:
            if sum(map(len, skipped)) < _RAW_LIMIT:
                skipped.append(segment.raw)
            if segment.tag == "UNT":
                yield Rejected(f"segment {start}", "".join(skipped)[:_RAW_LIMIT],
                               _not_invrpt(skipped[0]))
                skipped = None
            continue
        if reader is not None:
            yield from reader.read(number, segment)
            if segment.tag == "UNT":
                reader = None


def _not_invrpt(unh_raw: str) -> str:
    reference, kind = _unh_fields(unh_raw)
    return f"message {reference!r} is {kind or 'untyped'}, not INVRPT: not applied"


def _unh_fields(unh_raw: str) -> tuple[str, str]:
    parts = unh_raw.rstrip("'").split("+")
    reference = parts[1] if len(parts) > 1 else ""
    kind = parts[2].split(":")[0] if len(parts) > 2 else ""
    return reference, kind


class _Reader:
    """Walks one INVRPT message, segment by segment, yielding a result per QTY+145."""

    def __init__(self, interchange: _Interchange, tz: tzinfo, release: str) -> None:
        self.interchange = interchange
        self.tz = tz
        self.header = _Header()
        self.item: _Item | None = None
        self.stock: _Stock | None = None
        self.seen: set[tuple[str, str, datetime]] = set()
        # Up to D.96A an INV follows the QTY it qualifies; from D.97A on it opens the group.
        self.inv_opens = not (release[:2].isdigit() and "90" <= release[:2] <= "96")

    def read(self, number: int, segment: Segment) -> Feed:
        tag = segment.tag
        if tag in {"LIN", "QTY", "UNT"} or (tag == "INV" and self.inv_opens):
            yield from self._flush()
        elif self.stock is not None:
            self.stock.segments.append(segment)
        if tag == "BGM":
            self.header.document = segment.element(1)
        elif tag == "LIN":
            self.item = _Item(segment, _item(segment))
        elif tag == "QTY":
            yield from self._quantity(number, segment)
        elif tag == "LOC":
            self._locate(_location(segment, "LOC"))
        elif tag == "NAD" and self.item is None and segment.element(0) in _HOLDERS:
            self._party(segment)
        elif tag == "DTM":
            self._date(segment.element(0), segment)

    def _quantity(self, number: int, segment: Segment) -> Feed:
        qualifier = segment.element(0)
        if qualifier in _OTHER_QUANTITIES:
            return
        raw = segment.raw
        if qualifier != "145":
            yield Rejected(f"segment {number}", raw, f"QTY qualifier {qualifier!r} is unknown: "
                           "expected 145 (actual stock)")
        elif self.item is None:
            yield Rejected(f"segment {number}", raw, "QTY+145 before any LIN: no item")
        else:
            self.stock = _Stock(number, [segment], _on_hand(segment))

    def _party(self, nad: Segment) -> None:
        qualifier, party = nad.element(0), _location(nad, f"NAD+{nad.element(0)}")
        known = self.header.parties.get(qualifier)
        if known is None or known == party or isinstance(party, str):
            self.header.parties[qualifier] = known if isinstance(party, str) and known else party
        elif isinstance(known, tuple):
            self.header.parties[qualifier] = (
                f"the header names two NAD+{qualifier} parties ({known[0]} and {party[0]}): "
                "which one holds the stock is ambiguous")

    def _locate(self, location: Located | str) -> None:
        if self.stock is not None:
            if self.stock.location is None:
                self.stock.location = location
        elif self.item is not None:
            self.item.location = location
        elif isinstance(location, str) or self.header.location in (None, location):
            self.header.location = location
        elif isinstance(self.header.location, tuple):
            self.header.location = (f"the header names two locations ({self.header.location[0]} "
                                    f"and {location[0]}): which one holds the stock is ambiguous")

    def _date(self, qualifier: str, dtm: Segment) -> None:
        """Inventory dates (366, 179) at any level; the document date (137) in the header."""
        in_header = self.item is None
        moment = lambda: _moment(dtm, self.tz, self.interchange.prepared)  # noqa: E731
        if qualifier == "137" and in_header:
            self.header.document_date = moment()
        elif qualifier not in _INVENTORY_DATES:
            return  # best-before, production and other dates do not date the stock
        elif self.stock is not None:
            self.stock.date = self.stock.date or moment()
        elif self.item is not None:
            self.item.date = moment()
        else:
            self.header.inventory_date = moment()

    def _flush(self) -> Feed:
        stock, self.stock = self.stock, None
        if stock is None or self.item is None:
            return
        item, header = self.item, self.header
        raw = "".join(s.raw for s in (item.lin, *stock.segments))
        position = f"segment {stock.number}"
        location = stock.location or item.location or header.location or header.holder()
        moment = (stock.date or item.date or header.inventory_date or header.document_date
                  or self.interchange.prepared)
        problem = next((value for value in (item.item, stock.quantity, location, moment)
                        if isinstance(value, str)), None)
        if problem is None and location is None:
            problem = ("no LOC or NAD+SN/WH/GY/BY names the location of this stock")
        if problem is None and moment is None:
            problem = "no DTM+366, DTM+179 or DTM+137, nor UNB preparation time, dates this stock"
        if problem is not None:
            yield Rejected(position, raw, problem)
            return
        assert isinstance(item.item, tuple) and isinstance(stock.quantity, int)
        assert isinstance(location, tuple) and isinstance(moment, datetime)
        seen = (item.item[0], location[0], moment)
        if seen in self.seen:
            return  # a sub-quantity (by package, batch ...) of the count already read
        self.seen.add(seen)
        key = f"invrpt:{self.interchange.sender}:{header.document}:{location[0]}:" \
            f"{item.item[0]}:{utc_key(moment)}"
        yield FeedRecord(position=position, kind="count", type=None, item_code=item.item[0],
                         item_scheme=item.item[1], location_code=location[0],
                         location_scheme=location[1], quantity=stock.quantity,
                         occurred_at=moment, external_id=key, raw=raw)


def _item(lin: Segment) -> Named | str:
    number, kind = lin.element(2, 0), lin.element(2, 1)
    if not number:
        return f"LIN {lin.element(0)!r} has no item number"
    if kind not in _GTIN_TYPES:
        return number, "source"
    try:
        return gs1.validate_gtin(number, field="LIN item number"), "gtin"
    except InvalidInput as exc:
        return exc.detail


def _location(segment: Segment, what: str) -> Located | str:
    """The party or place id of a LOC or NAD (both in element 1: id, list, agency)."""
    code, agency = segment.element(1, 0), segment.element(1, 2)
    if not code:
        return f"{what} has no location identification"
    if agency != "9":
        return code, "source"
    try:
        return gs1.validate_gln(code, field=f"{what.split('+')[0]} location (GLN)"), "gln"
    except InvalidInput as exc:
        return exc.detail


def _on_hand(qty: Segment) -> int | str:
    value, unit = qty.element(0, 1), qty.element(0, 2)
    if unit not in _UNIT_CODES:
        return f"QTY+145 {value} is in {unit}, not in units"
    if not _NUMBER.fullmatch(value):
        return f"QTY+145 quantity {value!r} is not a whole number"
    try:
        number = within_bound(whole_number(re.split(r"[.,]", value)[0], "QTY+145 quantity"),
                              "QTY+145 quantity")
    except InvalidInput as exc:
        return exc.detail
    if number < 0:
        return f"QTY+145 actual stock {number} is negative: a count is 0 or more"
    return number


def _moment(dtm: Segment, tz: tzinfo, prepared: datetime | None) -> datetime | str:
    qualifier, value, code = (dtm.element(0, i) for i in range(3))
    if code not in _DATE_FORMATS:
        return f"DTM+{qualifier} format {code!r} is not supported (102, 203 or 204)"
    pattern, length = _DATE_FORMATS[code]
    try:
        if len(value) != length:
            raise ValueError(value)
        moment = datetime.strptime(value, pattern)
    except ValueError:
        return f"DTM+{qualifier} value {value!r} is not a date of format {code}"
    if code == "102":
        moment = datetime.combine(moment.date(), time.max)
    try:
        instant = in_utc(moment.replace(tzinfo=tz), f"DTM+{qualifier}")
    except InvalidInput as exc:
        return exc.detail
    if code == "102" and prepared is not None and moment.date() == prepared.astimezone(tz).date():
        return prepared  # the day had not closed when the report was made
    return instant  # a later day is a date in the future: the time window refuses it
