"""UN/EDIFACT INVRPT (EANCOM inventory report) -> counts, parsed with pydifact.

Envelope: the interchange is checked whole before anything is yielded: it must parse, start
with UNB and end with UNZ, UNZ must carry UNB's control reference and the number of messages
(or groups), and each UNH..UNT message must have its UNT segment count and reference right.
Any failure gives one Rejected for the interchange (position "interchange") and no records:
pydifact itself only fails when a file is cut inside a segment. Messages other than INVRPT
are rejected one by one.

Content (EANCOM 1997 / 2002: header DTM, LOC; then LIN-[INV]-QTY-[LOC]-[DTM] per item):

- `LIN+n++<gtin>:SRV` (or EN/UP/no type): the item, validated GTIN -> GTIN-14, "gtin";
  other item number types are kept as "source" codes.
- `QTY+145:<n>[:PCE]` (actual stock) -> one count of `n` (a whole number >= 0, in units).
  Other EANCOM stock qualifiers (in transit, damaged, minimum ...) are not counts and are
  skipped; an unknown qualifier is rejected.
- Location: the LOC after the QTY, else a LOC between LIN and QTY, else the header LOC.
  `LOC+<qualifier>+<id>::9` (agency 9 = GS1) must be a valid GLN -> "gln"; another agency's
  id is kept as "source".
- Time: the DTM+366/179 (inventory date) after the QTY, else the item's, else the header's,
  else the header DTM+137 (document date). Formats 102 CCYYMMDD, 203 CCYYMMDDHHMM and 204
  CCYYMMDDHHMMSS, in `tz` (EDIFACT times carry no zone; default UTC). A 102 date means the end
  of that day (23:59:59.999999): a report of a date states the stock at its close.
- `external_id`: `invrpt:{UNB sender}:{BGM document number}:{location}:{item}:{time in UTC}`,
  stable when the same report is sent again.

`position` is "segment N", counting from UNB = 1 (a UNA service string advice is not counted).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, tzinfo
from typing import BinaryIO

from pydifact.control import Characters
from pydifact.exceptions import EDISyntaxError, MissingImplementationWarning
from pydifact.parser import Parser
from pydifact.segments import Segment
from pydifact.serializer import Serializer

from omnistock.domain import gs1
from omnistock.domain.errors import InvalidInput

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

_CHARSETS = {"UNOA": "ascii", "UNOB": "ascii", "UNOC": "latin-1", "UNOD": "iso8859-2",
             "UNOE": "iso8859-5", "UNOF": "iso8859-7", "UNOW": "utf-8", "UNOY": "utf-8"}
_GTIN_TYPES = frozenset({"", "SRV", "EN", "UP"})
_INVENTORY_DATES = frozenset({"366", "179"})
_UNIT_CODES = frozenset({"", "PCE", "EA", "H87", "C62"})
# EANCOM INVRPT quantity qualifiers that are not the actual stock: skipped, not rejected.
_OTHER_QUANTITIES = frozenset({"1", "12", "21", "66", "81", "89", "96", "97", "98", "124", "146",
                               "157", "160", "194", "197", "198", "199", "31E", "32E", "35E"})
_DATE_FORMATS = {"102": ("%Y%m%d", 8), "203": ("%Y%m%d%H%M", 12), "204": ("%Y%m%d%H%M%S", 14)}
_NUMBER = re.compile(r"-?[0-9]+(?:[.,]0*)?")

Located = tuple[str, LocationScheme]
Named = tuple[str, ItemScheme]


class Malformed(Exception):
    """The interchange cannot be trusted as a whole; the message is the reason."""


@dataclass
class _Interchange:
    segments: list[Segment]  # UNB .. UNZ
    serializer: Serializer
    sender: str

    def raw(self, segments: list[Segment]) -> str:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MissingImplementationWarning)
            return self.serializer.serialize(segments, with_una_header=False)


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
    items: list[_Item] = field(default_factory=list)


def parse_edifact(fileobj: BinaryIO, *, tz: tzinfo = UTC) -> Feed:
    """Counts of an INVRPT interchange, or one Rejected when the interchange is malformed."""
    data = fileobj.read()
    try:
        interchange = read_interchange(data)
    except Malformed as exc:
        yield Rejected("interchange", data.decode("utf-8", "backslashreplace"), str(exc))
        return
    for start, end in _messages(interchange.segments):
        yield from _message(interchange, start, end, tz)


def read_interchange(data: bytes) -> _Interchange:
    """Decode, parse and check the envelope; raise Malformed with the reason."""
    text = _decode(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingImplementationWarning)
        try:
            segments = list(Parser().parse(text))
        except EDISyntaxError as exc:
            raise Malformed(f"not parseable EDIFACT: {exc}") from None
        except Exception as exc:  # pydifact trips on some malformed service segments
            raise Malformed(f"not parseable EDIFACT: {type(exc).__name__}: {exc}") from None
    characters = Characters()
    if segments and segments[0].tag == "UNA":
        characters = Characters.from_str("UNA" + str(segments.pop(0).elements[0]))
    _check_envelope(segments)
    return _Interchange(segments, Serializer(characters), _element(segments[0], 1))


def _decode(data: bytes) -> str:
    if not data.strip():
        raise Malformed("empty file: no interchange")
    match = re.search(rb"UNB.(UNO[A-Z])", data[:300])
    syntax = match.group(1).decode() if match else None
    encoding = _CHARSETS.get(syntax or "", "utf-8")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        declared = f"as UNB declares ({syntax})" if syntax in _CHARSETS else "(assumed)"
        raise Malformed(f"byte 0x{data[exc.start]:02x} at offset {exc.start} is not valid "
                        f"{encoding}, the encoding {declared}") from None


def _check_envelope(segments: list[Segment]) -> None:
    if not segments or segments[0].tag != "UNB":
        raise Malformed("interchange does not start with UNB")
    if segments[-1].tag != "UNZ":
        raise Malformed(f"interchange ends with {segments[-1].tag}, not UNZ: the file is cut "
                        "or incomplete")
    reference, closing = _element(segments[0], 4), _element(segments[-1], 1)
    if not reference:
        raise Malformed("UNB has no interchange control reference (its fifth element)")
    if closing != reference:
        raise Malformed(f"UNZ control reference {closing!r} does not match UNB's {reference!r}")
    messages = list(_messages(segments))
    groups = sum(1 for segment in segments if segment.tag == "UNG")
    expected = groups or len(messages)
    if _element(segments[-1], 0) != str(expected):
        raise Malformed(f"UNZ counts {_element(segments[-1], 0)!r} messages or groups, the "
                        f"interchange has {expected}")


def _messages(segments: list[Segment]) -> Iterator[tuple[int, int]]:
    """(UNH index, UNT index) of each message, checking UNT's count and reference."""
    start: int | None = None
    for index, segment in enumerate(segments[1:-1], start=1):
        if segment.tag == "UNH":
            if start is not None:
                raise Malformed(f"segment {index + 1}: UNH inside message "
                                f"{_element(segments[start], 0)!r}, which has no UNT")
            start = index
        elif segment.tag == "UNT":
            if start is None:
                raise Malformed(f"segment {index + 1}: UNT outside a message")
            _check_trailer(segments[start], segment, index - start + 1)
            yield start, index
            start = None
        elif start is None and segment.tag not in {"UNG", "UNE"}:
            raise Malformed(f"segment {index + 1}: {segment.tag} outside a message (UNH..UNT)")
    if start is not None:
        raise Malformed(f"message {_element(segments[start], 0)!r} has no UNT: the file is cut")


def _check_trailer(unh: Segment, unt: Segment, count: int) -> None:
    reference = _element(unh, 0)
    if _element(unt, 1) != reference:
        raise Malformed(f"UNT reference {_element(unt, 1)!r} does not match UNH's {reference!r}")
    if _element(unt, 0) != str(count):
        raise Malformed(f"message {reference!r}: UNT counts {_element(unt, 0)!r} segments, the "
                        f"message has {count}")


def _message(interchange: _Interchange, start: int, end: int, tz: tzinfo) -> Feed:
    segments = interchange.segments
    kind = _element(segments[start], 1)
    if kind != "INVRPT":
        raw = interchange.raw(segments[start:end + 1])
        yield Rejected(f"segment {start + 1}", raw, f"message {_element(segments[start], 0)!r} "
                       f"is {kind or 'untyped'}, not INVRPT: not applied")
        return
    reader = _Reader(interchange, tz)
    for index in range(start + 1, end + 1):
        yield from reader.read(index + 1, segments[index])


class _Reader:
    """Walks one INVRPT message, segment by segment, yielding a result per QTY+145."""

    def __init__(self, interchange: _Interchange, tz: tzinfo) -> None:
        self.interchange = interchange
        self.tz = tz
        self.header = _Header()
        self.item: _Item | None = None
        self.stock: _Stock | None = None

    def read(self, number: int, segment: Segment) -> Feed:
        tag = segment.tag
        if tag in {"LIN", "INV", "QTY", "UNT"}:
            yield from self._flush()
        elif self.stock is not None:
            self.stock.segments.append(segment)
        if tag == "BGM":
            self.header.document = _element(segment, 1)
        elif tag == "LIN":
            self.item = _Item(segment, _item(segment))
        elif tag == "QTY":
            yield from self._quantity(number, segment)
        elif tag == "LOC":
            self._locate(_location(segment))
        elif tag == "DTM":
            self._date(_element(segment, 0), segment)

    def _quantity(self, number: int, segment: Segment) -> Feed:
        qualifier = _element(segment, 0)
        if qualifier in _OTHER_QUANTITIES:
            return
        raw = self.interchange.raw([segment])
        if qualifier != "145":
            yield Rejected(f"segment {number}", raw, f"QTY qualifier {qualifier!r} is unknown: "
                           "expected 145 (actual stock)")
        elif self.item is None:
            yield Rejected(f"segment {number}", raw, "QTY+145 before any LIN: no item")
        else:
            self.stock = _Stock(number, [segment], _on_hand(segment))

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
        if qualifier == "137" and in_header:
            self.header.document_date = _moment(dtm, self.tz)
        elif qualifier not in _INVENTORY_DATES:
            return  # best-before, production and other dates do not date the stock
        elif self.stock is not None:
            self.stock.date = self.stock.date or _moment(dtm, self.tz)
        elif self.item is not None:
            self.item.date = _moment(dtm, self.tz)
        else:
            self.header.inventory_date = _moment(dtm, self.tz)

    def _flush(self) -> Feed:
        stock, self.stock = self.stock, None
        if stock is None or self.item is None:
            return
        item, header = self.item, self.header
        raw = self.interchange.raw([item.lin, *stock.segments])
        position = f"segment {stock.number}"
        location = stock.location or item.location or header.location
        moment = stock.date or item.date or header.inventory_date or header.document_date
        problem = next((value for value in (item.item, stock.quantity, location, moment)
                        if isinstance(value, str)), None)
        if problem is None and location is None:
            problem = "no LOC names the location of this stock"
        if problem is None and moment is None:
            problem = "no DTM+366, DTM+179 or DTM+137 dates this stock"
        if problem is not None:
            yield Rejected(position, raw, problem)
            return
        assert isinstance(item.item, tuple) and isinstance(stock.quantity, int)
        assert isinstance(location, tuple) and isinstance(moment, datetime)
        key = f"invrpt:{self.interchange.sender}:{header.document}:{location[0]}:" \
            f"{item.item[0]}:{utc_key(moment)}"
        yield FeedRecord(position=position, kind="count", type=None, item_code=item.item[0],
                         item_scheme=item.item[1], location_code=location[0],
                         location_scheme=location[1], quantity=stock.quantity,
                         occurred_at=moment, external_id=key, raw=raw)


def _item(lin: Segment) -> Named | str:
    number, kind = _element(lin, 2, 0), _element(lin, 2, 1)
    if not number:
        return f"LIN {_element(lin, 0)!r} has no item number"
    if kind not in _GTIN_TYPES:
        return number, "source"
    try:
        return gs1.validate_gtin(number, field="LIN item number"), "gtin"
    except InvalidInput as exc:
        return exc.detail


def _location(loc: Segment) -> Located | str:
    code, agency = _element(loc, 1, 0), _element(loc, 1, 2)
    if not code:
        return f"LOC+{_element(loc, 0)} has no location identification"
    if agency != "9":
        return code, "source"
    try:
        return gs1.validate_gln(code, field="LOC location (GLN)"), "gln"
    except InvalidInput as exc:
        return exc.detail


def _on_hand(qty: Segment) -> int | str:
    value, unit = _element(qty, 0, 1), _element(qty, 0, 2)
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


def _moment(dtm: Segment, tz: tzinfo) -> datetime | str:
    qualifier, value, code = (_element(dtm, 0, i) for i in range(3))
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
        return in_utc(moment.replace(tzinfo=tz), f"DTM+{qualifier}")
    except InvalidInput as exc:
        return exc.detail


def _element(segment: Segment, index: int, component: int = 0) -> str:
    """One component of one data element, '' when absent."""
    if index >= len(segment.elements):
        return ""
    value = segment.elements[index]
    if isinstance(value, list):
        return str(value[component]) if component < len(value) else ""
    return str(value) if component == 0 and value is not None else ""
