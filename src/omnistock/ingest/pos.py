"""Till (POS) transactions: CSV or JSON Lines, one sale or return line per record.

Columns / keys: `transaction_id,line,occurred_at,store,sku,quantity,type`.

- `type` is `sale` or `return` (case-insensitive); `quantity` a positive integer.
- `occurred_at` is ISO 8601 with a zone; a naive time is rejected.
- `store` is a GLN when it is 13 digits with a valid check digit, else the till system's own
  store id (`location_scheme` "source", to be mapped).
- `sku` is a GTIN (normalised to GTIN-14) when it is 8, 12, 13 or 14 digits with a valid check
  digit, else our SKU. Caveat: a numeric SKU of those lengths passes the check digit by chance
  one time in ten and is then read as a GTIN.
- `external_id` is `"{transaction_id}:{line}"`; a re-sent line gets the same id.

The file is read line by line (constant memory). CSV or JSON Lines is chosen by `format`, else
by the file name's extension, else by the first non-blank line (`{` means JSON Lines).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Mapping
from typing import BinaryIO

from omnistock.domain.errors import InvalidInput
from omnistock.domain.movements import MovementType

from .records import (
    Feed,
    FeedRecord,
    Rejected,
    item_identity,
    location_identity,
    parse_count,
    parse_timestamp,
    required_text,
)
from .sniff import Line, LineFormat, csv_rows, format_from_name, iter_lines

COLUMNS = ("transaction_id", "line", "occurred_at", "store", "sku", "quantity", "type")
_TYPES = {"sale": MovementType.SALE, "return": MovementType.RETURN}


def parse_pos(fileobj: BinaryIO, *, format: LineFormat | None = None,
              filename: str | None = None) -> Feed:
    """Stream the records of a POS export, in file order."""
    lines: Iterator[Line] = iter_lines(fileobj)
    chosen = format or format_from_name(filename or getattr(fileobj, "name", None))
    if chosen is None:
        first = next((line for line in lines if line.error or line.text.strip()), None)
        if first is None:
            return
        chosen = "jsonl" if first.text.lstrip().startswith("{") else "csv"
        lines = itertools.chain([first], lines)
    if chosen == "csv":
        yield from _from_csv(lines)
    else:
        yield from _from_jsonl(lines)


def _from_csv(lines: Iterator[Line]) -> Feed:
    for row in csv_rows(lines, COLUMNS):
        if isinstance(row, Rejected):
            yield row
        else:
            yield _record(row.line, row.fields)


def _from_jsonl(lines: Iterator[Line]) -> Feed:
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
        yield _record(line, fields)


def _record(line: Line, fields: Mapping[str, object]) -> FeedRecord | Rejected:
    try:
        return _movement(line, fields)
    except InvalidInput as exc:
        return Rejected(line.position, line.text, line.reason(exc.detail))


def _movement(line: Line, fields: Mapping[str, object]) -> FeedRecord:
    transaction_id = required_text(fields.get("transaction_id"), "transaction_id")
    line_no = required_text(fields.get("line"), "line")
    occurred_at = parse_timestamp(fields.get("occurred_at"), "occurred_at")
    shop = required_text(fields.get("store"), "store")
    sku = fields.get("sku")
    if sku is not None and not isinstance(sku, str):  # a number would lose leading zeros
        raise InvalidInput(f"sku must be a string, got {sku!r}", field="sku")
    item_code, item_scheme = item_identity(required_text(sku, "sku"))
    location_code, location_scheme = location_identity(shop, "source")
    quantity = parse_count(fields.get("quantity"), "quantity", allow_zero=False)
    return FeedRecord(
        position=line.position, kind="movement", type=_type(fields.get("type")),
        item_code=item_code, item_scheme=item_scheme,
        location_code=location_code, location_scheme=location_scheme,
        quantity=quantity, occurred_at=occurred_at,
        external_id=f"{transaction_id}:{line_no}", raw=line.text,
    )


def _type(value: object) -> MovementType:
    type_ = _TYPES.get(value.strip().lower()) if isinstance(value, str) else None
    if type_ is None:
        raise InvalidInput(f"type must be sale or return, got {value!r}", field="type")
    return type_
