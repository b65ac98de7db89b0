"""The transfer state machine and the accounting of its lines, as pure rules."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnistock.domain.errors import DomainError, InvalidInput, InvalidState
from omnistock.domain.movements import MovementType as M
from omnistock.domain.movements import TimeWindow
from omnistock.domain.transfers import (
    ALLOWED,
    Line,
    TransferAction,
    TransferRequest,
    TransferStatus,
    allowed_actions,
    check,
    close,
    is_late,
    receive,
    ship,
    status_after_receipt,
)

T = datetime(2026, 11, 1, 9, tzinfo=UTC)
S, A = TransferStatus, TransferAction
LINES = (Line("A", 5), Line("B", 2))


@pytest.mark.parametrize(("status", "actions"), [
    (S.REQUESTED, ["ship", "cancel"]),
    (S.SHIPPED, ["receive", "close"]),
    (S.PARTLY_RECEIVED, ["receive", "close"]),
    (S.RECEIVED, []),
    (S.CLOSED_SHORT, []),
    (S.CANCELLED, []),
])
def test_what_each_status_allows(status, actions):
    assert allowed_actions(status) == actions
    for action in A:
        if action.value in actions:
            assert check(status, action) is status
        else:
            with pytest.raises(InvalidState) as refused:
                check(status, action)
            assert refused.value.data == {"status_now": status.value, "action": action.value}


def test_every_action_is_in_the_table():
    assert set(ALLOWED) == set(A)


def test_ship_moves_every_line_out_and_announces_it_at_the_destination():
    after, moves = ship(LINES, None)
    assert [ln.in_transit for ln in after] == [5, 2]
    assert [(m.type, m.sku, m.quantity, m.at) for m in moves] == [
        (M.TRANSFER_OUT, "A", 5, "from"), (M.EXPECTED, "A", 5, "to"),
        (M.TRANSFER_OUT, "B", 2, "from"), (M.EXPECTED, "B", 2, "to")]


def test_ship_fewer_units_and_no_more_than_requested():
    after, moves = ship(LINES, [("A", 3)])
    assert [ln.shipped for ln in after] == [3, 0]
    assert len(moves) == 2
    with pytest.raises(InvalidInput) as bad:
        ship(LINES, [("B", 3)])
    assert bad.value.field == "lines[0].quantity"
    with pytest.raises(InvalidInput):
        ship(LINES, [])


def test_receive_closes_what_is_in_transit_and_refuses_more_unless_accepted():
    shipped, _ = ship(LINES, None)
    part, moves = receive(shipped, [("A", 2)])
    assert [(m.type, m.quantity) for m in moves] == [(M.TRANSFER_IN, 2)]
    assert status_after_receipt(part) is S.PARTLY_RECEIVED
    with pytest.raises(InvalidState) as refused:
        receive(part, [("B", 1), ("A", 4)])
    assert refused.value.field == "lines[1].quantity"
    over, moves = receive(part, [("A", 4), ("B", 2)], accept_over=True)
    assert [(m.type, m.sku, m.quantity) for m in moves] == [
        (M.TRANSFER_IN, "A", 3), (M.ADJUSTMENT, "A", 1), (M.TRANSFER_IN, "B", 2)]
    assert (over[0].received, over[0].over, over[0].in_transit) == (5, 1, 0)
    assert status_after_receipt(over) is S.RECEIVED


def test_close_loses_what_is_in_transit():
    shipped, _ = ship(LINES, [("A", 4), ("B", 2)])
    part, _ = receive(shipped, [("A", 1)])
    closed, moves = close(part)
    assert [(m.type, m.sku, m.quantity) for m in moves] == [
        (M.TRANSIT_LOSS, "A", 3), (M.TRANSIT_LOSS, "B", 2)]
    assert [(ln.received, ln.lost, ln.in_transit) for ln in closed] == [(1, 3, 0), (0, 2, 0)]


def test_late_only_while_on_its_way():
    assert is_late("shipped", T, T + timedelta(seconds=1))
    assert not is_late("shipped", T, T)
    assert not is_late("requested", T, T + timedelta(days=1))
    assert not is_late("received", T, T + timedelta(days=1))


@pytest.mark.parametrize(("change", "field"), [
    ({"to_location": "DC"}, "to_location"),
    ({"lines": ()}, "lines"),
    ({"lines": (("A", 1), ("A", 2))}, "lines[1].sku"),
    ({"lines": (("A", 0),)}, "lines[0].quantity"),
    ({"lines": (("A", True),)}, "lines[0].quantity"),
    ({"expected_at": datetime(2026, 11, 3)}, "expected_at"),
    ({"expected_at": T + timedelta(days=400)}, "expected_at"),
])
def test_bad_requests_name_the_field(change, field):
    base = {"from_location": "DC", "to_location": "S1", "lines": (("A", 1),),
            "expected_at": T + timedelta(days=2)}
    with pytest.raises(InvalidInput) as bad:
        TransferRequest(**{**base, **change}).validate(TimeWindow(T))
    assert bad.value.field == field


steps = st.lists(st.one_of(
    st.tuples(st.just("ship"), st.integers(0, 6), st.integers(0, 3)),
    st.tuples(st.just("receive"), st.sampled_from("AB"), st.integers(1, 8), st.booleans()),
    st.tuples(st.just("close")),
), max_size=12)


@given(steps)
def test_any_sequence_keeps_every_line_balanced_and_never_negative(seq):
    status, lines = S.REQUESTED, LINES
    incoming = {"A": 0, "B": 0}  # what the moves do to the destination's incoming
    for step in seq:
        with contextlib.suppress(DomainError):
            if step[0] == "ship":
                check(status, A.SHIP)
                wanted = [(s, q) for s, q in zip("AB", step[1:], strict=True) if q]
                lines, moves = ship(lines, wanted)
                status = S.SHIPPED
            elif step[0] == "receive":
                check(status, A.RECEIVE)
                lines, moves = receive(lines, [(step[1], step[2])], accept_over=step[3])
                status = status_after_receipt(lines)
            else:
                check(status, A.CLOSE)
                lines, moves = close(lines)
                status = S.CLOSED_SHORT
            for m in moves:
                incoming[m.sku] += {M.EXPECTED: m.quantity, M.TRANSFER_IN: -m.quantity,
                                    M.TRANSIT_LOSS: -m.quantity}.get(m.type, 0)
        for ln in lines:
            assert ln.shipped == ln.received + ln.lost + ln.in_transit
            assert min(ln.received, ln.lost, ln.in_transit, ln.over) >= 0
            assert ln.shipped <= ln.quantity
            assert incoming[ln.sku] == ln.in_transit >= 0
