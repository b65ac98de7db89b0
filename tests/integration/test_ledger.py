"""The storage contract, run on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from omnistock.domain.errors import (
    IdempotencyConflict,
    InsufficientStock,
    InvalidInput,
    InvalidState,
    UnknownReference,
)
from omnistock.services import reservations as res
from omnistock.services.availability import availability
from omnistock.services.movements import CountRequest, apply_batch, apply_count, apply_movement
from omnistock.services.verify import verify

from ..factories import T0, movement, seed


def loc(db, sku="SKU-1", location="S1"):
    body = availability(db, sku)
    return next(e for e in body["locations"] if e["location"] == location)


def count(sku="SKU-1", location="S1", qty=0, minutes=0, external_id="c1"):
    return CountRequest(sku=sku, location=location, counted_quantity=qty,
                        counted_at=T0 + timedelta(minutes=minutes), source="count",
                        external_id=external_id)


def test_receipt_sale_and_availability(db):
    seed(db)
    apply_movement(db, movement("receipt", 10))
    apply_movement(db, movement("sale", 3))
    apply_movement(db, movement("damage", 1))
    p = loc(db)
    assert (p["on_hand"], p["damaged"], p["available"]) == (7, 1, 6)
    assert verify(db) == []


def test_identical_replay_returns_first_result_and_conflict_changes_nothing(db):
    seed(db)
    first = apply_movement(db, movement("receipt", 5, external_id="po-1"))
    again = apply_movement(db, movement("receipt", 5, external_id="po-1"))
    assert not first.replayed and again.replayed
    assert again.movement == first.movement
    with pytest.raises(IdempotencyConflict):
        apply_movement(db, movement("receipt", 6, external_id="po-1"))
    assert loc(db)["on_hand"] == 5


@pytest.mark.parametrize(("kw", "error", "field"), [
    ({"quantity": 0}, InvalidInput, "quantity"),
    ({"quantity": -2}, InvalidInput, "quantity"),
    ({"sku": "NOPE"}, UnknownReference, "sku"),
    ({"location": "NOWHERE"}, UnknownReference, "location"),
])
def test_bad_input_raises_named_error_and_changes_nothing(db, kw, error, field):
    seed(db)
    apply_movement(db, movement("receipt", 4))
    with pytest.raises(error) as e:
        apply_movement(db, movement("sale", **kw))
    assert e.value.field == field
    assert loc(db)["on_hand"] == 4


def test_batch_is_all_or_nothing(db):
    seed(db, skus=("SKU-1", "SKU-2"))
    with pytest.raises(UnknownReference) as e:
        apply_batch(db, [movement("receipt", 3), movement("receipt", 1, sku="GHOST")])
    assert e.value.field == "movements[1].sku"
    assert availability(db, "SKU-1")["locations"] == []
    results = apply_batch(db, [movement("receipt", 3), movement("receipt", 2, sku="SKU-2"),
                                  movement("sale", 1)])
    assert [r.replayed for r in results] == [False, False, False]
    assert loc(db)["on_hand"] == 2 and loc(db, "SKU-2")["on_hand"] == 2
    assert verify(db) == []


def test_batch_replays_and_in_batch_duplicates(db):
    seed(db)
    a = movement("receipt", 3, external_id="a")
    apply_batch(db, [a])
    results = apply_batch(db, [a, movement("receipt", 1, external_id="b"),
                                  movement("receipt", 1, external_id="b")])
    assert [r.replayed for r in results] == [True, False, True]
    assert loc(db)["on_hand"] == 4


def test_count_as_of_time_whatever_the_arrival_order(db):
    seed(db)
    apply_movement(db, movement("receipt", 10, minutes=0))
    apply_movement(db, movement("sale", 2, minutes=30))  # after the count below
    apply_count(db, count(qty=7, minutes=20))  # 7 at minute 20, then -2
    assert loc(db)["on_hand"] == 5
    apply_movement(db, movement("sale", 1, minutes=10))  # late, but the count saw it
    assert loc(db)["on_hand"] == 5
    apply_movement(db, movement("sale", 1, minutes=40))  # after: applies on top
    assert loc(db)["on_hand"] == 4
    apply_count(db, count(qty=100, minutes=5, external_id="old"))  # superseded
    assert loc(db)["on_hand"] == 4
    assert verify(db) == []


def test_reserve_release_commit_and_ship(db):
    seed(db)
    apply_movement(db, movement("receipt", 5))
    r1 = res.reserve(db, sku="SKU-1", location="S1", quantity=3, ttl_seconds=600)
    assert r1["status"] == "active"
    with pytest.raises(InsufficientStock) as e:
        res.reserve(db, sku="SKU-1", location="S1", quantity=3, ttl_seconds=600)
    assert e.value.data["lines"][0]["available"] == 2
    assert res.commit(db, r1["id"])["status"] == "committed"
    with pytest.raises(InvalidState):
        res.release(db, r1["id"])
    p = loc(db)
    assert (p["committed"], p["reserved"], p["available"]) == (3, 0, 2)
    apply_movement(db, movement("ship", 3))
    p = loc(db)
    assert (p["on_hand"], p["committed"]) == (2, 0)
    assert verify(db) == []


def test_expired_holds_never_count_even_before_the_sweeper(db):
    seed(db)
    apply_movement(db, movement("receipt", 2))
    now = [T0]
    db.clock = lambda: now[0]
    r = res.reserve(db, sku="SKU-1", location="S1", quantity=2, ttl_seconds=60)
    assert loc(db)["available"] == 0
    now[0] = T0 + timedelta(seconds=61)
    assert loc(db)["available"] == 2  # not swept yet
    assert res.get(db, r["id"])["status"] == "expired"
    r2 = res.reserve(db, sku="SKU-1", location="S1", quantity=2, ttl_seconds=60)
    assert r2["status"] == "active"
    with pytest.raises(InvalidState):
        res.commit(db, r["id"])
    now[0] = T0 + timedelta(seconds=200)
    assert res.sweep_expired(db) == 1
    assert loc(db)["reserved"] == 0
    assert verify(db) == []


def test_future_atp_counts_expected_units_within_horizon(db):
    seed(db)
    apply_movement(db, movement("receipt", 1))
    apply_movement(db, movement("expected", 5, expected_at=T0 + timedelta(days=2)))
    apply_movement(db, movement("expected", 7, expected_at=T0 + timedelta(days=30)))
    db.clock = lambda: T0
    body = availability(db, "SKU-1", horizon_days=7)
    assert (body["available"], body["future_available"]) == (1, 6)
    apply_movement(db, movement("transfer_in", 5))
    body = availability(db, "SKU-1", horizon_days=7)
    assert (body["available"], body["future_available"], body["locations"][0]["incoming"]) \
        == (6, 6, 7)


def test_verify_reports_a_tampered_position(db):
    from sqlalchemy import text
    seed(db)
    apply_movement(db, movement("receipt", 3))
    with db.engine.begin() as c:
        c.execute(text("UPDATE positions SET on_hand = 99"))
    [m] = [m for m in verify(db) if m.check == "sum"]
    assert (m.sku, m.bucket, m.position, m.ledger) == ("SKU-1", "on_hand", 99, 3)
