from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from omnistock.domain.feeds import FeedRecord, Rejected
from omnistock.domain.movements import MovementType
from omnistock.ingest.shopify import (
    inventory_level_updated,
    order_created,
    parse_webhook,
    refund_created,
    verify_hmac,
)

FEEDS = Path(__file__).parents[1] / "fixtures" / "feeds" / "shopify"
SECRET = "hush-webhook-secret"
# openssl dgst -sha256 -hmac hush-webhook-secret -binary inventory_levels_update.json | base64
LEVEL_HMAC = "wkP/iv0BGkRej368mATVru+k8lw3Qex0XZjla8KZhas="


def accepted(results: list[FeedRecord | Rejected]) -> list[FeedRecord]:
    """The results of a file that must be accepted whole."""
    assert all(isinstance(result, FeedRecord) for result in results), results
    return [result for result in results if isinstance(result, FeedRecord)]


def payload(name: str) -> dict[str, Any]:
    return json.loads((FEEDS / name).read_text())


def deliver(topic: str, name: str) -> list[FeedRecord | Rejected]:
    return list(parse_webhook(topic, (FEEDS / name).read_bytes()))


def summary(results: list[FeedRecord] | list[FeedRecord | Rejected]) -> list[tuple[object, ...]]:
    return [(r.type, r.item_code, r.item_scheme, r.location_code, r.location_scheme, r.quantity,
             r.external_id) if isinstance(r, FeedRecord) else ("rejected", r.reason)
            for r in results]


def test_signature_of_the_raw_body_is_verified() -> None:
    body = (FEEDS / "inventory_levels_update.json").read_bytes()
    assert verify_hmac(body, LEVEL_HMAC, SECRET)
    assert verify_hmac(body, f" {LEVEL_HMAC}\n", SECRET)


@pytest.mark.parametrize(
    ("body", "header", "secret"),
    [
        (b"{}", LEVEL_HMAC, SECRET),  # another body
        (None, LEVEL_HMAC, "another-secret"),
        (None, LEVEL_HMAC.lower(), SECRET),
        (None, "", SECRET),
        (None, "d\u00e9j\u00e0-vu", SECRET),
        (None, LEVEL_HMAC, ""),
    ],
)
def test_a_wrong_signature_is_refused(body: bytes | None, header: str, secret: str) -> None:
    body = body or (FEEDS / "inventory_levels_update.json").read_bytes()
    assert verify_hmac(body, header, secret) is False


def test_a_pos_order_is_a_sale_per_line_at_its_location() -> None:
    results = accepted(deliver("orders/create", "orders_create_pos.json"))

    assert summary(results) == [
        (MovementType.SALE, "SHIRT-BLUE-M", "sku", "48752903", "source", 2,
         "fulfillment:4900112233001:line:14127716221001"),
        (MovementType.SALE, "variant:44120399872002", "source", "48752903", "source", 1,
         "fulfillment:4900112233001:line:14127716221002"),
    ]  # the gift card line is not stock; keyed by fulfillment, as fulfillments/create gives
    assert {r.occurred_at for r in results} == {datetime(2024, 3, 1, 8, 15, 5, tzinfo=UTC)}
    assert results[0].position == "order 5830432211001 fulfillments[0] line_items[0]"
    assert json.loads(results[0].raw)["id"] == 14127716221001


def test_a_fulfillment_webhook_gives_the_sales_its_order_gave() -> None:
    order = payload("orders_create_pos.json")
    [fulfillment] = order["fulfillments"]
    from_order = accepted(list(order_created(order)))
    from_fulfillment = accepted(list(parse_webhook("fulfillments/create", fulfillment)))
    assert [(r.external_id, r.quantity, r.occurred_at) for r in from_fulfillment] == [
        (r.external_id, r.quantity, r.occurred_at) for r in from_order]
    assert list(parse_webhook("fulfillments/create", {**fulfillment, "status": "pending"})) == []


def test_a_pos_order_line_in_no_fulfillment_is_sold_at_the_order_location() -> None:
    order = payload("orders_create_pos.json")
    order["fulfillments"] = []
    results = accepted(list(order_created(order)))
    assert [(r.external_id, r.location_code, r.occurred_at) for r in results] == [
        ("order:5830432211001:line:14127716221001", "48752903",
         datetime(2024, 3, 1, 8, 15, 2, tzinfo=UTC)),
        ("order:5830432211001:line:14127716221002", "48752903",
         datetime(2024, 3, 1, 8, 15, 2, tzinfo=UTC))]


def test_a_fulfilled_line_without_a_location_is_a_record_at_no_location() -> None:
    order = payload("orders_create_pos.json")
    order["location_id"] = None
    del order["fulfillments"][0]["location_id"]
    results = accepted(list(order_created(order)))
    assert [r.location_code for r in results] == ["", ""]  # the source's default location
    order["fulfillments"] = []
    assert [r.location_code for r in accepted(list(order_created(order)))] == ["", ""]


def test_an_online_order_sells_only_lines_already_fulfilled() -> None:
    results = deliver("orders/create", "orders_create_online.json")
    assert summary(results) == [
        (MovementType.SALE, "CAP-RED", "sku", "61000002", "source", 3,
         "fulfillment:4900112233778:line:14127716229002"),
    ]  # the shirt's fulfillment was cancelled and the order has no location: nothing left yet


def test_a_refund_returns_the_restocked_lines_at_their_location() -> None:
    results = accepted(deliver("refunds/create", "refunds_create.json"))

    assert summary(results) == [
        (MovementType.RETURN, "SHIRT-BLUE-M", "sku", "48752903", "source", 1,
         "refund:929361464001:line:1058498311001"),
        (MovementType.RETURN, "variant:44120399872006", "source", "48752903", "source", 1,
         "refund:929361464001:line:1058498311004"),
    ]  # no_restock and cancel (never fulfilled) lines change nothing
    assert {r.occurred_at for r in results} == {datetime(2024, 3, 4, 15, 20, tzinfo=UTC)}
    assert results[1].position == "refund 929361464001 refund_line_items[3]"


def test_a_cancelled_order_gives_the_same_returns_as_its_refund_webhook() -> None:
    cancelled = deliver("orders/cancelled", "orders_cancelled.json")
    refunded = deliver("refunds/create", "refunds_create.json")
    assert cancelled == refunded  # same external ids: the ledger applies them once


def test_an_inventory_level_is_a_count_of_available_units() -> None:
    [record] = deliver("inventory_levels/update", "inventory_levels_update.json")
    assert isinstance(record, FeedRecord)
    assert (record.kind, record.type, record.item_code, record.item_scheme, record.location_code,
            record.quantity, record.occurred_at, record.external_id) == (
        "available", None, "inventory_item:45230011220001", "source", "48752903", 6,
        datetime(2024, 3, 1, 15, tzinfo=UTC),
        "inventory_level:45230011220001:48752903:2024-03-01T15:00:00+00:00")


def test_a_delivery_sent_twice_gives_the_same_external_ids() -> None:
    first = deliver("orders/create", "orders_create_pos.json")
    again = list(parse_webhook("orders/create", payload("orders_create_pos.json")))
    assert [r.external_id for r in first] == [r.external_id for r in again]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("topic", "body", "reason"),
    [
        ("products/update", b"{}", "topic 'products/update' is not applied"),
        ("orders/create", b'{"id": 1, "line_items": [', "body is not valid JSON"),
        ("orders/create", b"[1, 2]", "body must be a JSON object, got list"),
        ("orders/create", b"\xff\xfe{}", "body is not valid JSON"),
    ],
)
def test_an_unusable_delivery_is_rejected_whole(topic: str, body: bytes, reason: str) -> None:
    [rejected] = parse_webhook(topic, body)
    assert isinstance(rejected, Rejected) and reason in rejected.reason


def level(**changes: object) -> dict[str, Any]:
    return {**payload("inventory_levels_update.json"), **changes}


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"available": -3}, "available must be a non-negative integer, got -3"),
        ({"available": None}, "available is null: the item is not inventory-tracked"),
        ({"available": "lots"}, "available must be a non-negative integer, got 'lots'"),
        ({"updated_at": "2024-03-01T10:00:00"}, "has no time zone"),
        ({"location_id": None}, "location_id is missing"),
    ],
)
def test_a_broken_inventory_level_is_rejected(changes: dict[str, object], reason: str) -> None:
    [rejected] = inventory_level_updated(level(**changes))
    assert isinstance(rejected, Rejected) and reason in rejected.reason


def refund_line(**changes: object) -> dict[str, Any]:
    line = payload("refunds_create.json")["refund_line_items"][0]
    return {**line, **changes}


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (refund_line(restock_type="teleport"), "restock_type 'teleport' is not one of"),
        (refund_line(quantity=0), "quantity must be a positive integer, got 0"),
        (refund_line(line_item=None), "refund line item's line_item must be a JSON object"),
        (refund_line(line_item={"id": 5, "sku": "", "variant_id": None, "quantity": 1}),
         "line has no sku and no variant_id (a custom item)"),
        ("oops", "refund line item must be a JSON object"),
    ],
)
def test_a_broken_refund_line_is_rejected_and_the_others_apply(line: object, reason: str) -> None:
    refund = payload("refunds_create.json")
    refund["refund_line_items"] = [line, *refund["refund_line_items"]]

    rejected, *records = refund_created(refund)
    assert isinstance(rejected, Rejected) and reason in rejected.reason
    assert rejected.position == "refund 929361464001 refund_line_items[0]"
    assert [r.external_id for r in records] == [  # type: ignore[union-attr]
        "refund:929361464001:line:1058498311001", "refund:929361464001:line:1058498311004"]


def test_a_refund_of_the_older_form_returns_its_lines_by_its_restock_flag() -> None:
    refund = payload("refunds_create.json")
    for line in refund["refund_line_items"]:
        del line["restock_type"]
        line["location_id"] = None
    restocked = accepted(list(refund_created({**refund, "restock": True})))
    assert [(r.type, r.location_code) for r in restocked] == [(MovementType.RETURN, "")] * 4
    assert list(refund_created({**refund, "restock": False})) == []


def test_broken_order_lines_are_rejected_with_their_reason() -> None:
    order = payload("orders_create_pos.json")
    order["fulfillments"] = []
    order["line_items"][0]["quantity"] = -1
    order["line_items"][1].update(sku=None, variant_id=None)

    results = list(order_created(order))
    assert summary(results) == [
        ("rejected", "quantity must be a positive integer, got -1"),
        ("rejected", "line has no sku and no variant_id (a custom item): cannot name the item"),
    ]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"id": None}, "order id is missing"),
        ({"processed_at": "yesterday"}, "order processed_at 'yesterday' is not an ISO 8601"),
        ({"processed_at": None, "created_at": "2024-03-01T09:15:05"}, "has no time zone"),
        ({"line_items": None}, "order has no line_items list"),
    ],
)
def test_a_broken_order_is_rejected_whole(changes: dict[str, object], reason: str) -> None:
    [rejected] = order_created({**payload("orders_create_pos.json"), **changes})
    assert isinstance(rejected, Rejected) and reason in rejected.reason
