from datetime import UTC, datetime

import pytest

from omnistock.domain.buckets import Buckets, available
from omnistock.domain.errors import InvalidInput
from omnistock.domain.movements import MovementRequest, MovementType, deltas

T = datetime(2026, 11, 1, 12, tzinfo=UTC)


def req(**kw):
    base = dict(type=MovementType.RECEIPT, sku="A", location="S1", quantity=3, occurred_at=T,
                source="erp", external_id="1")
    return MovementRequest(**{**base, **kw})


@pytest.mark.parametrize(("type_", "expected"), [
    ("receipt", {"on_hand": 5}),
    ("sale", {"on_hand": -5}),
    ("ship", {"on_hand": -5, "committed": -5}),
    ("commit", {"committed": 5, "reserved": -5}),
    ("transfer_in", {"on_hand": 5, "incoming": -5}),
    ("damage", {"damaged": 5}),
    ("write_off", {"on_hand": -5, "damaged": -5}),
])
def test_delta_table(type_, expected):
    assert deltas(MovementType(type_), 5) == expected


def test_available_formula():
    b = Buckets(on_hand=10, committed=1, reserved=2, damaged=1, quality_control=1,
                safety_stock=2, incoming=50)
    assert available(b) == 3 == b.available


def test_adjustment_is_signed_and_needs_a_reason():
    assert deltas(MovementType.ADJUSTMENT, -2) == {"on_hand": -2}
    with pytest.raises(InvalidInput) as e:
        req(type=MovementType.ADJUSTMENT, quantity=-2).validate()
    assert e.value.field == "reason"
    req(type=MovementType.ADJUSTMENT, quantity=-2, reason="shrink").validate()


@pytest.mark.parametrize(("kw", "field"), [
    ({"quantity": 0}, "quantity"),
    ({"quantity": -1}, "quantity"),
    ({"quantity": True}, "quantity"),
    ({"occurred_at": datetime(2026, 11, 1, 12)}, "occurred_at"),
    ({"sku": " "}, "sku"),
    ({"external_id": ""}, "external_id"),
    ({"type": MovementType.RESERVE}, "type"),
])
def test_bad_input_names_the_field(kw, field):
    with pytest.raises(InvalidInput) as e:
        req(**kw).validate()
    assert e.value.field == field
