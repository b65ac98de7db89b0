"""Expected units and what closes them: `incoming` never goes below zero, a receipt closes the
units it was expected as, and units bound to a record are closed only by that record."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from omnistock.domain.errors import InvalidInput
from omnistock.domain.movements import MAX_BUCKET
from omnistock.services.availability import availability
from omnistock.services.movements import apply_batch, apply_movement
from omnistock.services.verify import verify

from ..factories import T0, movement, seed

SOON = T0 + timedelta(days=2)


def position(db):
    body = availability(db, "SKU-1", horizon_days=7)
    entry = next((e for e in body["locations"] if e["location"] == "S1"),
                 {"incoming": 0, "on_hand": 0})
    return entry["incoming"], entry["on_hand"], body["future_available"]


def open_units(db) -> int:
    with db.engine.connect() as c:
        return int(c.execute(text("SELECT COALESCE(SUM(quantity_open), 0) FROM inbound"))
                   .scalar_one())


@pytest.fixture
def shop(db):
    seed(db)
    db.clock = lambda: T0
    return db


def test_a_transfer_in_beyond_what_is_open_leaves_incoming_at_zero(shop):
    apply_movement(shop, movement("expected", 3, expected_at=SOON))
    applied = apply_movement(shop, movement("transfer_in", 5))
    assert applied.movement["deltas"] == {"on_hand": 5, "incoming": -3}
    assert position(shop) == (0, 5, 5)
    assert verify(shop) == []


def test_a_receipt_closes_the_units_it_was_expected_as(shop):
    apply_movement(shop, movement("expected", 4, expected_at=SOON, reference="PO-1"))
    applied = apply_movement(shop, movement("receipt", 4, reference="PO-1"))
    assert applied.movement["deltas"] == {"on_hand": 4, "incoming": -4}
    assert position(shop) == (0, 4, 4)  # not 8: the units are counted once
    assert open_units(shop) == 0
    assert verify(shop) == []


def test_an_arrival_before_its_notice_never_takes_incoming_below_zero(shop):
    apply_movement(shop, movement("transfer_in", 2, minutes=1))
    assert position(shop)[0] == 0
    apply_movement(shop, movement("expected", 2, expected_at=SOON))
    assert position(shop)[0] == 2
    assert verify(shop) == []


def test_units_bound_to_an_order_are_not_offered_and_not_closed_by_a_loose_receipt(shop):
    from omnistock.domain.ledger import Movement
    from omnistock.domain.movements import MovementType
    from omnistock.services.ledger import record

    with shop.uow() as uow:
        item, loc = uow.catalog.item_id("SKU-1"), uow.catalog.location_id("S1")
        record(uow, [Movement(MovementType.EXPECTED, item, loc, "SKU-1", "S1", 2, T0, "order",
                              "o-1:1:SKU-1:expected", "d", reference="o-1", expected_at=SOON,
                              inbound_kind="order")], T0, dedupe=False)
        uow.commit()
    assert position(shop) == (2, 0, 0)  # in incoming, not in future ATP
    apply_movement(shop, movement("receipt", 2))
    assert position(shop) == (2, 2, 2)
    assert open_units(shop) == 2
    apply_movement(shop, movement("transfer_in", 2, reference="o-1"))
    assert position(shop) == (0, 4, 4)
    assert verify(shop) == []


def test_a_batch_closes_in_order_within_itself(shop):
    results = apply_batch(shop, [
        movement("expected", 3, expected_at=SOON),
        movement("transfer_in", 2),
        movement("receipt", 5),
    ])
    assert [r.movement["deltas"].get("incoming", 0) for r in results] == [3, -2, -1]
    assert position(shop) == (0, 7, 7)
    assert verify(shop) == []


def test_a_single_movement_past_the_bucket_bound_is_refused_and_changes_nothing(shop):
    apply_movement(shop, movement("receipt", 5))
    with shop.engine.begin() as c:  # as if many large receipts had come before
        c.execute(text("UPDATE positions SET on_hand = :v"), {"v": MAX_BUCKET - 1})
        c.execute(text("UPDATE movements SET d_on_hand = :v"), {"v": MAX_BUCKET - 1})
    with pytest.raises(InvalidInput) as e:
        apply_movement(shop, movement("receipt", 2))
    assert e.value.field == "quantity"
    assert position(shop)[1] == MAX_BUCKET - 1
    with shop.engine.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM movements")).scalar_one() == 1


arrivals = st.lists(st.tuples(st.sampled_from(["expected", "transfer_in", "receipt"]),
                              st.integers(1, 9), st.sampled_from([None, "T-1", "T-2"])),
                    min_size=1, max_size=12)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=arrivals)
def test_any_order_of_notices_and_arrivals_keeps_incoming_equal_to_what_is_open(shop, steps):
    before = position(shop)[0]
    assert before == open_units(shop)
    for type_, qty, reference in steps:
        kw = {"expected_at": SOON} if type_ == "expected" else {}
        apply_movement(shop, movement(type_, qty, reference=reference, **kw))
        incoming = position(shop)[0]
        assert incoming >= 0
        assert incoming == open_units(shop)
    assert verify(shop) == []
