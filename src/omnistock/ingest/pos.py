"""Till (POS) transactions: CSV or JSON Lines, one sale or return line per record.

Columns / keys: `transaction_id,line,occurred_at,store,sku,quantity,type`, or the source's own
names for them (its `columns` settings, domain/feed_sources.py), extra columns ignored.

- `type` is `sale` or `return` (case-insensitive), or a value the source's `types` maps to one
  (Square's `Payment` / `Refund`). Without a type column, the sign of the quantity decides.
- `quantity` a positive whole number, also written as a decimal (`1.0`); a fraction is refused.
  A negative quantity is a return (a till's refund line), refused on a line typed `sale`.
- `occurred_at` is ISO 8601; or `date` and `time` columns (`date_format` for a date that is not
  ISO). A time without an offset is read in the source's `time_zone`, and refused without one.
- `line`: without a line column, the line's rank among the transaction's lines in the file.
- `store` is a GLN when it is 13 digits with a valid check digit, else the till system's own
  store id (`location_scheme` "source", to be mapped).
- `sku` is a GTIN (normalised to GTIN-14) when it is 8, 12, 13 or 14 digits with a valid check
  digit, else our SKU. Caveat: a numeric SKU of those lengths passes the check digit by chance
  one time in ten and is then read as a GTIN.
- `external_id` is `"{transaction_id}:{line}"`; a re-sent line gets the same id.

The file is read line by line (constant memory, but for the line ranks of a file without a
line column). CSV or JSON Lines is chosen by `format`, else by the file name's extension, else
by the first non-blank line (`{` means JSON Lines).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import BinaryIO

from omnistock.domain.errors import InvalidInput
from omnistock.domain.feed_sources import SourceSettings
from omnistock.domain.movements import MAX_QUANTITY, MovementType

from .records import (
    Feed,
    FeedRecord,
    Rejected,
    item_identity,
    location_identity,
    parse_date_time,
    parse_timestamp,
    parse_whole,
    required_text,
)
from .sniff import Line, LineFormat, csv_rows, format_from_name, iter_lines

COLUMNS = ("transaction_id", "line", "occurred_at", "store", "sku", "quantity", "type")
_TYPES = {"sale": MovementType.SALE, "return": MovementType.RETURN}


def parse_pos(fileobj: BinaryIO, *, format: LineFormat | None = None,
              filename: str | None = None, settings: SourceSettings | None = None) -> Feed:
    """Stream the records of a POS export, in file order."""
    lines: Iterator[Line] = iter_lines(fileobj)
    reader = _Reader(settings or SourceSettings("pos"))
    chosen = format or format_from_name(filename or getattr(fileobj, "name", None))
    if chosen is None:
        first = next((line for line in lines if line.error or line.text.strip()), None)
        if first is None:
            return
        chosen = "jsonl" if first.text.lstrip().startswith("{") else "csv"
        lines = itertools.chain([first], lines)
    if chosen == "csv":
        yield from reader.csv(lines)
    else:
        yield from reader.jsonl(lines)


class _Reader:
    def __init__(self, settings: SourceSettings) -> None:
        self.settings = settings
        self.ranks: dict[str, int] = {}
        self.types = {k.strip().lower(): v for k, v in settings.types.items()}

    def csv(self, lines: Iterator[Line]) -> Feed:
        header = self.settings.header
        timed = "date" in self.settings.columns
        required = ("transaction_id", "store", "sku", "quantity",
                    *(("date", "time") if timed else ("occurred_at",)))
        for row in csv_rows(lines, tuple(header(n) for n in required)):
            if isinstance(row, Rejected):
                yield row
            else:
                fields = {name: row.fields[header(name)] for name in (*COLUMNS, "date", "time")
                          if header(name) in row.fields}
                yield self.record(row.line, fields)

    def jsonl(self, lines: Iterator[Line]) -> Feed:
        for line in lines:
            if line.error is None and not line.text.strip():
                continue
            if line.error is not None:
                yield Rejected(line.position, line.text, line.reason(line.error))
                continue
            try:
                fields = json.loads(line.text)
            except json.JSONDecodeError as exc:
                reason = f"not valid JSON: {exc.msg} at column {exc.colno}"
                yield Rejected(line.position, line.text, line.reason(reason))
                continue
            except ValueError as exc:  # an integer of more digits than Python converts
                yield Rejected(line.position, line.text, line.reason(f"not valid JSON: {exc}"))
                continue
            if not isinstance(fields, dict):
                reason = f"expected a JSON object, got {type(fields).__name__}"
                yield Rejected(line.position, line.text, reason)
                continue
            names = self.settings.columns
            yield self.record(line, {name: fields[names.get(name, name)]
                                     for name in (*COLUMNS, "date", "time")
                                     if names.get(name, name) in fields})

    def record(self, line: Line, fields: Mapping[str, object]) -> FeedRecord | Rejected:
        try:
            return self.movement(line, fields)
        except InvalidInput as exc:
            return Rejected(line.position, line.text, line.reason(exc.detail))

    def movement(self, line: Line, fields: Mapping[str, object]) -> FeedRecord:
        transaction_id = required_text(fields.get("transaction_id"), "transaction_id")
        occurred_at = self.occurred_at(fields)
        shop = required_text(fields.get("store"), "store")
        sku = fields.get("sku")
        if sku is not None and not isinstance(sku, str):  # a number would lose leading zeros
            raise InvalidInput(f"sku must be a string, got {sku!r}", field="sku")
        item_code, item_scheme = item_identity(required_text(sku, "sku"))
        location_code, location_scheme = location_identity(shop, "source")
        type_, quantity = self.typed_quantity(fields)
        line_no = self.line_number(transaction_id, fields.get("line"))
        return FeedRecord(
            position=line.position, kind="movement", type=type_,
            item_code=item_code, item_scheme=item_scheme,
            location_code=location_code, location_scheme=location_scheme,
            quantity=quantity, occurred_at=occurred_at,
            external_id=f"{transaction_id}:{line_no}", raw=line.text,
        )

    def occurred_at(self, fields: Mapping[str, object]) -> datetime:
        zone = self.settings.zone
        if "occurred_at" not in fields and ("date" in fields or "time" in fields):
            return parse_date_time(fields.get("date"), fields.get("time"), "occurred_at", zone,
                                   self.settings.date_format)
        return parse_timestamp(fields.get("occurred_at"), "occurred_at", zone)

    def typed_quantity(self, fields: Mapping[str, object]) -> tuple[MovementType, int]:
        number = parse_whole(fields.get("quantity"), "quantity", "a positive")
        if "type" in fields:
            type_ = self.type(fields.get("type"))
        else:
            type_ = MovementType.RETURN if number < 0 else MovementType.SALE
        if number == 0 or (number < 0 and type_ is MovementType.SALE):
            raise InvalidInput(f"quantity must be a positive integer, got {number}",
                               field="quantity")
        if abs(number) > MAX_QUANTITY:
            raise InvalidInput(f"quantity {number} is beyond the bound of {MAX_QUANTITY} units",
                               field="quantity")
        return type_, abs(number)

    def type(self, value: object) -> MovementType:
        text = value.strip().lower() if isinstance(value, str) else None
        type_ = _TYPES.get(self.types.get(text, text) if text is not None else "")
        if type_ is None:
            known = ", ".join(["sale", "return", *self.settings.types])
            raise InvalidInput(f"type must be one of {known}, got {value!r}", field="type")
        return type_

    def line_number(self, transaction_id: str, value: object) -> str:
        if value is not None and value != "":
            return required_text(value, "line")
        self.ranks[transaction_id] = self.ranks.get(transaction_id, 0) + 1
        return str(self.ranks[transaction_id])
