"""Feed import throughput, and the POS import beside a raw batched SQL insert of the same rows.

    .venv/bin/python bench/ingest.py [--lines 100000] [--backends sqlite,postgresql]

The POS file is imported by `omnistock import` in a child process, so its peak RSS is the
import's own (constant memory: it should not grow with --lines).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import Scratch, report
from ledger import raw_movement_sql
from omnistock.domain.catalog import Item, Location
from omnistock.ingest.registry import parse
from omnistock.services import catalog
from omnistock.services.feeds import import_records
from omnistock.services.verify import verify
from omnistock.store.database import Database

SKUS, STORES = 200, 20
T0 = datetime(2026, 11, 1, tzinfo=UTC)
FIXTURES = Path(__file__).parent.parent / "tests" / "fixtures" / "feeds"


def write_pos(path: Path, lines: int) -> None:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["transaction_id", "line", "occurred_at", "store", "sku", "quantity", "type"])
        for i in range(lines):
            w.writerow([f"T{i // 3}", i % 3 + 1,
                        (T0 + timedelta(seconds=i)).isoformat().replace("+00:00", "Z"),
                        f"S{i % STORES:02d}", f"SKU{i % SKUS:04d}", 1 + i % 2,
                        "return" if i % 17 == 0 else "sale"])


def seed(db: Database) -> None:
    for i in range(SKUS):
        catalog.create_item(db, Item(sku=f"SKU{i:04d}"))
    for i in range(STORES):
        catalog.create_location(db, Location(code=f"S{i:02d}", kind="store"))


def ours(scratch: Scratch, path: Path) -> tuple[float, float, dict]:
    """Records/s and peak RSS (MB) of `omnistock import pos` in a child process."""
    env = {**os.environ, "OMNISTOCK_DATABASE_URL": scratch.url}
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c",
         "import resource, sys; from omnistock.cli import app\n"
         "try:\n    app(['import', 'pos', sys.argv[1], '--source', 'till', '--json'])\n"
         "except SystemExit as e:\n    code = e.code\n"
         "print('RSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)",
         str(path)], env=env, capture_output=True, text=True, check=True)
    elapsed = time.perf_counter() - start
    rss_kb = int(proc.stderr.rsplit("RSS", 1)[1].split()[0])
    summary = json.loads(proc.stdout[proc.stdout.index("{"):])
    return summary["read"] / elapsed, rss_kb / 1024, summary


def raw(scratch: Scratch, path: Path) -> float:
    """The same rows inserted as movements with executemany, 1,000 per transaction, plus the
    position updates, through the same driver: the limit beneath the import."""
    db = Database.open(scratch.url)
    insert, update = raw_movement_sql("%s" if scratch.backend == "postgresql" else "?")
    conn = db.engine.raw_connection()
    cur = conn.cursor()
    start = time.perf_counter()
    n = 0
    with path.open() as fh:
        reader = csv.reader(fh)
        next(reader)
        batch: list[tuple] = []
        for row in reader:
            q = int(row[5]) * (1 if row[6] == "return" else -1)
            ts = row[2] if scratch.backend == "postgresql" else row[2].replace("T", " ")[:19]
            batch.append(("sale", int(row[4][3:]) + 1, int(row[3][1:]) + 1, abs(q), q,
                          0, 0, 0, 0, 0, 0, q, ts, ts, "raw", f"{row[0]}:{row[1]}", "0" * 64))
            if len(batch) == 1000:
                n += _flush(cur, conn, scratch.backend, insert, update, batch)
                batch = []
        if batch:
            n += _flush(cur, conn, scratch.backend, insert, update, batch)
    elapsed = time.perf_counter() - start
    conn.close()
    db.close()
    return n / elapsed


def _flush(cur, conn, backend, insert, update, batch) -> int:  # type: ignore[no-untyped-def]
    if backend == "sqlite":
        cur.execute("BEGIN IMMEDIATE")
    cur.executemany(insert, batch)
    cur.executemany(update, [(r[4], r[1], r[2]) for r in batch])
    conn.commit()
    return len(batch)


def adapters(scratch: Scratch) -> list[dict]:
    """Records/s of each adapter over its hand-written fixture, repeated."""
    rows = []
    db = Database.open(scratch.url)
    for fmt, name in (("snapshot", "snapshot/stock.csv"), ("epcis", "epcis/store_events.jsonld"),
                      ("edifact", "edifact/invrpt_d96a.edi")):
        data = (FIXTURES / name).read_bytes()
        start = time.perf_counter()
        n = sum(import_records(db, parse(fmt, io.BytesIO(data)), source=f"bench-{fmt}",
                               fmt=fmt).read for _ in range(50))
        rows.append({"backend": scratch.backend, "measure": f"{fmt} adapter (fixture x50)",
                     "records/s": n / (time.perf_counter() - start), "raw SQL/s": "",
                     "ratio": "", "peak RSS MB": ""})
    db.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pos.csv"
        write_pos(path, args.lines)
        for backend in args.backends.split(","):
            scratch = Scratch(backend)
            try:
                db = Database.open(scratch.url)
                seed(db)
                db.close()
                rate, rss, summary = ours(scratch, path)
                assert summary["read"] == args.lines and summary["quarantined"] == 0, summary
                checked = Database.open(scratch.url)
                assert verify(checked) == [], "positions differ from the ledger"
                checked.close()
                raw_db = Scratch(backend)
                try:
                    rs = Database.open(raw_db.url)
                    seed(rs)
                    from omnistock.domain.movements import MovementRequest, MovementType
                    from omnistock.services.movements import apply_batch
                    apply_batch(rs, [MovementRequest(MovementType.RECEIPT, f"SKU{i:04d}",
                                                     f"S{j:02d}", 1, T0, "seed", f"{i}-{j}")
                                     for i in range(SKUS) for j in range(STORES)])
                    rs.close()
                    raw_rate = raw(raw_db, path)
                finally:
                    raw_db.close()
                rows.append({"backend": backend,
                             "measure": f"pos import, {args.lines:,} lines, verify ok",
                             "records/s": rate, "raw SQL/s": raw_rate,
                             "ratio": f"{rate / raw_rate:.0%}", "peak RSS MB": f"{rss:.0f}"})
                rows += adapters(scratch)
            finally:
                scratch.close()
    report("feed import (ratio = omnistock / raw batched SQL insert, same driver)", rows,
           "ingest")


if __name__ == "__main__":
    main()
