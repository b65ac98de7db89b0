"""Migrations from an empty database give exactly the schema the code declares."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from omnistock.store.db import make_engine
from omnistock.store.schema import metadata


def test_migrated_schema_matches_the_tables(database_url):
    engine = make_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert diff == []
