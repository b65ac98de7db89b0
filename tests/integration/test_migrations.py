"""Migrations from an empty database give exactly the schema the code declares, and carry an
existing ledger forward."""

import importlib

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from omnistock.services.movements import apply_batch, apply_movement
from omnistock.services.verify import verify
from omnistock.store.db import make_engine
from omnistock.store.schema import metadata

from ..factories import movement, seed


def test_migrated_schema_matches_the_tables(database_url):
    engine = make_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert diff == []



def test_movements_recorded_before_the_chain_are_chained_by_its_migration(db):
    seed(db)
    apply_batch(db, [movement("receipt", 5), movement("sale", 2)])
    apply_movement(db, movement("return", 1, minutes=3))
    with db.engine.begin() as conn:  # the ledger as revision 0005 left it: no links
        conn.execute(text("UPDATE movements SET seq = NULL, chain_hash = NULL"))
        conn.execute(text("UPDATE positions SET seq = 0, chain_head = ''"))
    assert [m.check for m in verify(db)] == ["chain"]
    revision = importlib.import_module("omnistock.store.migrations.versions.0006_ledger_chain")
    with db.engine.begin() as conn:
        revision._chain_existing(conn)
    assert verify(db) == []
