"""Ledger throughput, each figure beside the same operation in raw SQL through the same driver.

    .venv/bin/python bench/ledger.py [--backends sqlite,postgresql] [--scale]

--scale also measures batched ingest as the positions table grows from 10^4 to 10^6 rows.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import multiprocessing as mp
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import Scratch, rate, report
from omnistock.domain.buckets import BUCKETS, available_sql
from omnistock.domain.catalog import Item, Location
from omnistock.domain.errors import InsufficientStock
from omnistock.domain.movements import MovementRequest, MovementType
from omnistock.services import catalog
from omnistock.services import reservations as res
from omnistock.services.availability import availability
from omnistock.services.movements import apply_batch, apply_movement
from omnistock.store.database import Database

NOW = datetime(2026, 11, 1, tzinfo=UTC)
SEQ = itertools.count()
LOCATIONS = 50
WORKERS = 16


def ph(backend: str) -> str:
    return "%s" if backend == "postgresql" else "?"


def seed(db: Database) -> None:
    catalog.create_item(db, Item(sku="HOT"))
    for i in range(LOCATIONS):
        catalog.create_location(db, Location(code=f"L{i:02d}", kind="store"))
    apply_batch(db, [receipt(f"L{i:02d}", 10**9) for i in range(LOCATIONS)])


def receipt(location: str = "L00", quantity: int = 1) -> MovementRequest:
    return MovementRequest(type=MovementType.RECEIPT, sku="HOT", location=location,
                           quantity=quantity, occurred_at=NOW, source="bench",
                           external_id=f"m{next(SEQ)}-{time.time_ns()}")


# -- raw SQL through the same driver -------------------------------------------------------
def raw_movement_sql(p: str) -> tuple[str, str]:
    cols = ("type, item_id, location_id, quantity, d_on_hand, d_committed, d_reserved, "
            "d_damaged, d_quality_control, d_safety_stock, d_incoming, raw_on_hand, "
            "occurred_at, recorded_at, source, external_id, payload_hash")
    insert = f"INSERT INTO movements ({cols}) VALUES ({', '.join([p] * 17)})"
    update = (f"UPDATE positions SET on_hand = on_hand + {p} "
              f"WHERE item_id = {p} AND location_id = {p}")
    return insert, update


def raw_row(backend: str):
    ts = NOW if backend == "postgresql" else NOW.replace(tzinfo=None).isoformat(" ")
    return ("receipt", 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, ts, ts, "raw",
            f"r{next(SEQ)}-{time.time_ns()}", "0" * 64)


def raw_single(db: Database, backend: str, n: int) -> int:
    insert, update = raw_movement_sql(ph(backend))
    conn = db.engine.raw_connection()
    cur = conn.cursor()
    for _ in range(n):
        if backend == "sqlite":
            cur.execute("BEGIN IMMEDIATE")
        cur.execute(insert, raw_row(backend))
        cur.execute(update, (1, 1, 1))
        conn.commit()
    conn.close()
    return n


def raw_batch(db: Database, backend: str, batches: int, size: int = 1000) -> int:
    insert, update = raw_movement_sql(ph(backend))
    conn = db.engine.raw_connection()
    cur = conn.cursor()
    for _ in range(batches):
        if backend == "sqlite":
            cur.execute("BEGIN IMMEDIATE")
        cur.executemany(insert, [raw_row(backend) for _ in range(size)])
        cur.executemany(update, [(1, 1, (i % LOCATIONS) + 1) for i in range(size)])
        conn.commit()
    conn.close()
    return batches * size


def raw_reads(db: Database, n: int) -> int:
    sql = (f"SELECT l.code, {', '.join('p.' + b for b in BUCKETS)} FROM positions p "
           "JOIN locations l ON l.id = p.location_id WHERE p.item_id = 1")
    conn = db.engine.raw_connection()
    cur = conn.cursor()
    for _ in range(n):
        cur.execute(sql)
        assert len(cur.fetchall()) == LOCATIONS
        conn.commit()
    conn.close()
    return n


# -- hot SKU, 16 processes -----------------------------------------------------------------
def _hot_worker(url: str, backend: str, mode: str, seconds: float, out: mp.Queue) -> None:
    db = Database.open(url)
    deadline = time.perf_counter() + seconds
    n = 0
    if mode == "raw":
        sql = (f"UPDATE positions SET reserved = reserved + 1 WHERE item_id = 1 AND "
               f"location_id = 1 AND {available_sql()} >= 1")
        # The limit: one autocommit conditional UPDATE per attempt (SQLite's connection is
        # already in autocommit mode, see store/db.py).
        conn = db.engine.raw_connection()
        if backend == "postgresql":
            conn.driver_connection.autocommit = True
        cur = conn.cursor()
        while time.perf_counter() < deadline:
            cur.execute(sql)
            n += 1
        conn.close()
    else:
        while time.perf_counter() < deadline:
            with contextlib.suppress(InsufficientStock):
                res.reserve(db, sku="HOT", location="L00", quantity=1, ttl_seconds=3600)
            n += 1
    db.close()
    out.put(n)


def hot_sku(url: str, backend: str, mode: str, seconds: float = 4.0) -> float:
    ctx = mp.get_context("spawn")
    out: mp.Queue = ctx.Queue()
    procs = [ctx.Process(target=_hot_worker, args=(url, backend, mode, seconds, out))
             for _ in range(WORKERS)]
    for p in procs:
        p.start()
    total = sum(out.get(timeout=120) for _ in procs)
    for p in procs:
        p.join()
    return total / seconds


def bench_backend(backend: str) -> list[dict]:
    scratch = Scratch(backend)
    db = Database.open(scratch.url)
    try:
        seed(db)
        rows = []

        def add(measure: str, ours: float, raw: float) -> None:
            rows.append({"backend": backend, "measure": measure, "omnistock/s": ours,
                         "raw SQL/s": raw, "ratio": f"{ours / raw:.0%}"})

        n = 300
        add("single movement", rate(lambda: [apply_movement(db, receipt()) for _ in
                                             range(n)] and n),
            rate(lambda: raw_single(db, backend, n)))
        add("batched movements (1,000/tx)",
            rate(lambda: len(apply_batch(db, [receipt(f"L{i % LOCATIONS:02d}")
                                                 for i in range(1000)], with_ids=False))),
            rate(lambda: raw_batch(db, backend, 1)))
        add("point availability, 50 locations",
            rate(lambda: [availability(db, "HOT") for _ in range(n)] and n),
            rate(lambda: raw_reads(db, n)))
        add(f"hot-SKU reservations, {WORKERS} processes",
            hot_sku(scratch.url, backend, "ours"), hot_sku(scratch.url, backend, "raw"))
        return rows
    finally:
        db.close()
        scratch.close()


def bench_scale(backend: str) -> list[dict]:
    """Batched ingest as the positions table grows."""
    rows = []
    scratch = Scratch(backend)
    db = Database.open(scratch.url)
    try:
        seed(db)
        filled = LOCATIONS
        for target in (10**4, 10**5, 10**6):
            _fill_positions(db, backend, filled, target)
            filled = target
            ours = rate(lambda: len(apply_batch(db, [receipt(f"L{i % LOCATIONS:02d}")
                                                        for i in range(1000)], with_ids=False)))
            raw = rate(lambda: raw_batch(db, backend, 1))
            rows.append({"backend": backend, "measure": f"batched, {target:,} positions",
                         "omnistock/s": ours, "raw SQL/s": raw, "ratio": f"{ours / raw:.0%}"})
    finally:
        db.close()
        scratch.close()
    return rows


def _fill_positions(db: Database, backend: str, have: int, want: int) -> None:
    """Add items so that positions reach `want` rows (items x 50 locations)."""
    p = ph(backend)
    ts = NOW if backend == "postgresql" else NOW.replace(tzinfo=None).isoformat(" ")
    first = have // LOCATIONS
    with db.engine.begin() as c:
        for chunk in range(first, want // LOCATIONS, 2000):
            ids = range(chunk, min(chunk + 2000, want // LOCATIONS))
            c.exec_driver_sql(f"INSERT INTO items (sku, name, created_at) VALUES ({p}, '', {p})",
                              [(f"F{i}", ts) for i in ids])
        c.exec_driver_sql(
            f"INSERT INTO positions (item_id, location_id, {', '.join(BUCKETS)}, updated_at) "
            f"SELECT i.id, l.id, 5, 0, 0, 0, 0, 0, 0, {p} FROM items i CROSS JOIN locations l "
            f"WHERE i.sku LIKE {p} AND NOT EXISTS (SELECT 1 FROM positions x "
            f"WHERE x.item_id = i.id AND x.location_id = l.id)", (ts, "F%"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--scale", action="store_true")
    args = parser.parse_args()
    rows = []
    for backend in args.backends.split(","):
        rows += bench_backend(backend)
        if args.scale:
            rows += bench_scale(backend)
    report("ledger throughput (median of 3; ratio = omnistock / raw SQL, same driver)", rows,
           "ledger")


if __name__ == "__main__":
    main()
