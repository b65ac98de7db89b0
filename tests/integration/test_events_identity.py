"""The database id behind NATS message ids: drawn once, kept, and new in a new database."""

from __future__ import annotations

from datetime import timedelta

from omnistock.events.identity import NAME, database_id
from omnistock.store.database import Database

from ..backends import fresh_sqlite
from ..factories import T0


def test_drawn_once_and_kept_by_the_database(db, database_url, sqlite_template, tmp_path):
    first = database_id(db)
    again = Database.open(database_url)  # another process would open its own
    try:
        assert database_id(again) == first == database_id(db)
    finally:
        again.close()
    with db.uow() as uow:  # a name held for good is never taken as an expired lease
        assert not uow.leases.take(NAME, "someone", T0 + timedelta(days=36500), T0)
        uow.commit()
    assert database_id(db) == first
    other = Database.open(fresh_sqlite(sqlite_template, tmp_path))
    try:
        assert database_id(other) != first
    finally:
        other.close()
