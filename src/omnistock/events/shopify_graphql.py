"""What the Shopify sink sends (Admin GraphQL) and how it reads the answers.

`inventorySetQuantities` sets the `available` quantity of one inventory level, compared with
the quantity omnistock last set or read there (`compareQuantity`; `changeFromQuantity` from
API 2026-04): if someone changed it since, Shopify refuses with a `..._STALE` user error and
the sink reads the level again before it sets it. The `@idempotent` key is derived from the
level, the event and the compared quantity, so a retry after a timeout is the same request
and Shopify applies it once. `inventoryItem.inventoryLevel` reads the current quantity.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

SET_AVAILABLE = """mutation omnistockSetAvailable($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) @idempotent(key: "%s") {
    inventoryAdjustmentGroup { id }
    userErrors { field message code }
  }
}"""

READ_AVAILABLE = """query omnistockAvailable($item: ID!, $location: ID!) {
  inventoryItem(id: $item) {
    inventoryLevel(locationId: $location) {
      quantities(names: ["available"]) { name quantity }
    }
  }
}"""

STALE_CODES = frozenset({"COMPARE_QUANTITY_STALE", "CHANGE_FROM_QUANTITY_STALE"})
_KEYS = uuid.UUID("6f6d6e69-7374-6f63-6b2d-73686f706966")


def gid(kind: str, numeric: str) -> str:
    return numeric if numeric.startswith("gid://") else f"gid://shopify/{kind}/{numeric}"


def idempotency_key(item: str, location: str, event: int, compare: int) -> str:
    return str(uuid.uuid5(_KEYS, f"{item}|{location}|{event}|{compare}"))


def set_request(item: str, location: str, quantity: int, compare: int, event: int, *,
                compare_field: str, reason: str, reference: str) -> dict[str, Any]:
    key = idempotency_key(item, location, event, compare)
    return {"query": SET_AVAILABLE % key, "variables": {"input": {
        "name": "available", "reason": reason, "referenceDocumentUri": reference,
        "quantities": [{"inventoryItemId": gid("InventoryItem", item),
                        "locationId": gid("Location", location), "quantity": quantity,
                        compare_field: compare}]}}}


def read_request(item: str, location: str) -> dict[str, Any]:
    return {"query": READ_AVAILABLE, "variables": {"item": gid("InventoryItem", item),
                                                   "location": gid("Location", location)}}


class Outcome(StrEnum):
    DONE = "done"  # applied (set), or read (quantity known)
    STALE = "stale"  # the compared quantity is not Shopify's: read again
    RETRY = "retry"  # 5xx, 429, throttled, unreachable: the same request later
    PARKED = "parked"  # refused for a reason a retry cannot fix


@dataclass(frozen=True, slots=True)
class Answer:
    outcome: Outcome
    quantity: int | None = None  # a read's quantity
    error: str | None = None


def transport_failure(status: int | None, text: str) -> Answer | None:
    """An answer from the HTTP status alone (None: read the body)."""
    if status is None or status >= 500 or status == 429:
        return Answer(Outcome.RETRY, error=f"HTTP {status}: {text[:200]}" if status
                      else text[:200])
    if status >= 400:
        return Answer(Outcome.PARKED, error=f"HTTP {status}: {text[:200]}")
    return None


def _top_errors(body: dict[str, Any]) -> Answer | None:
    errors = body.get("errors")
    if not errors:
        return None
    codes = {(e.get("extensions") or {}).get("code") for e in errors if isinstance(e, dict)}
    text = "; ".join(str(e.get("message", e)) for e in errors if isinstance(e, dict))[:400]
    if codes & {"THROTTLED", "INTERNAL_SERVER_ERROR"}:
        return Answer(Outcome.RETRY, error=text)
    return Answer(Outcome.PARKED, error=text or "GraphQL errors")


def read_set(body: dict[str, Any]) -> Answer:
    failed = _top_errors(body)
    if failed is not None:
        return failed
    result = (body.get("data") or {}).get("inventorySetQuantities")
    if not isinstance(result, dict):
        return Answer(Outcome.RETRY, error="no inventorySetQuantities in the answer")
    user_errors = result.get("userErrors") or []
    if not user_errors:
        return Answer(Outcome.DONE)
    text = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in user_errors)[:400]
    if any(e.get("code") in STALE_CODES for e in user_errors):
        return Answer(Outcome.STALE, error=text)
    return Answer(Outcome.PARKED, error=text)


def read_level(body: dict[str, Any]) -> Answer:
    failed = _top_errors(body)
    if failed is not None:
        return failed
    item = (body.get("data") or {}).get("inventoryItem")
    if item is None:
        return Answer(Outcome.PARKED, error="Shopify has no such inventory item: fix its "
                      "mapping")
    level = item.get("inventoryLevel")
    if level is None:
        return Answer(Outcome.PARKED, error="the item is not stocked at this Shopify location: "
                      "activate it there (inventoryActivate) or remove the mapping")
    for q in level.get("quantities") or []:
        if q.get("name") == "available" and isinstance(q.get("quantity"), int):
            return Answer(Outcome.DONE, quantity=q["quantity"])
    return Answer(Outcome.RETRY, error="no available quantity in the answer")
