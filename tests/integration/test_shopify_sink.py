"""The Shopify sink against a local Admin GraphQL server (started here, on a free port) that
executes what it receives against the part of Shopify's schema the sink uses, keeps levels,
honours compareQuantity and @idempotent keys, and fails on demand. On SQLite and PostgreSQL:
changes reach it in order, once, with compareQuantity; a 5xx is retried; a restart loses
nothing; a change made in Shopify is read back; a missing token is a clear error."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from graphql import build_schema, graphql_sync

from omnistock.events.config import EventsConfig
from omnistock.events.dispatcher import Dispatcher
from omnistock.events.lease import Lease
from omnistock.events.shopify_config import (
    ShopifyNotConfigured,
    ShopifySettings,
    shopify_config,
)
from omnistock.events.shopify_sink import ShopifySender, ShopifySink
from omnistock.services import catalog, mappings
from omnistock.services.movements import apply_movement
from omnistock.services.verify import verify
from omnistock.store.database import Database

from ..factories import movement, seed

TOKEN = "shpat_test_token"
VERSION = "2026-01"
SDL = """
directive @idempotent(key: String!) on FIELD
scalar URL
type Query { inventoryItem(id: ID!): InventoryItem }
type InventoryItem { id: ID! inventoryLevel(locationId: ID!): InventoryLevel }
type InventoryLevel { quantities(names: [String!]!): [InventoryQuantity!]! }
type InventoryQuantity { name: String! quantity: Int! }
type Mutation {
  inventorySetQuantities(input: InventorySetQuantitiesInput!): InventorySetQuantitiesPayload
}
input InventorySetQuantitiesInput {
  name: String! reason: String! referenceDocumentUri: URL ignoreCompareQuantity: Boolean
  quantities: [InventoryQuantityInput!]!
}
input InventoryQuantityInput {
  inventoryItemId: ID! locationId: ID! quantity: Int! compareQuantity: Int
}
type InventorySetQuantitiesPayload {
  inventoryAdjustmentGroup: InventoryAdjustmentGroup
  userErrors: [InventorySetQuantitiesUserError!]!
}
type InventoryAdjustmentGroup { id: ID! }
type InventorySetQuantitiesUserError { code: String field: [String!] message: String! }
"""


class FakeShop:
    """Levels keyed (inventory item gid, location gid); `applied` logs each set applied."""

    def __init__(self) -> None:
        self.schema = build_schema(SDL)
        self.levels: dict[tuple[str, str], int] = {}
        self.applied: list[tuple[str, str, int, int]] = []
        self.by_key: dict[str, dict[str, Any]] = {}
        self.requests: list[dict[str, Any]] = []
        self.fail_next = 0  # answer 503 without doing anything
        self.lose_next = 0  # do it, then answer 503 (the answer is lost)
        self.lock = threading.Lock()

    def handle(self, path: str, token: str | None, body: dict[str, Any]) -> tuple[int, Any]:
        with self.lock:
            self.requests.append(body)
            assert path == f"/admin/api/{VERSION}/graphql.json", path
            if token != TOKEN:
                return 401, {"errors": "[API] Invalid API key or access token"}
            if self.fail_next:
                self.fail_next -= 1
                return 503, {"errors": "unavailable"}
            result = graphql_sync(self.schema, body["query"], root_value=self,
                                  variable_values=body.get("variables"))
            assert not result.errors, result.errors  # the shape is Shopify's
            if self.lose_next and "inventorySetQuantities" in body["query"]:
                self.lose_next -= 1
                return 503, {"errors": "timeout"}
            return 200, {"data": result.data}

    def inventoryItem(self, info: Any, id: str) -> Any:
        shop = self

        class Item:
            def inventoryLevel(self, info: Any, locationId: str) -> Any:
                if (id, locationId) not in shop.levels:
                    return None
                return {"quantities": lambda info, names: [
                    {"name": "available", "quantity": shop.levels[(id, locationId)]}]}

        return Item()

    def inventorySetQuantities(self, info: Any, input: dict[str, Any]) -> Any:
        key = info.field_nodes[0].directives[0].arguments[0].value.value
        assert input["name"] == "available" and input["reason"] == "correction"
        assert input["referenceDocumentUri"].startswith("omnistock://")
        if key in self.by_key:
            return self.by_key[key]
        (q,) = input["quantities"]
        level = (q["inventoryItemId"], q["locationId"])
        assert "compareQuantity" in q, q
        if self.levels.get(level) != q["compareQuantity"]:
            return {"inventoryAdjustmentGroup": None, "userErrors": [{
                "code": "COMPARE_QUANTITY_STALE", "field": ["input", "quantities", "0"],
                "message": "The compareQuantity argument no longer matches."}]}
        self.levels[level] = q["quantity"]
        self.applied.append((*level, q["quantity"], q["compareQuantity"]))
        self.by_key[key] = {"inventoryAdjustmentGroup": {"id": f"g{len(self.applied)}"},
                            "userErrors": []}
        return self.by_key[key]


@pytest.fixture
def shop() -> Iterator[tuple[FakeShop, str]]:
    fake = FakeShop()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            status, answer = fake.handle(self.path, self.headers.get("X-Shopify-Access-Token"),
                                         body)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


ITEM, STORE, DC = "gid://shopify/InventoryItem/111", "gid://shopify/Location/501", \
    "gid://shopify/Location/502"
EVENTS = EventsConfig(webhook_backoff_base=0.01, webhook_backoff_cap=0.05)


class Pipe:
    """The dispatcher with the Shopify sink alone, and a sender: one 'process'."""

    def __init__(self, db: Database, url: str, **config: Any) -> None:
        settings = ShopifySettings(shop=url, access_token=TOKEN, api_version=VERSION,
                                   channel="shopify")
        cfg = replace(shopify_config(settings), lease=0.3, **config)  # type: ignore[type-var]
        self.sender = ShopifySender(db, cfg, EVENTS)
        self.dispatcher = Dispatcher(db, [ShopifySink(db, cfg)], EVENTS,
                                     Lease(db, "outbox-dispatcher", 0.5))
        self.db = db

    def run(self, rounds: int = 40) -> None:
        async def go() -> None:
            while await self.dispatcher.dispatch_once():
                pass
            for _ in range(rounds):
                await self.sender.run_once()
                if not self.due():
                    break
                await asyncio.sleep(0.02)
            await self.sender.client.aclose()
            self.sender.client = type(self.sender.client)(headers=self.sender.client.headers)
        asyncio.run(go())

    def due(self) -> bool:
        with self.db.uow(readonly=True) as uow:
            return any(lv["status"] == "pending"
                       for lv in uow.shopify.levels(status=None, after=None, limit=100))


def retailer(db: Database) -> None:
    seed(db, locations=("S1", "DC"))
    catalog.create_channel(db, "shopify", "Shopify", ["S1"])
    mappings.add_mapping(db, source="shopify", kind="item", code="inventory_item:111",
                         target="SKU-1")
    mappings.add_mapping(db, source="shopify", kind="location", code="501", target="S1")
    mappings.add_mapping(db, source="shopify", kind="location", code="502", target="DC")


def test_changes_reach_shopify_in_order_once_with_compare_quantity(db, shop):
    fake, url = shop
    retailer(db)
    fake.levels = {(ITEM, STORE): 3, (ITEM, DC): 5}
    pipe = Pipe(db, url)
    apply_movement(db, movement("receipt", 10))
    pipe.run()
    apply_movement(db, movement("sale", 2))
    pipe.run()
    apply_movement(db, movement("receipt", 4, location="DC"))  # not sold by the channel
    apply_movement(db, movement("sale", 1))
    pipe.run()
    def at(place: str) -> list[tuple[int, int]]:  # levels are pushed side by side
        return [(q, compare) for _, where, q, compare in fake.applied if where == place]

    assert at(STORE) == [(10, 3), (8, 10), (7, 8)] and at(DC) == [(0, 5)]
    reads = [r for r in fake.requests if "inventoryItem(" in r["query"]]
    assert len(reads) == 2  # each level read once, when its quantity was unknown
    pipe.run()
    assert len(fake.applied) == 4  # nothing more to say
    assert verify(db) == []


def test_a_5xx_is_retried_and_a_lost_answer_is_not_applied_twice(db, shop):
    fake, url = shop
    retailer(db)
    fake.levels = {(ITEM, STORE): 0, (ITEM, DC): 0}
    pipe = Pipe(db, url)
    apply_movement(db, movement("receipt", 6))
    fake.fail_next = 3  # the read, then the set, twice
    pipe.run()
    assert fake.applied == [(ITEM, STORE, 6, 0)]
    fake.lose_next = 1
    apply_movement(db, movement("sale", 1))
    pipe.run()
    assert fake.applied == [(ITEM, STORE, 6, 0), (ITEM, STORE, 5, 6)]
    sets = [r for r in fake.requests if "compareQuantity" in json.dumps(r)
            and r["variables"]["input"]["quantities"][0]["quantity"] == 5]
    assert len(sets) == 2 and sets[0] == sets[1]  # the same request, the same key


def test_a_restart_loses_nothing(db, shop):
    fake, url = shop
    retailer(db)
    fake.levels = {(ITEM, STORE): 0, (ITEM, DC): 0}
    first = Pipe(db, url)
    apply_movement(db, movement("receipt", 9))
    fake.fail_next = 10**6  # Shopify is down: the level stays pending in the database

    async def dispatch_and_claim() -> None:
        await first.dispatcher.dispatch_once()
        await first.sender.run_once()
        first.sender._claim()  # claimed by a process that dies now

    asyncio.run(dispatch_and_claim())
    apply_movement(db, movement("sale", 2))  # written while no dispatcher runs
    fake.fail_next = 0
    time.sleep(0.6)  # the dead dispatcher's lease and the dead sender's claim run out
    Pipe(db, url).run()
    assert fake.applied == [(ITEM, STORE, 7, 0)]


def test_a_change_made_in_shopify_is_read_back_then_set(db, shop):
    fake, url = shop
    retailer(db)
    fake.levels = {(ITEM, STORE): 0, (ITEM, DC): 0}
    pipe = Pipe(db, url)
    apply_movement(db, movement("receipt", 4))
    pipe.run()
    fake.levels[(ITEM, STORE)] = 99  # a merchant edits it in the admin
    apply_movement(db, movement("sale", 1))
    pipe.run()
    assert fake.applied == [(ITEM, STORE, 4, 0), (ITEM, STORE, 3, 99)]


def test_an_unstocked_level_is_parked_with_its_reason(db, shop):
    fake, url = shop
    retailer(db)
    fake.levels = {(ITEM, DC): 0}
    pipe = Pipe(db, url)
    apply_movement(db, movement("receipt", 4))
    pipe.run()
    with db.uow(readonly=True) as uow:
        parked = uow.shopify.levels(status="parked", after=None, limit=10)
    assert [p["location"] for p in parked] == ["S1"]
    assert "not stocked" in parked[0]["last_error"] and fake.applied == []


def test_a_shop_without_a_token_is_a_clear_error():
    assert shopify_config(ShopifySettings(shop="")) is None
    with pytest.raises(ShopifyNotConfigured, match="OMNISTOCK_SHOPIFY_ACCESS_TOKEN"):
        shopify_config(ShopifySettings(shop="my-shop.myshopify.com", access_token=" "))
    config = shopify_config(ShopifySettings(shop="my-shop.myshopify.com", access_token="t",
                                            api_version="2026-04"))
    assert config is not None
    assert config.endpoint == "https://my-shop.myshopify.com/admin/api/2026-04/graphql.json"
    assert config.compare_field == "changeFromQuantity"
