"""Never oversell an order: 500 one-unit orders race over 32 threads for 150 units on three
nodes. Exactly 150 are placed, the rest refused with nothing held, and the ledger verifies."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from omnistock.domain.errors import InsufficientStock
from omnistock.services.availability import availability
from omnistock.services.orders import get_order, place_order
from omnistock.services.verify import verify
from omnistock.store.database import Database

from .test_orders import LYON, retailer

ORDERS, UNITS_PER_NODE, THREADS = 500, 50, 32


def _place(db: Database, i: int) -> str:
    try:
        placed = place_order(db, f"R-{i}", "web", [{"sku": "A", "quantity": 1}], LYON)
    except InsufficientStock:
        return "refused"
    assert placed.created
    return placed.order["fulfillments"][0]["location"]


@pytest.mark.slow
def test_500_concurrent_orders_for_150_units_on_3_nodes(database_url):
    db = Database.open(database_url, pool_size=THREADS)
    retailer(db, {("A", code): UNITS_PER_NODE for code in ("DC", "S1", "S2")})
    started = time.monotonic()
    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = Counter(pool.map(lambda i: _place(db, i), range(ORDERS)))
    elapsed = time.monotonic() - started
    assert outcomes == {"DC": 50, "S1": 50, "S2": 50, "refused": 350}, outcomes
    body = availability(db, "A")
    assert body["available"] == 0
    assert {e["location"]: e["committed"] for e in body["locations"]} == {
        "DC": 50, "S1": 50, "S2": 50}
    assert verify(db) == []
    placed = [i for i in range(ORDERS) if _exists(db, f"R-{i}")]
    assert len(placed) == 150
    assert elapsed < 40, f"{elapsed:.1f} s"
    db.close()


def _exists(db: Database, order_id: str) -> bool:
    try:
        get_order(db, order_id)
    except Exception:
        return False
    return True
