"""Engines for the two supported stores.

SQLite (embedded default): WAL so readers never block the writer, a busy timeout so writers queue
instead of failing, and `BEGIN IMMEDIATE` so a transaction takes the write lock up front. Without
it two transactions can both read and then both try to upgrade to writing, and SQLite aborts one
with "database is locked" no matter the timeout.

PostgreSQL: READ COMMITTED. Stock is guarded by conditional UPDATEs
(`... WHERE available >= :q`): PostgreSQL re-checks the WHERE clause against the newest row
version after waiting for a concurrent writer, so the check and the write are one atomic step
without SERIALIZABLE retries.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from ..settings import get_settings

SQLITE_BUSY_TIMEOUT_MS = 30_000


def _sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def normalise_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and route them through psycopg 3."""
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


def make_engine(url: str | None = None, *, pool_size: int = 5) -> Engine:
    url = normalise_url(url or get_settings().database_url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    return create_engine(
        url,
        isolation_level="READ COMMITTED",
        pool_size=pool_size,
        max_overflow=pool_size * 2,
        # No pre-ping: it costs a round trip per checkout. A connection broken by a server
        # restart fails its statement once and the pool discards it and its idle siblings.
        pool_recycle=3600,
    )


def _sqlite_engine(url: str) -> Engine:
    path = make_url(url).database
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        # Let SQLAlchemy, not the driver, decide when transactions begin (see begin below).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()
        # PostgreSQL has sha256(); SQLite gets the same hash for the ledger's chain.
        dbapi_conn.create_function("omnistock_sha256", 1, _sha256_hex, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        # Read-only units of work take no write lock, so reads never queue behind writers.
        readonly = conn.get_execution_options().get("omnistock_readonly", False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

    return engine
