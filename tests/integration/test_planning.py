"""Planning over a real ledger, on SQLite and PostgreSQL: demand history by channel with
stockout days censored, forecasts stored and served, safety stock written as movements."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from omnistock.api.app import create_app
from omnistock.domain.errors import InvalidInput, InvalidState, NotFound
from omnistock.services import keys, planning
from omnistock.services.movements import apply_batch
from omnistock.services.orders import act
from omnistock.services.verify import verify
from omnistock.store.tables import movements

from ..factories import T0, movement
from .test_orders import buckets, order, retailer

DAYS = 70
SHAPE = [0.6, 0.7, 0.8, 0.9, 1.3, 1.8, 0.9]


def history(db) -> None:  # type: ignore[no-untyped-def]
    """70 days before T0: A sells ~10 a day at S1 with a weekly shape; B at S2 runs out for
    the week that starts 14 days before T0; returns here and there."""
    rng = random.Random(7)
    start = -DAYS * 24 * 60
    moves = [movement("receipt", 5000, sku="A", location="S1", minutes=start - 60),
             movement("receipt", 200, sku="B", location="S2", minutes=start - 60)]
    b_left = 200
    for day in range(DAYS):
        at = start + day * 24 * 60 + 600  # 10:00 each day
        weekday = (T0.date() - timedelta(days=DAYS - day)).weekday()
        moves.append(movement("sale", max(1, round(10 * SHAPE[weekday] + rng.gauss(0, 1))),
                              sku="A", location="S1", minutes=at))
        if DAYS - 14 <= day < DAYS - 7:
            continue  # the shelf is empty: nothing sold
        if day == DAYS - 15:
            moves.append(movement("sale", b_left, sku="B", location="S2", minutes=at))
            b_left = 0
            continue
        if day == DAYS - 7:
            moves.append(movement("receipt", 100, sku="B", location="S2", minutes=at - 1))
            b_left += 100
        sold = min(b_left, 3)
        if sold:
            moves.append(movement("sale", sold, sku="B", location="S2", minutes=at))
            b_left -= sold
        if day % 10 == 3:
            moves.append(movement("return", 1, sku="A", location="S1", minutes=at + 30))
    apply_batch(db, moves)


@pytest.fixture
def shop(db):  # type: ignore[no-untyped-def]
    clock = retailer(db, {("A", "S2"): 5})
    history(db)
    order(db, "O-1", [("A", 2)], {"method": "pickup", "location": "S2"})
    act(db, "O-1", 1, "ready")
    act(db, "O-1", 1, "pickup")
    clock.advance(days=1)
    return db


def test_demand_history_by_channel_with_stockout_days_censored(shop):
    series = planning.demand_history(shop, DAYS + 1)
    with shop.uow(readonly=True) as uow:
        a_s1 = (uow.catalog.item_id("A"), uow.catalog.location_id("S1"))
        a_s2 = (uow.catalog.item_id("A"), uow.catalog.location_id("S2"))
        b_s2 = (uow.catalog.item_id("B"), uow.catalog.location_id("S2"))
    a = series[a_s1]
    assert sum(a.by_channel["walk_in"]) > 10 * DAYS * 0.8
    assert sum(a.returns) == 7 and sum(a.net) == sum(a.by_channel["walk_in"]) - 7
    assert not any(a.censored)
    assert series[a_s2].by_channel["bopis"][-1] == 2  # the pickup, yesterday
    b = series[b_s2]
    out = [i for i, c in enumerate(b.censored) if c]
    assert out == list(range(DAYS - 15, DAYS - 7))  # from the sell-out to the restock
    view = planning.demand_view(shop, "B", "S2", 30)
    assert view["history"]["censored"].count(True) == 8


def test_forecasts_are_stored_and_served_with_their_backtest(shop):
    summary = planning.run_forecasts(shop, days=DAYS, horizon=14)
    assert summary["series"] == 3
    assert summary["accuracy"]["smooth"]["series"] >= 1
    [found] = planning.forecast_view(shop, "A", "S1")["forecasts"]
    assert found["segment"] == "smooth" and found["model"].startswith("ETS")
    today = (T0 + timedelta(days=1)).date().isoformat()
    assert len(found["days"]) == 14 and found["start"] == today
    assert found["backtest"]["wape"] < found["backtest"]["seasonal_naive_wape"]
    assert 7 < sum(d["mean"] for d in found["days"]) / 14 < 13
    again = planning.run_forecasts(shop, days=DAYS, horizon=7)
    assert planning.forecast_view(shop, "A", "S1")["forecasts"][0]["run_id"] == again["run_id"]
    with pytest.raises(NotFound):
        planning.forecast_view(shop, "B", "S1")


def test_safety_stock_is_written_through_the_ledger_with_its_reason(shop):
    planning.run_forecasts(shop, days=DAYS, horizon=14)
    dry = planning.apply_safety_stock(shop, lead_time_days=4, dry_run=True)
    assert dry["changed"] >= 2 and buckets(shop, "A", "S1")["safety_stock"] == 0
    done = planning.apply_safety_stock(shop, lead_time_days=4, classes={"A": "A"},
                                       actor="test")
    change = next(c for c in done["changes"] if (c["sku"], c["location"]) == ("A", "S1"))
    assert change["class"] == "A" and change["to"] > 0
    assert buckets(shop, "A", "S1")["safety_stock"] == change["to"]
    with shop.engine.connect() as c:
        [row] = c.execute(select(movements).where(movements.c.source == "planning",
                                                  movements.c.item_id == 1,
                                                  movements.c.location_id == 2)).mappings()
    assert row["type"] == "safety_stock" and row["reason"].startswith("service level 0.98")
    assert planning.apply_safety_stock(shop, lead_time_days=4, classes={"A": "A"})[
        "changed"] == 0
    higher = planning.apply_safety_stock(shop, lead_time_days=4, classes={"A": "A"},
                                         service_levels={"A": 0.999, "B": 0.95})
    assert next(c for c in higher["changes"] if c["sku"] == "A" and c["location"] == "S1")[
        "to"] > change["to"]
    assert verify(shop) == []


def test_planning_through_the_api(shop):
    admin, _ = keys.create_key(shop, role="admin", name="planner")
    viewer, _ = keys.create_key(shop, role="viewer", name="reader")
    with TestClient(create_app(shop, background=[])) as c:
        c.headers["Authorization"] = f"Bearer {viewer}"
        assert c.post("/v1/planning/forecasts", json={}).status_code == 403
        assert c.get("/v1/forecasts/A").status_code == 404
        run = c.post("/v1/planning/forecasts", json={"days": DAYS, "horizon": 7},
                     headers={"Authorization": f"Bearer {admin}"})
        assert run.status_code == 200, run.text
        body = c.get("/v1/forecasts/A", params={"location": "S1"}).json()
        assert body["forecasts"][0]["days"][0]["lo95"] <= body["forecasts"][0]["days"][0][
            "mean"]
        assert c.get("/v1/demand/B", params={"location": "S2", "days": 30}).json()[
            "history"]["censored"].count(True) == 8
        ss = c.post("/v1/planning/safety-stock", json={"dry_run": True, "lead_time_days": 2.0},
                    headers={"Authorization": f"Bearer {admin}"})
        assert ss.status_code == 200, ss.text
        assert {"class", "from", "to"} <= set(ss.json()["changes"][0])
        bad = c.post("/v1/planning/forecasts", json={"horizon": 0},
                     headers={"Authorization": f"Bearer {admin}"})
        assert bad.status_code == 422


def test_proposals_from_forecasts_superseded_accepted_and_rejected(shop):
    planning.run_forecasts(shop, days=DAYS, horizon=14)
    planning.apply_safety_stock(shop, lead_time_days=2)
    apply_batch(shop, [movement("receipt", 400, sku="A", location="DC", minutes=24 * 60 + 50),
                       movement("sale", buckets(shop, "A", "S1")["on_hand"] - 5, sku="A",
                                location="S1", minutes=24 * 60 + 51)])
    first = planning.propose(shop, {"lead_time_days": 2, "pack_size": 6})
    open_ = planning.list_proposals(shop, status="proposed")
    a_s1 = next(p for p in open_ if (p["sku"], p["to_location"]) == ("A", "S1"))
    assert a_s1["kind"] == "transfer" and a_s1["from_location"] == "DC"
    assert a_s1["quantity"] % 6 == 0 and a_s1["why"]["inventory_position"] == 5
    assert a_s1["why"]["reorder_point"] > 5
    second = planning.propose(shop, {"lead_time_days": 2, "pack_size": 6, "auto_accept": [
        {"name": "small-transfers", "kinds": ["transfer"], "max_quantity": 1000}]})
    assert second["superseded"] == first["proposals"] and second["auto_accepted"] >= 1
    [auto] = [p for p in planning.list_proposals(shop, kind="transfer")
              if p["run_id"] == second["run_id"] and p["to_location"] == "S1"]
    assert auto["status"] == "accepted" and auto["decided_by"] == "rule:small-transfers"
    with pytest.raises(InvalidState):
        planning.decide_proposal(shop, auto["id"], False, actor="test")
    assert all(p["status"] == "superseded" for p in planning.list_proposals(shop)
               if p["run_id"] == first["run_id"])
    with pytest.raises(InvalidInput):
        planning.propose(shop, {"pack_size": 0})
    assert verify(shop) == []


def test_proposals_through_the_api(shop):
    admin, _ = keys.create_key(shop, role="admin", name="planner")
    planning.run_forecasts(shop, days=DAYS, horizon=14)
    apply_batch(shop, [movement("receipt", 400, sku="A", location="DC", minutes=24 * 60 + 50),
                       movement("sale", buckets(shop, "A", "S1")["on_hand"], sku="A",
                                location="S1", minutes=24 * 60 + 51)])
    with TestClient(create_app(shop, background=[])) as c:
        c.headers["Authorization"] = f"Bearer {admin}"
        run = c.post("/v1/planning/proposals", json={"lead_time_days": 2.0})
        assert run.status_code == 200, run.text
        listed = c.get("/v1/proposals", params={"status": "proposed"}).json()["proposals"]
        assert listed and all(p["status"] == "proposed" for p in listed)
        pid = listed[0]["id"]
        assert c.post(f"/v1/proposals/{pid}/reject").json()["status"] == "rejected"
        again = c.post(f"/v1/proposals/{pid}/accept")
        assert again.status_code == 409, again.text
        assert c.post("/v1/proposals/nope/accept").status_code == 404
        assert c.post("/v1/planning/proposals", json={"pack_size": 0}).status_code == 422
