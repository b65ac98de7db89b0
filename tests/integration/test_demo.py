"""`omnistock demo`: the seeded retailer is believable and consistent, the command seeds and
prints working keys, and the simulated traffic runs against the real API."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from omnistock.demo import retailer
from omnistock.domain.gs1 import is_gln, is_gtin
from omnistock.services import catalog, keys, kpis
from omnistock.services.availability import availability
from omnistock.services.verify import verify
from omnistock.store.tables import items, movements

from ..e2e.conftest_dashboard import live_server, seeded_db

pytestmark = pytest.mark.xdist_group("demo")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    db, network = seeded_db(tmp_path_factory.mktemp("demo"), items=120, days=2)
    yield db, network
    db.close()


def test_network_is_a_real_chain(demo):
    db, _ = demo
    locs = catalog.list_locations(db)
    kinds = Counter(loc["kind"] for loc in locs)
    assert kinds == {"store": 27, "dc": 1, "dark_store": 1}
    assert all(is_gln(loc["gln"]) for loc in locs)
    assert len({loc["gln"] for loc in locs}) == len(locs)
    for loc in locs:  # Great Britain and Northern Ireland
        assert 49.9 < loc["latitude"] < 58.7 and -8.2 < loc["longitude"] < 1.8, loc
    web = catalog.get_channel(db, "web")["locations"]
    pos = catalog.get_channel(db, "pos")["locations"]
    assert {"DAV-DC", "LON-PRK"} <= set(web) and "DAV-DC" not in pos
    assert set(pos) == {c for c, *_ in retailer.STORES}


def test_catalogue_has_valid_gtins_names_and_costs(demo):
    db, _ = demo
    with db.uow(readonly=True) as uow:
        rows = uow.conn.execute(select(items.c.sku, items.c.gtin, items.c.name,
                                       items.c.unit_cost)).all()
    assert len(rows) == 120
    prefix = "0" + retailer.GTIN_PREFIX  # stored as GTIN-14
    assert all(is_gtin(gtin) and gtin.startswith(prefix) for _, gtin, _, _ in rows)
    assert len({name for _, _, name, _ in rows}) == 120
    assert all(0 < float(cost) < 100 for *_, cost in rows)


def test_full_catalogue_is_large_distinct_and_deterministic():
    import random

    first = retailer.catalogue(3000, random.Random(7))
    again = retailer.catalogue(3000, random.Random(7))
    assert [p.item for p in first] == [p.item for p in again]
    assert len({p.item.sku for p in first}) == len({p.item.name for p in first}) == 3000
    assert len({p.item.gtin for p in first}) == 3000


def test_ledger_is_consistent_and_the_story_has_exceptions(demo):
    db, network = demo
    assert verify(db) == []
    found = kpis.exceptions(db)
    assert sum(e["cause"] == "oversold" for e in found["negative_availability"]) == 4
    assert len(found["large_count_adjustments"]) == 4
    stocked = availability(db, network.skus[0])
    assert stocked["available"] > 0
    incoming = sum(r["incoming"] for s in network.skus[:40]
                   for r in availability(db, s)["locations"])
    assert incoming > 0 and network.in_transit


def test_history_feeds_the_figures(demo):
    db, _ = demo
    body = kpis.kpis(db, *kpis.default_period(datetime.now(UTC), days=2))
    assert {s["source"] for s in body["data_latency"]["sources"]} >= {"pos", "wms", "rfid", "erp"}
    pos = next(s for s in body["data_latency"]["sources"] if s["source"] == "pos")
    assert 0 < pos["p50_seconds"] < 1000  # the POS feed posts every 15 minutes
    assert sum(d["sold"] for d in body["units"]["series"]) > 100
    assert body["stockout_rate"]["cells"] > 0


def test_demo_command_seeds_and_prints_working_keys(tmp_path):
    from omnistock.cli import app

    path = tmp_path / "demo.db"
    started = time.perf_counter()
    result = CliRunner().invoke(app, ["demo", "--seed-only", "--items", "40", "--days", "1",
                                      "--database", str(path)])
    assert result.exit_code == 0, result.output
    assert time.perf_counter() - started < 60
    printed = dict(line.split(": ", 1) for line in result.stdout.splitlines() if ": " in line)
    from omnistock.store.database import Database

    db = Database.open(f"sqlite:///{path}")
    admin = keys.authenticate(db, printed["admin key"])
    associate = keys.authenticate(db, printed[f"store key ({retailer.ASSOCIATE_STORE})"])
    assert admin is not None and admin.role == "admin"
    assert associate is not None and associate.location == retailer.ASSOCIATE_STORE
    db.close()


def test_demo_command_starts_afresh(tmp_path):
    from omnistock.demo.server import fresh_database

    path = tmp_path / "again.db"
    for _ in range(2):
        db = fresh_database(path)
        with db.uow(readonly=True) as uow:
            assert uow.conn.execute(select(func.count()).select_from(items)).scalar() == 0
        catalog.create_location(db, retailer.locations()[0])
        db.close()


def test_traffic_runs_against_the_api_and_keeps_the_ledger_true(demo):
    from omnistock.demo.server import make_keys
    from omnistock.demo.traffic import Traffic

    db, network = demo
    admin, _ = make_keys(db, network.associate_store)

    def count() -> int:
        with db.uow(readonly=True) as uow:
            return int(uow.conn.execute(select(func.count()).select_from(movements)).scalar())

    before = count()
    with live_server(db) as server:
        traffic = Traffic(db, network, server.base_url, admin, rate=60, seed=3)
        traffic.start()
        time.sleep(4)
        traffic.stop()
        traffic.join(10)
    assert traffic.done["sale"] > 0 and traffic.done["cart"] > 0, traffic.summary()
    assert traffic.done["return"] > 0 and not traffic.done["return failed"], traffic.summary()
    assert count() > before
    assert verify(db) == []
