"""ERP / WMS stock snapshots: CSV `location,sku,on_hand,as_of`, one count per row.

- Each row is a count (`kind` "count"): `quantity` is `on_hand` (an integer >= 0; a negative
  book stock is rejected, it cannot be an observed count) as of `as_of` (ISO 8601 with a zone).
- `location` is a GLN when it is 13 digits with a valid check digit, else our location code
  (`location_scheme` "code": ERP and WMS location codes are the ones omnistock is keyed by).
- `sku` is a GTIN (GTIN-14) when GTIN-shaped with a valid check digit, else our SKU.
- `external_id` is `"snapshot:{location}:{sku}:{as_of in UTC, ISO 8601}"` with location and sku
  as written in the file, so a re-sent snapshot of the same instant has the same ids.
- A source's `columns` settings name its own headers for these fields (and `date` / `time`
  columns instead of `as_of`); an `as_of` without an offset is read in its `time_zone`;
  `on_hand` may be written as a whole decimal (`12.0`).

Read line by line in constant memory, like the POS feed.
"""

from __future__ import annotations

from typing import BinaryIO

from omnistock.domain.errors import InvalidInput
from omnistock.domain.feed_sources import SourceSettings

from .records import (
    Feed,
    FeedRecord,
    Rejected,
    item_identity,
    location_identity,
    parse_count,
    parse_date_time,
    parse_timestamp,
    required_text,
    utc_key,
)
from .sniff import Row, csv_rows, iter_lines

COLUMNS = ("location", "sku", "on_hand", "as_of")


def parse_snapshot(fileobj: BinaryIO, *, settings: SourceSettings | None = None) -> Feed:
    """Stream the counts of a snapshot CSV, in file order."""
    settings = settings or SourceSettings("snapshot")
    timed = "date" in settings.columns
    required = ("location", "sku", "on_hand", *(("date", "time") if timed else ("as_of",)))
    for row in csv_rows(iter_lines(fileobj), tuple(settings.header(n) for n in required)):
        if isinstance(row, Rejected):
            yield row
            continue
        try:
            yield _count(row, settings, timed)
        except InvalidInput as exc:
            yield Rejected(row.line.position, row.line.text, row.line.reason(exc.detail))


def _count(row: Row, settings: SourceSettings, timed: bool) -> FeedRecord:
    cell = row.fields.get
    header = settings.header
    location = required_text(cell(header("location")), "location")
    sku = required_text(cell(header("sku")), "sku")
    on_hand = parse_count(cell(header("on_hand")), "on_hand", allow_zero=True)
    as_of = (parse_date_time(cell(header("date")), cell(header("time")), "as_of",
                             settings.zone, settings.date_format) if timed
             else parse_timestamp(cell(header("as_of")), "as_of", settings.zone))
    item_code, item_scheme = item_identity(sku)
    location_code, location_scheme = location_identity(location, "code")
    return FeedRecord(
        position=row.line.position, kind="count", type=None,
        item_code=item_code, item_scheme=item_scheme,
        location_code=location_code, location_scheme=location_scheme,
        quantity=on_hand, occurred_at=as_of,
        external_id=f"snapshot:{location}:{sku}:{utc_key(as_of)}", raw=row.line.text,
    )
