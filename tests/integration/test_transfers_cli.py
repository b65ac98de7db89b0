"""`omnistock transfers list` on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

from typer.testing import CliRunner

from omnistock.cli import app
from omnistock.services import transfers

from ..factories import T0
from .test_transfers import network, new


def test_transfers_list_shows_what_is_in_transit(db, database_url):
    network(db)
    waiting = new(db)
    db.clock = lambda: T0 + timedelta(minutes=1)
    moving = new(db, lines=[("A", 2), ("B", 3)])
    transfers.ship(db, moving["id"])
    runner = CliRunner()
    shown = runner.invoke(app, ["transfers", "list", "--status", "in_transit",
                                "--location", "S1", "--database-url", database_url])
    assert shown.exit_code == 0, shown.output
    assert moving["id"][:8] in shown.output and waiting["id"][:8] not in shown.output
    assert "A 2/2, B 3/3" in shown.output
    listed = runner.invoke(app, ["transfers", "list", "--json", "--database-url",
                                 database_url])
    assert [t["id"] for t in json.loads(listed.output)["transfers"]] == [
        moving["id"], waiting["id"]]
    bad = runner.invoke(app, ["transfers", "list", "--status", "lost", "--database-url",
                              database_url])
    assert bad.exit_code == 2
