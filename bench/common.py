"""Shared helpers for benchmarks: throwaway databases, timing, result tables."""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text

from omnistock.store.db import make_engine
from omnistock.store.migrate import upgrade

PG_ADMIN = os.environ.get("OMNISTOCK_TEST_POSTGRES_URL",
                          "postgresql+psycopg://root@127.0.0.1:5432/postgres")
RESULTS = Path(__file__).with_name("results")
console = Console()


class Scratch:
    """A migrated throwaway database on `backend`, removed on close."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        if backend == "sqlite":
            self._dir = tempfile.TemporaryDirectory()
            self.url = f"sqlite:///{Path(self._dir.name) / 'bench.db'}"
        else:
            self.name = f"omnistock_bench_{uuid.uuid4().hex[:8]}"
            self._admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
            with self._admin.connect() as c:
                c.execute(text(f'CREATE DATABASE "{self.name}"'))
            self.url = PG_ADMIN.rsplit("/", 1)[0] + f"/{self.name}"
        engine = make_engine(self.url)
        upgrade(engine)
        engine.dispose()

    def close(self) -> None:
        if self.backend == "sqlite":
            self._dir.cleanup()
        else:
            with self._admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            self._admin.dispose()


def rate(fn: Callable[[], int], repeats: int = 3) -> float:
    """Median operations per second over `repeats` runs of fn (which returns its op count)."""
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        n = fn()
        rates.append(n / (time.perf_counter() - start))
    return statistics.median(rates)


def report(title: str, rows: list[dict], name: str) -> None:
    table = Table(title=title)
    for col in rows[0]:
        table.add_column(col, justify="right" if col != "measure" else "left")
    for row in rows:
        table.add_row(*[f"{v:,.1f}" if isinstance(v, float) else str(v) for v in row.values()])
    console.print(table)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(rows, indent=2))
