"""The Shopify sink: omnistock's channel ATP pushed to Shopify's `available` quantities.

Two halves, as webhooks have (sender.py):

* `ShopifySink`, on the outbox dispatcher: each `availability.changed` event of a mapped item
  and location becomes the level Shopify should hold (store/shopify.py `want`), in the
  dispatcher's order, in one transaction before the events are marked published. A level is
  one row per (inventory item, Shopify location); a newer event replaces an older one's
  quantity, so a busy SKU is pushed at the rate Shopify takes, not once per change, and a batch
  sent again after a crash changes nothing.
* `ShopifySender`: claims due levels, reads Shopify's quantity where it is not known yet, and
  sets it with `inventorySetQuantities`, comparing with what it last set (shopify_graphql.py).
  A 5xx, a 429, a throttle or a refused connection is retried with backoff (the webhook
  settings: base, cap, attempts) with the same idempotency key; a stale compared quantity
  makes it read the level again (someone changed it in Shopify: omnistock is the source of
  truth and sets it back); anything else parks the level with the reason until a newer change
  asks for it again. A level's state is in the database, so a restart loses nothing: a level
  claimed by a process that died is claimed again when its lease ends.

Mappings are those of Shopify's webhooks (source `shopify` by default): item codes
`inventory_item:<id>` and location codes `<location id>`. The quantity is the location's
`available` (never below 0), or 0 at a location the configured channel does not sell.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import httpx

from ..domain.ledger import AVAILABILITY_CHANGED
from ..store.database import Database
from .cloudevents import Event
from .config import EventsConfig
from .deliveries import backoff
from .dispatcher import wait_any
from .shopify_config import ShopifyConfig
from .shopify_graphql import Answer, Outcome, read_level, read_request, read_set, set_request
from .shopify_graphql import transport_failure as from_status

log = logging.getLogger(__name__)
USER_AGENT = "omnistock-shopify/1"


class ShopifySink:
    """Dispatcher side: the levels Shopify should hold, from availability events."""

    name = "shopify"

    def __init__(self, db: Database, config: ShopifyConfig,
                 on_wanted: Any = lambda: None) -> None:
        self.db = db
        self.config = config
        self.on_wanted = on_wanted

    async def publish(self, events: Sequence[Event]) -> None:
        if await asyncio.to_thread(self.want, events):
            self.on_wanted()

    def want(self, events: Sequence[Event]) -> int:
        changes = [(e.id, json.loads(e.body)["data"]) for e in events
                   if e.type == AVAILABILITY_CHANGED]
        if not changes:
            return 0
        source = self.config.mapping_source
        with self.db.uow() as uow:
            items = uow.shopify.inventory_items(source, sorted({d["sku"] for _, d in changes}))
            places = uow.shopify.shopify_locations(source) if items else {}
            sold = (uow.shopify.channel_locations(self.config.channel)
                    if self.config.channel else None)
            if self.config.channel and sold is None:
                log.error("OMNISTOCK_SHOPIFY_CHANNEL names no channel (%s): pushing 0",
                          self.config.channel)
            levels: dict[tuple[str, str], dict[str, Any]] = {}
            for event_id, d in changes:
                quantity = max(int(d["available"]), 0)
                if self.config.channel and d["location"] not in (sold or set()):
                    quantity = 0
                for item in items.get(d["sku"], []):
                    for place in places.get(d["location"], []):
                        levels[(item, place)] = {
                            "inventory_item_id": item, "shopify_location_id": place,
                            "sku": d["sku"], "location": d["location"], "desired": quantity,
                            "desired_event": event_id}
            uow.shopify.want(list(levels.values()), self.db.clock())
            uow.commit()
        return len(levels)

    async def close(self) -> None:
        pass


class ShopifySender:
    def __init__(self, db: Database, config: ShopifyConfig, events: EventsConfig,
                 client: httpx.AsyncClient | None = None) -> None:
        self.db = db
        self.config = config
        self.events = events
        self.client = client or httpx.AsyncClient(
            timeout=config.timeout, follow_redirects=False,
            headers={"User-Agent": USER_AGENT, "X-Shopify-Access-Token": config.token})
        self.wake = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        try:
            while not stop.is_set():
                self.wake.clear()
                try:
                    busy = await self.run_once()
                except Exception:
                    log.exception("pushing levels to Shopify failed")
                    busy = False
                if not busy:
                    await wait_any(stop, self.wake, timeout=self.config.poll_interval)
        finally:
            await self.client.aclose()

    async def run_once(self) -> bool:
        """Push the levels due now, up to `concurrency` at a time; whether a full set was due."""
        levels = await asyncio.to_thread(self._claim)
        await asyncio.gather(*(self.push(level) for level in levels))
        return len(levels) == self.config.concurrency

    def _claim(self) -> list[dict[str, Any]]:
        now = self.db.clock()
        with self.db.uow(readonly=True) as uow:
            if not uow.shopify.any_due(now):
                return []
        with self.db.uow() as uow:
            levels = uow.shopify.claim(now, now + timedelta(seconds=self.config.lease),
                                       self.config.concurrency)
            uow.commit()
        return levels

    async def push(self, level: dict[str, Any]) -> Outcome:
        """One attempt at one level: read it if its quantity is unknown, then set it."""
        key = (level["inventory_item_id"], level["shopify_location_id"])
        known = level["pushed"]
        if known is None:
            answer = await self._post(read_request(*key), read_level)
            if answer.outcome is not Outcome.DONE:
                return await asyncio.to_thread(self._failed, level, answer)
            known = answer.quantity
            await asyncio.to_thread(self._known, key, known)
        assert known is not None
        if known == level["desired"]:
            await asyncio.to_thread(self._pushed, key, known, level["desired_event"], None)
            return Outcome.DONE
        request = set_request(*key, level["desired"], known, level["desired_event"],
                              compare_field=self.config.compare_field,
                              reason=self.config.reason,
                              reference=f"omnistock://{self.events.source}/events/"
                                        f"{level['desired_event']}")
        answer = await self._post(request, read_set)
        if answer.outcome is Outcome.DONE:
            await asyncio.to_thread(self._pushed, key, level["desired"],
                                    level["desired_event"], 200)
            return Outcome.DONE
        if answer.outcome is Outcome.STALE:
            log.info("Shopify level %s/%s changed outside omnistock; reading it again", *key)
            await asyncio.to_thread(self._stale, level, answer)
            return Outcome.STALE
        return await asyncio.to_thread(self._failed, level, answer)

    async def _post(self, body: dict[str, Any], read: Any) -> Answer:
        try:
            response = await self.client.post(self.config.endpoint, json=body)
        except Exception as e:  # refused, timed out ...: the same request later
            return Answer(Outcome.RETRY, error=f"{type(e).__name__}: {e}")
        failed = from_status(response.status_code, response.text)
        if failed is not None:
            return failed
        try:
            answer: Answer = read(response.json())
            return answer
        except (ValueError, AttributeError, TypeError) as e:
            return Answer(Outcome.RETRY, error=f"unreadable answer: {e}")

    # -- outcomes, each its own transaction ------------------------------------------------
    def _known(self, key: tuple[str, str], quantity: int | None) -> None:
        with self.db.uow() as uow:
            uow.shopify.known(key, quantity, self.db.clock())
            uow.commit()

    def _pushed(self, key: tuple[str, str], quantity: int, event: int,
                status_code: int | None) -> None:
        with self.db.uow() as uow:
            uow.shopify.pushed(key, quantity, event, self.db.clock(), status_code)
            uow.commit()

    def _stale(self, level: dict[str, Any], answer: Answer) -> None:
        """Read the level again now; after repeated conflicts, back off as after failures."""
        attempts = level["attempts"] + 1
        now = self.db.clock()
        retry = now + timedelta(seconds=backoff(attempts, self.events)) if attempts > 2 else now
        with self.db.uow() as uow:
            uow.shopify.known((level["inventory_item_id"], level["shopify_location_id"]), None,
                              now, status_code=200, error=answer.error, attempts=attempts,
                              retry_at=retry)
            uow.commit()

    def _failed(self, level: dict[str, Any], answer: Answer) -> Outcome:
        attempts = level["attempts"] + 1
        now = self.db.clock()
        park = (answer.outcome is Outcome.PARKED
                or attempts >= self.events.webhook_max_attempts)
        retry = None if park else now + timedelta(seconds=backoff(attempts, self.events))
        with self.db.uow() as uow:
            uow.shopify.failed((level["inventory_item_id"], level["shopify_location_id"]), now,
                               attempts=attempts, retry_at=retry, status_code=None,
                               error=answer.error or answer.outcome.value)
            uow.commit()
        if park:
            log.warning("Shopify level %s/%s parked: %s", level["inventory_item_id"],
                        level["shopify_location_id"], answer.error)
            return Outcome.PARKED
        return Outcome.RETRY

