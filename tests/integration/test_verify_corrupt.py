"""`omnistock verify` on a ledger corrupted behind omnistock's back (raw SQL): it never dies, it
ends in a report naming the position, on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from omnistock.cli import app
from omnistock.services.movements import apply_movement
from omnistock.services.verify import verify
from omnistock.store.database import Database

from ..backends import fresh_sqlite
from ..factories import movement, seed

NEAR_INT64 = 2**62 + 2**61  # two of them sum past 2^63 - 1


def tamper(db, sql: str) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(sql))


def two_receipts(db) -> None:
    seed(db, skus=("SKU-1", "SKU-2"))
    apply_movement(db, movement("receipt", 5))
    apply_movement(db, movement("receipt", 5))
    apply_movement(db, movement("receipt", 3, sku="SKU-2"))


def test_deltas_summing_past_int64_are_reported_not_an_overflow(db):
    two_receipts(db)
    tamper(db, f"UPDATE movements SET d_on_hand = {NEAR_INT64} WHERE item_id = "
               "(SELECT id FROM items WHERE sku = 'SKU-1')")
    found = verify(db)
    sums = [(m.sku, m.bucket, m.position, m.ledger) for m in found if m.check == "sum"]
    assert sums == [("SKU-1", "on_hand", 10, 2 * NEAR_INT64)]
    assert {m.sku for m in found} == {"SKU-1"}  # the untouched position still checks out


def test_a_position_past_int64_on_replay_is_reported(db):
    two_receipts(db)
    tamper(db, f"UPDATE movements SET raw_on_hand = {NEAR_INT64} WHERE item_id = "
               "(SELECT id FROM items WHERE sku = 'SKU-1')")
    replay = [(m.sku, m.position, m.ledger) for m in verify(db) if m.check == "replay"]
    assert replay == [("SKU-1", 10, 2 * NEAR_INT64)]


def test_the_cli_ends_in_a_report_and_exit_1(db, database_url):
    two_receipts(db)
    tamper(db, f"UPDATE movements SET d_on_hand = {NEAR_INT64}")
    done = CliRunner().invoke(app, ["verify"], env={"OMNISTOCK_DATABASE_URL": database_url})
    assert done.exit_code == 1, done.output
    assert done.exception is None or isinstance(done.exception, SystemExit)
    assert "difference(s)" in done.stdout and "SKU-1" in done.stdout and "SKU-2" in done.stdout


@pytest.fixture
def sqlite_db(sqlite_template, tmp_path):
    """SQLite only: PostgreSQL's BIGINT columns cannot hold a float or text."""
    db = Database.open(fresh_sqlite(sqlite_template, tmp_path))
    yield db
    db.close()


@pytest.mark.parametrize("value", ["1.5", "9.3e18", "'lots'"])
def test_a_float_or_text_in_a_bucket_is_reported_as_corrupt(sqlite_db, value):
    db = sqlite_db
    two_receipts(db)
    tamper(db, f"UPDATE positions SET reserved = {value} WHERE item_id = "
               "(SELECT id FROM items WHERE sku = 'SKU-1')")
    [m] = verify(db)
    assert (m.sku, m.bucket, m.check) == ("SKU-1", "reserved", "corrupt")
    assert "not an integer" in m.detail


@pytest.mark.parametrize("column", ["d_on_hand", "raw_on_hand", "counted"])
def test_a_float_in_a_movement_is_reported_as_corrupt(sqlite_db, column):
    db = sqlite_db
    two_receipts(db)
    tamper(db, f"UPDATE movements SET {column} = 4.5 WHERE id = 1")
    found = verify(db)
    assert found and {m.sku for m in found} == {"SKU-1"}
    assert "corrupt" in {m.check for m in found}
    corrupt = [m for m in found if m.check == "corrupt"]
    assert all("4.5" in m.detail for m in corrupt)
