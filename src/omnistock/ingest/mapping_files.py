"""Code mappings in bulk, from a CSV file: omnistock's own `kind,code,target`, or a file of
Shopify ids beside our codes (`inventory_item_id,sku`, `variant_id,sku`, `location_id,location`,
also as Shopify's export headers write them: `Inventory Item ID`, `Variant SKU`, ...).

Shopify ids become the codes its webhooks are read with (ingest/shopify.py):
`inventory_item:<id>` and `variant:<id>` for items, the numeric id itself for locations.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import BinaryIO

from omnistock.domain.errors import InvalidInput

from .records import Rejected
from .sniff import Line, csv_rows, iter_lines

Mapping = tuple[str, str, str, str]  # (position, kind, code, target)
_ALIASES = {"variant_sku": "sku", "shopify_location_id": "location_id",
            "location_code": "location"}
_PAIRS = (("inventory_item_id", "sku", "item", "inventory_item:"),
          ("variant_id", "sku", "item", "variant:"),
          ("location_id", "location", "location", ""))


def read_mappings(fileobj: BinaryIO) -> Iterator[Mapping]:
    """The mappings of the file, in order; InvalidInput names the first line that is wrong."""
    for row in csv_rows(_normalised(iter_lines(fileobj)), ()):
        if isinstance(row, Rejected):
            raise InvalidInput(f"{row.position}: {row.reason}", field="body")
        fields, position = row.fields, row.line.position
        found = list(_row_mappings(fields))
        if not found and not any(fields.values()):
            continue
        if not found:
            raise InvalidInput(f"{position}: no mapping in this line: expected columns "
                               "kind,code,target, or inventory_item_id / variant_id with sku, "
                               "or location_id with location", field="body")
        for kind, code, target in found:
            yield position, kind, code, target


def _row_mappings(fields: dict[str, str]) -> Iterator[tuple[str, str, str]]:
    if {"kind", "code", "target"} <= fields.keys():
        if fields["kind"] or fields["code"] or fields["target"]:
            yield fields["kind"], fields["code"], fields["target"]
        return
    for id_column, target_column, kind, prefix in _PAIRS:
        code, target = fields.get(id_column, ""), fields.get(target_column, "")
        if code and target:
            yield kind, prefix + code.removeprefix(f"gid://shopify/{_gid(id_column)}/"), target


def _gid(column: str) -> str:
    return {"inventory_item_id": "InventoryItem", "variant_id": "ProductVariant",
            "location_id": "Location"}[column]


def _normalised(lines: Iterable[Line]) -> Iterator[Line]:
    """The header written as omnistock's names: lower case, underscores, aliases."""
    first = True
    for line in lines:
        if first and line.error is None and line.text.strip():
            first = False
            names = [c.strip().lower().replace(" ", "_") for c in line.text.split(",")]
            line = Line(line.number, ",".join(_ALIASES.get(n, n) for n in names), None,
                        line.terminated)
        yield line
