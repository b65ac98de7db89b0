"""`omnistock keys create|list|revoke` (omnistock.cli.admin), on both backends."""

from __future__ import annotations

from typer.testing import CliRunner

from omnistock.cli import app
from omnistock.services import keys
from omnistock.store.database import Database

from ..factories import seed


def test_keys_create_prints_the_key_alone_and_list_and_revoke_work(database_url: str):
    db = Database.open(database_url)
    seed(db)
    runner = CliRunner()
    env = {"OMNISTOCK_DATABASE_URL": database_url}
    made = runner.invoke(app, ["keys", "create", "--role", "store", "--location", "S1",
                               "--name", "till 4"], env=env)
    assert made.exit_code == 0, made.output
    key = made.stdout.strip()
    assert keys.KEY_PATTERN.fullmatch(key), made.stdout  # nothing else on stdout
    record = keys.authenticate(db, key)
    assert record is not None and (record.role, record.location) == ("store", "S1")
    listed = runner.invoke(app, ["keys", "list"], env=env)
    assert listed.exit_code == 0 and record.prefix in listed.stdout and key not in listed.stdout
    revoked = runner.invoke(app, ["keys", "revoke", record.prefix], env=env)
    assert revoked.exit_code == 0 and keys.authenticate(db, key) is None
    bad = runner.invoke(app, ["keys", "create", "--role", "store"], env=env)
    assert bad.exit_code == 1 and bad.stdout == ""
    assert runner.invoke(app, ["keys", "revoke", "nope"], env=env).exit_code == 1
    db.close()
