from __future__ import annotations

from collections.abc import Iterator

import pytest

from omnistock.store.database import Database
from omnistock.store.db import make_engine
from omnistock.store.migrate import upgrade

from .backends import (
    PostgresDatabases,
    fresh_sqlite,
    migrated_sqlite_template,
    require_postgres,
    truncate_all,
)

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[PostgresDatabases]:
    dbs = PostgresDatabases()
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session")
def pg_url(pg_databases: PostgresDatabases) -> str:
    require_postgres()
    url = pg_databases.create()
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return migrated_sqlite_template(tmp_path_factory.mktemp("sqlite"))


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path, sqlite_template) -> str:  # type: ignore[no-untyped-def]
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        return fresh_sqlite(sqlite_template, tmp_path)
    url = request.getfixturevalue("pg_url")
    truncate_all(url)
    return url


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    s = Database.open(database_url)
    yield s
    s.close()
