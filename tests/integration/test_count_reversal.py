"""Correcting a mistaken count with its reversal, on SQLite and PostgreSQL: the position
becomes what its ledger without the count gives, the count mark goes back to the count still
standing before it, a later count still wins, and verify (sums, replay, chain) passes."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import text

from omnistock.domain.errors import InvalidState, NotFound
from omnistock.services.availability import availability
from omnistock.services.corrections import reverse_count
from omnistock.services.movements import CountRequest, apply_count, apply_movement
from omnistock.services.verify import verify
from omnistock.settings import get_settings

from ..factories import T0, movement, ref, seed


@pytest.fixture
def shop(db):
    seed(db)
    db.clock = lambda: T0 + timedelta(hours=1)
    return db


def on_hand(db) -> int:
    return availability(db, "SKU-1")["locations"][0]["on_hand"]


KEYS: dict[int, str] = {}  # count movement id -> its count key


def count(db, quantity: int, minutes: int) -> int:
    external_id = ref("c")
    done = apply_count(db, CountRequest("SKU-1", "S1", quantity, T0 + timedelta(minutes=minutes),
                                        "rfid", external_id))
    KEYS[done.movement["id"]] = f"rfid:{external_id}"
    return done.movement["id"]


def mark(db) -> str | None:
    """The key of the count the position holds as its latest (None: no count standing)."""
    with db.engine.connect() as c:
        at, key = c.execute(text("SELECT count_at, count_key FROM positions")).one()
    assert (at is None) == (key is None)
    return key


def test_a_wrong_count_is_reversed_and_the_movements_it_saw_count_again(shop):
    apply_movement(shop, movement("receipt", 10))
    wrong = count(shop, 3, 5)
    apply_movement(shop, movement("sale", 1, minutes=2))  # before the count: it saw this sale
    apply_movement(shop, movement("sale", 1, minutes=10))
    assert on_hand(shop) == 2
    done = reverse_count(shop, wrong, "wrong shelf counted", actor="admin-1")
    assert on_hand(shop) == 8  # 10 - 1 - 1: as if the count had never been taken
    view = done.movement
    assert (view["type"], view["reference"], view["reason"], view["actor"]) == \
        ("count_reversal", f"count:{wrong}", "wrong shelf counted", "admin-1")
    assert view["deltas"] == {"on_hand": 6} and not done.replayed
    assert mark(shop) is None
    apply_movement(shop, movement("sale", 1, minutes=3))  # the count no longer sees it
    assert on_hand(shop) == 7
    assert verify(shop) == []


def test_a_count_dated_a_day_ahead_within_the_skew_is_reversed_and_the_position_moves(
        shop, monkeypatch):
    monkeypatch.setenv("OMNISTOCK_MAX_FUTURE_SKEW_SECONDS", str(24 * 3600))
    get_settings.cache_clear()
    try:
        apply_movement(shop, movement("receipt", 20))
        ahead = count(shop, 50, 60 + 23 * 60)  # a store device most of a day ahead
        apply_movement(shop, movement("sale", 4, minutes=30))
        apply_movement(shop, movement("receipt", 2, minutes=40))
        assert on_hand(shop) == 50  # frozen: every real movement "occurred before the count"
        reverse_count(shop, ahead, "device clock a day ahead")
        assert on_hand(shop) == 18
        apply_movement(shop, movement("sale", 3, minutes=50))
        assert on_hand(shop) == 15
        count(shop, 12, 55)  # and counts apply again
        assert on_hand(shop) == 12
        assert verify(shop) == []
    finally:
        get_settings.cache_clear()


def test_a_later_count_still_wins(shop):
    apply_movement(shop, movement("receipt", 10))
    first = count(shop, 5, 5)
    second = count(shop, 8, 10)
    apply_movement(shop, movement("sale", 1, minutes=20))
    done = reverse_count(shop, first, "miscounted")
    assert done.movement["deltas"] == {} and on_hand(shop) == 7
    assert mark(shop) == KEYS[second]
    reverse_count(shop, second, "miscounted too")
    assert on_hand(shop) == 9  # back to no count at all: 10 - 1
    assert mark(shop) is None
    assert verify(shop) == []


def test_the_mark_goes_back_to_the_count_before_even_a_superseded_one(shop):
    apply_movement(shop, movement("receipt", 10))
    count(shop, 6, 5)
    latest = count(shop, 30, 20)
    late = count(shop, 4, 10)  # arrives late: superseded by the count at 20
    apply_movement(shop, movement("sale", 1, minutes=15))
    apply_movement(shop, movement("sale", 1, minutes=25))
    assert on_hand(shop) == 29
    reverse_count(shop, latest, "double scanned")
    assert on_hand(shop) == 2  # the count at 10 minutes (4), the sales at 15 and 25
    assert mark(shop) == KEYS[late]
    apply_movement(shop, movement("sale", 1, minutes=12))
    assert on_hand(shop) == 1
    apply_movement(shop, movement("receipt", 5, minutes=8))  # seen by the count at 10
    assert on_hand(shop) == 1
    assert verify(shop) == []


def test_a_reversal_is_made_once_and_only_for_counts(shop):
    receipt = apply_movement(shop, movement("receipt", 10)).movement["id"]
    wrong = count(shop, 3, 5)
    first = reverse_count(shop, wrong, "wrong figure")
    again = reverse_count(shop, wrong, "wrong figure")
    assert again.replayed and again.movement["id"] == first.movement["id"]
    with pytest.raises(InvalidState) as e:
        reverse_count(shop, wrong, "another reason")
    assert e.value.field == "movement_id" and "already reversed" in e.value.detail
    with pytest.raises(InvalidState):
        reverse_count(shop, receipt, "not a count")
    with pytest.raises(InvalidState):
        reverse_count(shop, first.movement["id"], "a reversal is not a count")
    with pytest.raises(NotFound):
        reverse_count(shop, 10**12, "nothing there")
    assert on_hand(shop) == 10
    assert verify(shop) == []


def test_the_reversal_announces_the_position_and_extends_its_chain(shop):
    apply_movement(shop, movement("receipt", 10))
    wrong = count(shop, 3, 5)
    reverse_count(shop, wrong, "wrong figure")
    with shop.engine.connect() as c:
        data = c.execute(text("SELECT data FROM outbox ORDER BY id DESC LIMIT 1")).scalar()
        seqs = c.execute(text("SELECT seq FROM movements ORDER BY id")).scalars().all()
    data = json.loads(data) if isinstance(data, str) else data
    assert (data["cause"], data["on_hand"], data["sequence"], data["previous_sequence"]) == \
        ("count_reversal", 10, 3, 2)
    assert seqs == [1, 2, 3]
    with shop.engine.begin() as c:  # the reversal is covered by the chain like any movement
        c.execute(text("UPDATE movements SET reason = 'edited' WHERE type = 'count_reversal'"))
    assert [m.check for m in verify(shop)] == ["chain"]
