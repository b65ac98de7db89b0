"""Throwaway databases for tests: a SQLite file, or a fresh PostgreSQL database per run.

PostgreSQL- and NATS-backed tests skip when the server does not answer, unless
OMNISTOCK_REQUIRE_SERVICES=1 (CI), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from omnistock.store.db import make_engine
from omnistock.store.migrate import upgrade

PG_ADMIN_URL = os.environ.get(
    "OMNISTOCK_TEST_POSTGRES_URL", "postgresql+psycopg://root@127.0.0.1:5432/postgres")
NATS_URL = os.environ.get("OMNISTOCK_TEST_NATS_URL", "nats://127.0.0.1:4222")
REQUIRED = os.environ.get("OMNISTOCK_REQUIRE_SERVICES") == "1"


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require(name: str, host: str, port: int) -> None:
    if reachable(host, port):
        return
    message = f"{name} is not reachable at {host}:{port}"
    if REQUIRED:
        pytest.fail(message + " and OMNISTOCK_REQUIRE_SERVICES=1")
    pytest.skip(message)


def require_postgres() -> None:
    u = make_url(PG_ADMIN_URL)
    require("PostgreSQL", u.host or "127.0.0.1", u.port or 5432)


def require_nats() -> None:
    u = urlparse(NATS_URL)
    require("NATS", u.hostname or "127.0.0.1", u.port or 4222)


class PostgresDatabases:
    """Creates databases named after this run, drops them at the end."""

    def __init__(self) -> None:
        self.tag = f"omnistock_test_{uuid.uuid4().hex[:10]}"
        self.created: list[str] = []
        self._admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")

    def create(self, suffix: str = "") -> str:
        name = f"{self.tag}{suffix}"
        with self._admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self._admin.connect() as c:
            for name in self.created:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._admin.dispose()


def migrated_sqlite_template(folder: Path) -> Path:
    path = folder / "template.db"
    if not path.exists():
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        engine.dispose()
    return path


def fresh_sqlite(template: Path, folder: Path) -> str:
    path = folder / f"{uuid.uuid4().hex[:8]}.db"
    shutil.copy(template, path)
    return f"sqlite:///{path}"


def truncate_all(url: str) -> None:
    from omnistock.store.schema import metadata

    # DELETE, not TRUNCATE: a test leaves a few rows in each of some forty tables, and
    # TRUNCATE's new files cost far more than deleting them; the sequences start again at 1.
    engine = make_engine(url)
    with engine.begin() as c:
        for t in reversed(metadata.sorted_tables):
            c.execute(text(f'DELETE FROM "{t.name}"'))
        c.execute(text("SELECT setval(c.oid, 1, false) FROM pg_class c "
                       "WHERE c.relkind = 'S'"))
    engine.dispose()
