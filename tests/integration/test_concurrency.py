"""Never oversell: many threads, then many processes, race for one hot SKU."""

from __future__ import annotations

import multiprocessing as mp
from concurrent.futures import ThreadPoolExecutor

import pytest

from omnistock.domain.errors import InsufficientStock
from omnistock.services import reservations as res
from omnistock.services.availability import availability
from omnistock.services.movements import apply_movement
from omnistock.services.verify import verify
from omnistock.store.database import Database

from ..factories import movement, seed

UNITS, ATTEMPTS = 100, 400


def _attempt(db: Database) -> bool:
    try:
        res.reserve(db, sku="SKU-1", location="S1", quantity=1, ttl_seconds=600)
        return True
    except InsufficientStock:
        return False


def _worker(url: str, attempts: int, results: mp.Queue) -> None:
    db = Database.open(url)
    results.put(sum(_attempt(db) for _ in range(attempts)))
    db.close()


def _assert_exactly_units_reserved(db: Database, won: int) -> None:
    assert won == UNITS
    body = availability(db, "SKU-1")
    assert body["locations"][0]["reserved"] == UNITS
    assert body["available"] == 0
    assert verify(db) == []


@pytest.mark.slow
def test_32_threads_race_for_100_units(database_url):
    db = Database.open(database_url, pool_size=32)
    seed(db)
    apply_movement(db, movement("receipt", UNITS))
    with ThreadPoolExecutor(32) as pool:
        won = sum(pool.map(lambda _: _attempt(db), range(ATTEMPTS)))
    _assert_exactly_units_reserved(db, won)
    db.close()


@pytest.mark.slow
def test_4_processes_race_for_100_units(database_url):
    db = Database.open(database_url)
    seed(db)
    apply_movement(db, movement("receipt", UNITS))
    ctx = mp.get_context("spawn")
    results: mp.Queue = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(database_url, ATTEMPTS // 4, results))
             for _ in range(4)]
    for p in procs:
        p.start()
    won = sum(results.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=30)
    _assert_exactly_units_reserved(db, won)
    db.close()
