"""Shopify webhooks (REST JSON payloads) -> records, and the webhook signature check.

Mapping (`item_scheme` "sku" when the line has a `sku`, else "source" with
`"variant:{variant_id}"` or `"inventory_item:{inventory_item_id}"`; `location_scheme` is always
"source" with Shopify's numeric `location_id`, or "" when Shopify gives none: the import then
places the record through the source's default location mapping (code `*`), and quarantines
it, retryable, while there is none; times are the payload's, in UTC):

| topic                     | record                                                          |
|---------------------------|-----------------------------------------------------------------|
| `orders/create`           | a `sale` per line of each successful fulfillment in the order,  |
|                           | at the fulfillment's location and time, `external_id`           |
|                           | `fulfillment:{fulfillment_id}:line:{line_item_id}` (the same as |
|                           | `fulfillments/create` gives, so receiving both applies once);   |
|                           | a line in no fulfillment: at the order's `location_id` (POS),   |
|                           | at `processed_at`, `order:{order_id}:line:{line_item_id}`; a    |
|                           | line marked fulfilled with neither: at no location (see above). |
|                           | Lines not fulfilled yet give no record (their stock moves       |
|                           | through omnistock's own order flow).                            |
| `fulfillments/create`,    | a `sale` per line of a fulfillment whose `status` is `success`  |
| `fulfillments/update`     | (pending, open, cancelled, failed ones move nothing yet)        |
| `refunds/create`          | a `return` per refund line with `restock_type` `return` or      |
|                           | `legacy_restock`, or of a refund of the older form with         |
|                           | `"restock": true` and no `restock_type`, at the line's          |
|                           | `location_id` (older refunds have none: see above);             |
|                           | `external_id` `refund:{refund_id}:line:{refund_line_item_id}`   |
| `orders/cancelled`        | the same returns, from the order's `refunds` (same external ids |
|                           | as `refunds/create`, so receiving both applies each once)       |
| `inventory_levels/update` | Shopify's `available` at `updated_at`, a count of what is       |
|                           | sellable (kind "available"): on_hand becomes it plus what       |
|                           | omnistock holds there (committed, reserved, damaged, quality    |
|                           | control, safety stock); `external_id`                           |
|                           | `inventory_level:{inventory_item_id}:{location_id}:{updated_at}`|
| `fulfillment_orders/*`    | nothing: a fulfillment order assigns or moves work between      |
|                           | locations, no unit leaves a shelf until its fulfillment         |

Not applied, on purpose: `restock_type` `cancel` (Shopify uses it for lines that were never
fulfilled: the units never left the shelf, so adding them back would overstate on_hand),
`no_restock` and `"restock": false`; gift card lines. If omnistock pushes levels to Shopify,
the echoed `inventory_levels/update` must not be applied back.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

from omnistock.domain.errors import InvalidInput
from omnistock.domain.movements import MovementType

from .records import (
    Feed,
    FeedRecord,
    ItemScheme,
    Rejected,
    parse_count,
    parse_timestamp,
    required_text,
    utc_key,
)

RESTOCKED = frozenset({"return", "legacy_restock"})
NOT_RESTOCKED = frozenset({"cancel", "no_restock"})
NO_LOCATION = ""  # Shopify named no location: the import uses the source's default one
FULFILLMENT_ORDER_TOPICS = ("fulfillment_orders/cancelled", "fulfillment_orders/moved",
                            "fulfillment_orders/placed_on_hold",
                            "fulfillment_orders/hold_released",
                            "fulfillment_orders/fulfillment_request_accepted",
                            "fulfillment_orders/scheduled_fulfillment_order_ready")


def verify_hmac(raw_body: bytes, header_value: str, secret: str) -> bool:
    """True when `X-Shopify-Hmac-Sha256` is the base64 HMAC-SHA256 of the raw body."""
    if not header_value or not secret:
        return False
    digest = hmac.new(secret.encode(), raw_body, hashlib.sha256).digest()
    expected = base64.b64encode(digest)
    return hmac.compare_digest(expected, header_value.strip().encode())


def parse_webhook(topic: str, body: bytes | str | Mapping[str, Any]) -> Feed:
    """Records of one webhook delivery; `topic` is the `X-Shopify-Topic` header."""
    handler = TOPICS.get(topic)
    raw = _raw(body)
    if handler is None:
        yield Rejected("webhook", raw, f"topic {topic!r} is not applied ({', '.join(TOPICS)})")
        return
    if isinstance(body, Mapping):
        yield from handler(body)
        return
    try:
        payload = json.loads(body)
    except ValueError as exc:  # also undecodable bytes, and integers too long to convert
        yield Rejected("webhook", raw, f"body is not valid JSON: {exc}")
        return
    if not isinstance(payload, dict):
        yield Rejected("webhook", raw, f"body must be a JSON object, got {type(payload).__name__}")
        return
    yield from handler(payload)


def order_created(order: Mapping[str, Any]) -> Feed:
    try:
        order_id = required_text(order.get("id"), "id")
        sold_at = _time(order)
    except InvalidInput as exc:
        yield Rejected("order", _dump(order), f"order {exc.detail}")
        return
    if not isinstance(order.get("line_items"), list):
        yield Rejected(f"order {order_id}", _dump(order), "order has no line_items list")
        return
    lines = {line_id: line for line in order["line_items"]
             if isinstance(line, dict) and (line_id := _optional_id(line.get("id")))}
    shipped: set[str] = set()
    for index, fulfillment in enumerate(_list(order, "fulfillments")):
        if isinstance(fulfillment, dict) and fulfillment.get("status") == "success":
            for record in fulfilled(fulfillment, lines,
                                    f"order {order_id} fulfillments[{index}]", sold_at):
                if isinstance(record, FeedRecord):
                    shipped.add(record.external_id.rsplit(":", 1)[1])
                yield record
    for index, line in enumerate(order["line_items"]):
        position = f"order {order_id} line_items[{index}]"
        try:
            yield from _sale(order_id, line, position, sold_at, shipped, order)
        except InvalidInput as exc:
            yield Rejected(position, _dump(line), exc.detail)


def fulfillment_changed(fulfillment: Mapping[str, Any]) -> Feed:
    """`fulfillments/create` and `fulfillments/update`: a sale per line once it succeeded."""
    if fulfillment.get("status") != "success":
        return
    yield from fulfilled(fulfillment, {}, f"fulfillment {fulfillment.get('id')}")


def fulfilled(fulfillment: Mapping[str, Any], order_lines: Mapping[str, Any],
              where: str, order_time: datetime | None = None) -> Feed:
    """Sales of a successful fulfillment's lines, at its time (else its order's)."""
    try:
        fulfillment_id = required_text(fulfillment.get("id"), "fulfillment id")
        dated = fulfillment.get("created_at") or fulfillment.get("processed_at")
        at = _time(fulfillment) if dated or order_time is None else order_time
    except InvalidInput as exc:
        yield Rejected(where, _dump(fulfillment), exc.detail)
        return
    location = _optional_id(fulfillment.get("location_id")) or NO_LOCATION
    for index, line in enumerate(_list(fulfillment, "line_items")):
        position = f"{where} line_items[{index}]"
        try:
            line = _object(line, "fulfillment line item")
            line_id = required_text(line.get("id"), "line_items.id")
            if line.get("gift_card") is True or order_lines.get(line_id, {}).get("gift_card"):
                continue
            item = {**order_lines.get(line_id, {}), **line}
            yield _movement(position, MovementType.SALE, item, location, at,
                            f"fulfillment:{fulfillment_id}:line:{line_id}")
        except InvalidInput as exc:
            yield Rejected(position, _dump(line), exc.detail)


def order_cancelled(order: Mapping[str, Any]) -> Feed:
    for index, refund in enumerate(_list(order, "refunds")):
        if isinstance(refund, dict):
            yield from refund_created(refund)
        else:
            yield Rejected(f"order refunds[{index}]", _dump(refund), "refund is not an object")


def refund_created(refund: Mapping[str, Any]) -> Feed:
    try:
        refund_id = required_text(refund.get("id"), "id")
        restocked_at = _time(refund)
    except InvalidInput as exc:
        yield Rejected("refund", _dump(refund), f"refund {exc.detail}")
        return
    legacy = refund.get("restock")  # refunds from before restock_type: one flag for all
    for index, line in enumerate(_list(refund, "refund_line_items")):
        position = f"refund {refund_id} refund_line_items[{index}]"
        try:
            yield from _return(refund_id, line, position, restocked_at, legacy)
        except InvalidInput as exc:
            yield Rejected(position, _dump(line), exc.detail)


def inventory_level_updated(level: Mapping[str, Any]) -> Feed:
    try:
        item_id = required_text(level.get("inventory_item_id"), "inventory_item_id")
        location_id = required_text(level.get("location_id"), "location_id")
        updated_at = parse_timestamp(level.get("updated_at"), "updated_at")
        if level.get("available") is None:
            raise InvalidInput("available is null: the item is not inventory-tracked",
                               field="available")
        available = parse_count(level.get("available"), "available", allow_zero=True)
    except InvalidInput as exc:
        yield Rejected("inventory_level", _dump(level), exc.detail)
        return
    yield FeedRecord(
        position="inventory_level", kind="available", type=None,
        item_code=f"inventory_item:{item_id}", item_scheme="source",
        location_code=location_id, location_scheme="source",
        quantity=available, occurred_at=updated_at,
        external_id=f"inventory_level:{item_id}:{location_id}:{utc_key(updated_at)}",
        raw=_dump(level),
    )


def no_stock_change(_: Mapping[str, Any]) -> Feed:
    return iter(())


TOPICS: dict[str, Callable[[Mapping[str, Any]], Feed]] = {
    "orders/create": order_created,
    "orders/cancelled": order_cancelled,
    "refunds/create": refund_created,
    "inventory_levels/update": inventory_level_updated,
    "fulfillments/create": fulfillment_changed,
    "fulfillments/update": fulfillment_changed,
    **dict.fromkeys(FULFILLMENT_ORDER_TOPICS, no_stock_change),
}
# Why a topic applied may read no record: said in the reply, so that it is never silent.
NOTES = {
    **dict.fromkeys(FULFILLMENT_ORDER_TOPICS, "fulfillment orders move no stock: the "
                    "fulfillment that ships them records the sale"),
    "fulfillments/create": "only a fulfillment whose status is success moves stock",
    "fulfillments/update": "only a fulfillment whose status is success moves stock",
    "orders/create": "lines not fulfilled yet move no stock until their fulfillment",
}


def _sale(order_id: str, line: Any, position: str, sold_at: datetime, shipped: set[str],
          order: Mapping[str, Any]) -> Iterator[FeedRecord]:
    line = _object(line, "line item")
    line_id = required_text(line.get("id"), "line_items.id")
    if line.get("gift_card") is True or line_id in shipped:
        return
    location = _optional_id(order.get("location_id"))
    if location is None and line.get("fulfillment_status") in ("fulfilled", "partial"):
        location = NO_LOCATION  # fulfilled, but Shopify does not say where from
    if location is None:
        return  # an online line not fulfilled yet: see the module docstring
    yield _movement(position, MovementType.SALE, line, location, sold_at,
                    f"order:{order_id}:line:{line_id}")


def _return(refund_id: str, line: Any, position: str, restocked_at: datetime,
            legacy: object) -> Iterator[FeedRecord]:
    line = _object(line, "refund line item")
    restock = line.get("restock_type")
    if restock is None and isinstance(legacy, bool):
        restock = "legacy_restock" if legacy else "no_restock"
    if restock in NOT_RESTOCKED:
        return
    if restock not in RESTOCKED:
        raise InvalidInput(f"restock_type {restock!r} is not one of return, legacy_restock, "
                           "cancel, no_restock (and the refund has no restock flag)",
                           field="restock_type")
    line_id = required_text(line.get("id"), "refund_line_items.id")
    location = _optional_id(line.get("location_id")) or NO_LOCATION
    sold = _object(line.get("line_item"), "refund line item's line_item")
    quantity = parse_count(line.get("quantity"), "quantity", allow_zero=False)
    yield _movement(position, MovementType.RETURN, {**sold, "quantity": quantity}, location,
                    restocked_at, f"refund:{refund_id}:line:{line_id}", raw=_dump(line))


def _movement(position: str, type_: MovementType, line: Mapping[str, Any], location: str,
              occurred_at: datetime, external_id: str, raw: str | None = None) -> FeedRecord:
    item_code, item_scheme = _item(line)
    return FeedRecord(
        position=position, kind="movement", type=type_,
        item_code=item_code, item_scheme=item_scheme,
        location_code=location, location_scheme="source",
        quantity=parse_count(line.get("quantity"), "quantity", allow_zero=False),
        occurred_at=occurred_at, external_id=external_id, raw=raw or _dump(line),
    )


def _item(line: Mapping[str, Any]) -> tuple[str, ItemScheme]:
    sku = line.get("sku")
    if isinstance(sku, str) and sku.strip():
        return sku.strip(), "sku"
    variant = _optional_id(line.get("variant_id"))
    if variant is None:
        raise InvalidInput("line has no sku and no variant_id (a custom item): cannot name "
                           "the item", field="sku")
    return f"variant:{variant}", "source"


def _time(resource: Mapping[str, Any]) -> datetime:
    if resource.get("processed_at"):
        return parse_timestamp(resource["processed_at"], "processed_at")
    return parse_timestamp(resource.get("created_at"), "created_at")


def _list(resource: Mapping[str, Any], key: str) -> list[Any]:
    value = resource.get(key)
    return value if isinstance(value, list) else []


def _object(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput(f"{what} must be a JSON object, got {value!r}", field=what)
    return value


def _optional_id(value: object) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _raw(body: bytes | str | Mapping[str, Any]) -> str:
    if isinstance(body, bytes):
        return body.decode("utf-8", "backslashreplace")
    return body if isinstance(body, str) else _dump(body)


def _dump(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
