"""The dashboard's figures, computed from the ledger (and orders), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Table, create_engine, insert, inspect

from omnistock.domain.errors import InsufficientStock, InvalidInput
from omnistock.domain.movements import MovementRequest, MovementType
from omnistock.services import kpis
from omnistock.services import reservations as res
from omnistock.services.movements import CountRequest, apply_count, apply_movement
from omnistock.store import tables
from omnistock.store.database import Database
from omnistock.store.order_tables import fulfillments, orders
from omnistock.store.reports import ReportRepository

from ..factories import T0, movement, seed

DAY = datetime(2026, 11, 1, tzinfo=UTC)


def at(day: int, hour: int = 12) -> datetime:
    return DAY + timedelta(days=day, hours=hour)


def move(type_, qty, day, *, sku="SKU-1", location="S1", hour=12, **kw):
    minutes = int((at(day, hour) - T0).total_seconds() // 60)
    return movement(type_, qty, sku=sku, location=location, minutes=minutes, **kw)


def test_stockout_rate_counts_item_location_days_with_nothing_on_hand(db):
    seed(db, skus=("SKU-1", "SKU-2"), locations=("S1", "S2"))
    apply_movement(db, move("receipt", 2, 0))
    apply_movement(db, move("sale", 2, 1))  # SKU-1 @ S1 sold out on day 1 ...
    apply_movement(db, move("receipt", 5, 2))  # ... and back on day 2
    apply_movement(db, move("receipt", 1, 0, sku="SKU-2"))
    apply_movement(db, move("receipt", 3, 1, location="S2"))  # S2 ranges SKU-1 from day 1
    body = kpis.kpis(db, at(0, 0), at(3, 0))
    series = {d["date"]: (d["cells"], d["out"]) for d in body["stockout_rate"]["series"]}
    assert series == {"2026-11-01": (2, 0), "2026-11-02": (3, 1), "2026-11-03": (3, 0)}
    assert body["stockout_rate"]["value"] == pytest.approx(1 / 8)
    # A position with no movement in the period still counts, at its opening on_hand.
    later = kpis.kpis(db, at(1, 0), at(3, 0))
    assert [(d["cells"], d["out"]) for d in later["stockout_rate"]["series"]] == [(3, 1), (3, 0)]


def test_end_of_day_uses_movements_up_to_the_end_of_that_day_only(db):
    seed(db)
    apply_movement(db, move("receipt", 1, 0, hour=8))
    apply_movement(db, move("sale", 1, 0, hour=23))  # sold out late on day 0
    apply_movement(db, move("receipt", 4, 1, hour=1))
    series = kpis.kpis(db, at(0, 0), at(2, 0))["stockout_rate"]["series"]
    assert [(d["cells"], d["out"]) for d in series] == [(1, 1), (1, 0)]


def test_units_by_day_by_kind(db):
    seed(db)
    apply_movement(db, move("receipt", 9, 0))
    apply_movement(db, move("sale", 2, 0))
    apply_movement(db, move("sale", 1, 1))
    apply_movement(db, move("return", 1, 1))
    units = kpis.kpis(db, at(0, 0), at(2, 0))["units"]["series"]
    assert [(u["date"], u["sold"], u["returned"], u["received"]) for u in units] == [
        ("2026-11-01", 2, 0, 9), ("2026-11-02", 1, 1, 0)]


def clocked(db: Database, now: datetime) -> Database:
    return Database(db.engine, db.ids, lambda: now)


def test_data_latency_p50_p99_by_source_leaves_internal_movements_out(db):
    seed(db)
    recorded = at(0, 13)
    for seconds in (1, 2, 3, 4):
        apply_movement(clocked(db, recorded), MovementRequest(
            type=MovementType.RECEIPT, sku="SKU-1", location="S1", quantity=5,
            occurred_at=recorded - timedelta(seconds=seconds), source="pos",
            external_id=f"p{seconds}"))
    apply_movement(clocked(db, recorded), move("receipt", 1, 0, hour=12, source="erp"))
    res.reserve(clocked(db, recorded), sku="SKU-1", location="S1", quantity=1,
                ttl_seconds=60)  # a hold: recorded when it happens, not a feed
    sources = kpis.kpis(db, at(0, 0), at(1, 0))["data_latency"]["sources"]
    assert sources == [
        {"source": "erp", "movements": 1, "p50_seconds": 3600.0, "p99_seconds": 3600.0},
        {"source": "pos", "movements": 4, "p50_seconds": 2.5, "p99_seconds": 3.97}]


def test_period_must_be_sane():
    with pytest.raises(InvalidInput) as e:
        kpis.period_days(at(2), at(1))
    assert e.value.field == "to"
    with pytest.raises(InvalidInput):
        kpis.period_days(datetime(2026, 1, 1), at(1))  # naive
    with pytest.raises(InvalidInput):
        kpis.period_days(at(0), at(kpis.MAX_DAYS + 1))
    assert kpis.period_days(at(0, 0), at(1, 0)) == [DAY.date()]


def test_oversell_refusals_are_counted_in_their_period(db):
    seed(db)
    apply_movement(db, move("receipt", 1, 0))
    db.clock = lambda: at(0, 12)
    res.reserve(db, sku="SKU-1", location="S1", quantity=1, ttl_seconds=600)
    for _ in range(2):
        with pytest.raises(InsufficientStock):
            res.reserve(db, sku="SKU-1", location="S1", quantity=1,
                                 ttl_seconds=600)
    body = kpis.kpis(db, at(0, 0), at(1, 0))["oversell_refused"]
    assert (body["value"], body["by_kind"], body["scope"]) == (2, {"reservation": 2}, "period")
    assert kpis.kpis(db, at(1, 0), at(2, 0))["oversell_refused"]["value"] == 0


def test_exceptions_negative_availability_and_large_counts(db):
    seed(db, skus=("SKU-1", "SKU-2", "SKU-3"))
    apply_movement(db, move("receipt", 2, 0))
    apply_movement(db, move("sale", 3, 0, hour=13))  # a till sold a unit we did not know of
    apply_movement(db, move("receipt", 1, 0, sku="SKU-2"))
    apply_movement(db, move("safety_stock", 2, 0, sku="SKU-2"))  # below its safety stock
    apply_movement(db, move("receipt", 50, 0, sku="SKU-3"))
    apply_count(db, CountRequest(sku="SKU-3", location="S1", counted_quantity=20,
                                    counted_at=at(0, 15), source="rfid", external_id="c-big"))
    apply_count(db, CountRequest(sku="SKU-3", location="S1", counted_quantity=18,
                                    counted_at=at(0, 16), source="rfid", external_id="c-small"))
    body = kpis.exceptions(db, count_threshold=20)
    assert [(r["sku"], r["available"], r["cause"]) for r in body["negative_availability"]] == [
        ("SKU-1", -1, "oversold"), ("SKU-2", -1, "below_safety_stock")]
    assert [(c["sku"], c["delta"], c["counted"], c["external_id"])
            for c in body["large_count_adjustments"]] == [("SKU-3", -30, 20, "c-big")]
    assert kpis.exceptions(db, count_threshold=2)["large_count_adjustments"][0][
        "external_id"] == "c-small"
    with pytest.raises(InvalidInput):
        kpis.exceptions(db, count_threshold=0)


# -- orders ------------------------------------------------------------------------------------
def test_order_figures_are_null_while_there_are_no_orders_tables(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'no-orders.db'}")
    core = [tables.items, tables.locations, tables.movements, tables.positions]
    tables.metadata.create_all(engine, tables=core)
    with engine.connect() as conn:
        assert not inspect(conn).has_table("orders")
        body = kpis.order_figures(ReportRepository(conn), at(0, 0), at(2, 0), [DAY.date()])
    for name in ("fill_rate", "bopis_share", "ship_from_store_share", "split_shipment_rate"):
        assert body[name]["value"] is None and body[name]["note"] == kpis.NO_ORDERS
    assert body["orders"]["recorded"] is False
    engine.dispose()


def _place(conn, orders: Table, fulfillments: Table, ids: dict[str, int], order_id: str,
           method: str, parts: list[tuple[str, str, str]], day: int = 0) -> None:
    now = at(day, 10)
    delivery = {"method": method, **({"location": "S1"} if method != "ship" else
                                     {"latitude": 51.5, "longitude": -0.1})}
    conn.execute(insert(orders).values(
        id=order_id, channel_id=ids["channel"], status="allocated", delivery_method=method,
        delivery=delivery, payload_hash=uuid.uuid4().hex, explanation={}, decisions=[],
        history=[], unsourced=[], placed_at=now, updated_at=now))
    for n, (kind, location, status) in enumerate(parts, start=1):
        conn.execute(insert(fulfillments).values(
            order_id=order_id, number=n, kind=kind, location_id=ids[location], status=status,
            created_at=now, updated_at=now))


def test_order_figures_from_orders_and_fulfillments(db):
    from omnistock.domain.catalog import Location
    from omnistock.services import catalog

    seed(db, locations=("S1", "S2"))
    catalog.create_location(db, Location(code="DC", kind="dc", latitude=52.0, longitude=-1.0,
                                            can_ship=True))
    catalog.create_channel(db, "web", "Web", ["S1", "S2", "DC"])
    with db.uow(readonly=True) as uow:
        ids = {c: uow.catalog.location_id(c) for c in ("S1", "S2", "DC")}
        ids["channel"] = uow.catalog.channel("web")["id"]
    with db.engine.begin() as conn:
        _place(conn, orders, fulfillments, ids, "o-ship-store", "ship",
               [("ship", "S1", "shipped")])
        _place(conn, orders, fulfillments, ids, "o-ship-split", "ship",
               [("ship", "DC", "shipped"), ("ship", "S2", "packed")])
        _place(conn, orders, fulfillments, ids, "o-pickup", "pickup",
               [("transfer", "DC", "shipped"), ("pickup", "S1", "picked_up")])
        _place(conn, orders, fulfillments, ids, "o-curbside-cancel", "curbside",
               [("pickup", "S1", "cancelled")])
        _place(conn, orders, fulfillments, ids, "o-outside", "ship", [("ship", "DC", "shipped")],
               day=5)
    body = kpis.kpis(db, at(0, 0), at(2, 0))
    assert body["orders"]["count"] == 4
    assert body["bopis_share"]["value"] == pytest.approx(2 / 4)
    # ship legs: S1 (store), DC, S2 (store) -> 2 of 3 from stores; the transfer is no shipment
    assert body["ship_from_store_share"]["value"] == pytest.approx(2 / 3)
    # orders with a live part: 3; split: o-ship-split only (a transfer leg is not a split)
    assert body["split_shipment_rate"]["value"] == pytest.approx(1 / 3)
    # closed: o-ship-store, o-pickup (filled), o-curbside-cancel (not filled)
    assert body["fill_rate"]["value"] == pytest.approx(2 / 3)
    assert body["orders"]["series"][0] == {"date": "2026-11-01", "ship": 2, "collect": 2}
    json.dumps(body)  # the endpoint returns it as is
