"""Simulated live traffic for the demo, a few events a second, in a background thread.

Physical facts (till sales and returns, receipts, transfers arriving, RFID counts) go to the
ledger through the services, timestamped a little before they are recorded, as feeds are.
What customers do online (carts, orders) and what stores do with orders goes through the public
HTTP API with the demo's admin key, exactly as an e-commerce platform would: so refused carts
count in the metrics, and orders appear as soon as the orders API answers (until then, order
traffic waits and tries again every 30 s).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from ..domain.errors import DomainError
from ..domain.movements import MovementRequest, MovementType
from ..services.availability import availability
from ..services.movements import CountRequest, apply_count, apply_movement
from ..services.returns import ReturnRequest, record_return
from ..store.database import Database
from .seed import Network

log = logging.getLogger("omnistock.demo")
# Cities orders ship to (latitude, longitude), beyond the store towns themselves.
DESTINATIONS = [(51.5072, -0.1276), (52.4862, -1.8904), (53.4808, -2.2426), (55.8642, -4.2518),
                (53.8008, -1.5491), (51.4545, -2.5879), (50.7192, -1.8808), (52.9548, -1.1581),
                (54.5973, -5.9301), (51.4816, -3.1791), (52.2053, 0.1218), (57.4778, -4.2247)]
# What the tills see coming back, most of it fit to sell again.
RETURN_CONDITIONS = ("sellable", "open_box", "damaged", "defective")
ACTIONS = {"sale": 44, "return": 4, "replenish": 6, "transfer_in": 3, "count": 4, "cart": 14,
           "order": 16, "progress": 12}


@dataclass
class OpenFulfillment:
    order_id: str
    id: int
    location: str
    actions: list[str]


class Traffic(threading.Thread):
    def __init__(self, db: Database, network: Network, base_url: str, key: str, *,
                 rate: float = 4.0, seed: int = 11, ready: Callable[[], bool] = lambda: True
                 ) -> None:
        super().__init__(name="omnistock-demo-traffic", daemon=True)
        self.db, self.network, self.rate = db, network, rate
        self.rng = random.Random(seed)
        self.stop_event = threading.Event()
        self.ready = ready
        self.http = httpx.Client(base_url=base_url, timeout=10,
                                 headers={"Authorization": f"Bearer {key}"})
        self.done: Counter[str] = Counter()
        self.open: deque[OpenFulfillment] = deque(maxlen=400)
        self.orders_off_until = 0.0
        self.n = 0

    def stop(self) -> None:
        self.stop_event.set()

    def run(self) -> None:
        while not self.ready() and not self.stop_event.wait(0.1):
            pass
        names, weights = list(ACTIONS), list(ACTIONS.values())
        while not self.stop_event.wait(self.rng.expovariate(self.rate)):
            action = self.rng.choices(names, weights=weights)[0]
            try:
                getattr(self, f"_{action}")()
            except (DomainError, httpx.HTTPError) as e:
                self.done[f"{action} failed"] += 1
                log.debug("demo %s failed: %s", action, e)
        self.http.close()

    # -- helpers ------------------------------------------------------------------------------
    def _ref(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}-{int(time.time())}-{self.n}"

    def _position(self, sku: str, location: str) -> dict[str, Any] | None:
        rows = availability(self.db, sku)["locations"]
        return next((r for r in rows if r["location"] == location), None)

    def _move(self, type_: str, sku: str, location: str, quantity: int, source: str,
              lag: float, **kw: Any) -> None:
        at = datetime.now(UTC) - timedelta(seconds=lag)
        apply_movement(self.db, MovementRequest(
            type=MovementType(type_), sku=sku, location=location, quantity=quantity,
            occurred_at=at, source=source, external_id=self._ref(source), **kw))
        self.done[type_] += 1

    # -- physical facts ---------------------------------------------------------------------
    def _sale(self) -> None:
        code = self.network.pick_store(self.rng)
        sku = self.network.pick(self.rng, code)
        pos = self._position(sku, code)
        if pos and (pos["available"] > 0 or self.rng.random() < 0.002):
            self._move("sale", sku, code, 1, "pos", self.rng.lognormvariate(0.4, 0.6))

    def _return(self) -> None:
        code = self.network.pick_store(self.rng)
        condition = self.rng.choices(RETURN_CONDITIONS, weights=(80, 10, 6, 4))[0]
        at = datetime.now(UTC) - timedelta(seconds=self.rng.lognormvariate(0.4, 0.6))
        record_return(self.db, ReturnRequest(
            self.network.pick(self.rng, code), 1, code, condition, reason="till return",
            external_id=self._ref("till"), occurred_at=at))
        self.done["return"] += 1

    def _replenish(self) -> None:
        code = self.network.pick_store(self.rng)
        sku = self.network.pick(self.rng, code)
        pos = self._position(sku, code)
        if pos is None or pos["available"] <= 1:
            self._move("receipt", sku, code, self.rng.randint(3, 8), "wms",
                       self.rng.uniform(20, 240), reference="replenishment")

    def _transfer_in(self) -> None:
        if not self.network.in_transit:
            return
        sku, code, qty, ref = self.network.in_transit.pop(
            self.rng.randrange(len(self.network.in_transit)))
        self._move("transfer_in", sku, code, qty, "wms", self.rng.uniform(20, 240), reference=ref)

    def _count(self) -> None:
        code = self.network.pick_store(self.rng)
        sku = self.rng.choice(self.network.ranged[code])
        pos = self._position(sku, code)
        noise = self.rng.choice([0, 0, 0, 0, 0, -1, 1])
        if pos is None or pos["available"] + noise < 0:
            noise = 0
        counted = max(0, (pos["on_hand"] if pos else 0) + noise)
        apply_count(self.db, CountRequest(
            sku=sku, location=code, counted_quantity=counted,
            counted_at=datetime.now(UTC) - timedelta(seconds=self.rng.uniform(30, 600)),
            source="rfid", external_id=self._ref("rfid")))
        self.done["count"] += 1

    # -- customers, through the API ----------------------------------------------------------
    def _cart(self) -> None:
        where = self.rng.choice([self.network.dc, self.network.dark_store])
        sku = self.network.pick(self.rng, where)
        r = self.http.post("/v1/reservations", json={
            "sku": sku, "location": where, "quantity": self.rng.choice([1, 1, 1, 2, 3, 12]),
            "ttl_seconds": self.rng.randint(30, 240), "reference": self._ref("cart")})
        self.done["cart" if r.status_code == 201 else f"cart {r.status_code}"] += 1
        if r.status_code == 201 and self.rng.random() < 0.5:  # abandoned now, or let expire
            self.http.post(f"/v1/reservations/{r.json()['id']}/release")

    def _orders_on(self) -> bool:
        return time.monotonic() >= self.orders_off_until

    def _order(self) -> None:
        if not self._orders_on():
            return
        pickup = self.rng.random() < 0.4
        if pickup:
            shop = (self.network.associate_store if self.rng.random() < 0.35
                     else self.network.pick_store(self.rng))
            delivery: dict[str, Any] = {"method": "pickup", "location": shop}
            pool = shop
        else:
            lat, lon = self.rng.choice(DESTINATIONS)
            delivery = {"method": "ship", "latitude": round(lat + self.rng.uniform(-.2, .2), 4),
                        "longitude": round(lon + self.rng.uniform(-.2, .2), 4)}
            pool = self.network.dc
        skus = {self.network.pick(self.rng, pool) for _ in range(self.rng.choice([1, 1, 2, 3]))}
        order_id = self._ref("HW")
        r = self.http.post("/v1/orders", json={
            "order_id": order_id, "channel": self.rng.choice(["web", "web", "app"]),
            "lines": [{"sku": s, "quantity": 1} for s in sorted(skus)], "delivery": delivery})
        if r.status_code in (404, 405):
            self.orders_off_until = time.monotonic() + 30
            return
        self.done["order" if r.status_code == 201 else f"order {r.status_code}"] += 1
        if r.status_code == 201:
            self._track(r.json())

    def _track(self, order: dict[str, Any]) -> None:
        for f in order.get("fulfillments", []):
            if f.get("allowed_actions"):
                self.open.append(OpenFulfillment(order["order_id"], f["id"],
                                                 f.get("destination") or f["location"],
                                                 f["allowed_actions"]))

    def _progress(self) -> None:
        """Stores and the DC work through their orders, but leave the associate's store a
        few to do by hand (someone is signed in there)."""
        if not self.open or not self._orders_on():
            return
        mine = [f for f in self.open if f.location == self.network.associate_store]
        candidates = [f for f in self.open if f.location != self.network.associate_store]
        if len(mine) > 6:
            candidates.append(mine[0])
        if not candidates:
            return
        f = self.rng.choice(candidates[:20])
        self.open.remove(f)
        action = next((a for a in ("pick", "pack", "ship", "ready", "pickup") if a in f.actions),
                      None)
        if action is None:
            return
        r = self.http.post(f"/v1/orders/{f.order_id}/fulfillments/{f.id}/{action}")
        self.done[f"fulfillment {action}" if r.status_code == 200 else
                  f"fulfillment {r.status_code}"] += 1
        if r.status_code == 200:
            self._track(r.json())

    def summary(self) -> str:
        return ", ".join(f"{n} {k}" for k, n in sorted(self.done.items()))
