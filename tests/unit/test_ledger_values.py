"""The movement value, its ledger row and the availability event: one definition each, which
the PostgreSQL one-statement hold must follow too."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from omnistock.domain.buckets import BUCKETS
from omnistock.domain.ledger import AVAILABILITY_FIELDS, Movement, availability_data
from omnistock.domain.movements import MovementType
from omnistock.store import hot_path
from omnistock.store.ledger import movement_row
from omnistock.store.tables import movements

AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def move(type_: MovementType, quantity: int = 3) -> Movement:
    return Movement(type_, 1, 2, "SKU-1", "S1", quantity, AT, "pos", "e-1", "digest")


def test_event_payload_has_exactly_the_declared_fields_in_order():
    data = availability_data("SKU-1", "S1", dict.fromkeys(BUCKETS, 1), "sale", AT, 4, 3)
    assert tuple(data) == AVAILABILITY_FIELDS
    assert data["available"] == 1 - 5 and data["occurred_at"] == "2026-03-01T09:30:00Z"


def test_one_statement_hold_builds_the_same_event_and_rows():
    sql = hot_path._RESERVE.text
    built = re.search(r"json_build_object\((.*?)\),\s*:m_occurred_at", sql, re.S)
    assert built is not None
    assert tuple(re.findall(r"'(\w+)',", built.group(1))) == AVAILABILITY_FIELDS
    inserted = re.search(r"INSERT INTO movements \(([^)]*)\)", sql)
    assert inserted is not None
    assert inserted.group(1).split(", ") == [c.name for c in movements.columns if c.name != "id"]


def test_a_ledger_row_fills_every_column_but_the_id():
    row = movement_row(move(MovementType.SALE), {"on_hand": -3}, AT)
    assert set(row) == {c.name for c in movements.columns} - {"id"}
    assert (row["d_on_hand"], row["raw_on_hand"], row["counted"]) == (-3, -3, None)


def test_a_count_row_keeps_the_counted_value_and_no_raw_effect():
    row = movement_row(move(MovementType.COUNT, 7), {"on_hand": 2}, AT)
    assert (row["d_on_hand"], row["raw_on_hand"], row["counted"]) == (2, 0, 7)


@pytest.mark.parametrize(("type_", "guard"), [(MovementType.RESERVE, "reserved"),
                                              (MovementType.ALLOCATE, "committed"),
                                              (MovementType.SALE, None),
                                              (MovementType.RELEASE, None)])
def test_only_reserve_and_allocate_are_guarded(type_, guard):
    assert move(type_).guard == guard


def test_a_count_has_no_raw_deltas_of_its_own():
    assert move(MovementType.COUNT, 5).raw() == {}
    assert move(MovementType.TRANSFER_IN).raw() == {"on_hand": 3, "incoming": -3}
