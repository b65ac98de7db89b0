import itertools
from datetime import UTC, datetime, timedelta

import pytest

from omnistock.domain.errors import InvalidInput, InvalidState
from omnistock.domain.fulfillment import (
    FulfillmentAction,
    FulfillmentStatus,
    ImpliedMovement,
    allowed_actions,
    implied_movements,
    is_no_show,
    shortage,
    transition,
)
from omnistock.domain.movements import MovementType

SHIP, PICKUP, CURBSIDE = "ship", "pickup", "curbside"
COLLECT = (PICKUP, CURBSIDE)
ALL = (SHIP, *COLLECT)

# (status, action) -> (new status, methods allowing it): the whole table, nothing else allowed
EXPECTED = {
    ("allocated", "pick"): ("picking", ALL),
    ("picking", "pack"): ("packed", ALL),
    ("short", "pack"): ("packed", ALL),
    ("packed", "ship"): ("shipped", (SHIP,)),
    ("allocated", "ready"): ("ready_for_pickup", COLLECT),
    ("picking", "ready"): ("ready_for_pickup", COLLECT),
    ("packed", "ready"): ("ready_for_pickup", COLLECT),
    ("short", "ready"): ("ready_for_pickup", COLLECT),
    ("ready_for_pickup", "pickup"): ("picked_up", COLLECT),
    ("allocated", "short"): ("short", ALL),
    ("picking", "short"): ("short", ALL),
    ("allocated", "cancel"): ("cancelled", ALL),
    ("picking", "cancel"): ("cancelled", ALL),
    ("packed", "cancel"): ("cancelled", ALL),
    ("ready_for_pickup", "cancel"): ("cancelled", ALL),
    ("short", "cancel"): ("cancelled", ALL),
}

CASES = list(itertools.product(FulfillmentStatus, FulfillmentAction, ALL))


@pytest.mark.parametrize(("status", "action", "method"), CASES,
                         ids=[f"{s}-{a}-{m}" for s, a, m in CASES])
def test_transition_table(status, action, method):
    expected = EXPECTED.get((status.value, action.value))
    if expected is not None and method in expected[1]:
        assert transition(status, action, method) is FulfillmentStatus(expected[0])
    else:
        with pytest.raises(InvalidState) as err:
            transition(status, action, method)
        assert err.value.data["status_now"] == status.value


def test_happy_paths():
    status = "allocated"
    for action in ("pick", "pack", "ship"):
        status = transition(status, action, "ship")
    assert status == "shipped"
    status = "allocated"
    for action in ("pick", "ready", "pickup"):
        status = transition(status, action, "curbside")
    assert status == "picked_up"


@pytest.mark.parametrize("status", ["shipped", "picked_up", "cancelled"])
def test_done_fulfillments_allow_nothing(status):
    for method in ALL:
        assert allowed_actions(status, method) == ()


def test_allowed_actions_follow_the_table():
    assert allowed_actions("packed", "ship") == ("ship", "cancel")
    assert allowed_actions("packed", "pickup") == ("ready", "cancel")


@pytest.mark.parametrize(("args", "field"), [
    (("lost", "pick", "ship"), "status"),
    (("allocated", "teleport", "ship"), "action"),
    (("allocated", "pick", "drone"), "delivery_method"),
])
def test_unknown_values_are_invalid_input(args, field):
    with pytest.raises(InvalidInput) as err:
        transition(*args)
    assert err.value.field == field


def test_shortage_says_what_was_found_and_what_to_resource():
    short = shortage(5, 3)
    assert (short.found, short.to_resource) == (3, 2)
    assert shortage(4, 0).to_resource == 4


@pytest.mark.parametrize(("allocated", "found", "field"), [
    (5, 5, "found"), (5, 6, "found"), (5, -1, "found"), (2.5, 1, "allocated"),
])
def test_shortage_refuses_non_shortages(allocated, found, field):
    with pytest.raises(InvalidInput) as err:
        shortage(allocated, found)
    assert err.value.field == field


@pytest.mark.parametrize(("action", "expected"), [
    ("ship", (ImpliedMovement(MovementType.SHIP, 4),)),
    ("pickup", (ImpliedMovement(MovementType.SHIP, 4),)),
    ("cancel", (ImpliedMovement(MovementType.DEALLOCATE, 4),)),
    ("pick", ()), ("pack", ()), ("ready", ()),
])
def test_implied_movements(action, expected):
    assert implied_movements(action, 4) == expected


def test_short_deallocates_and_writes_off_the_missing_units():
    assert implied_movements("short", 4, found=1) == (
        ImpliedMovement(MovementType.DEALLOCATE, 3),
        ImpliedMovement(MovementType.ADJUSTMENT, -3, "short_pick"),
    )
    with pytest.raises(InvalidInput) as err:
        implied_movements("short", 4)
    assert err.value.field == "found"


def test_implied_movements_need_a_positive_quantity():
    with pytest.raises(InvalidInput):
        implied_movements("ship", 0)


READY = datetime(2026, 11, 1, 9, tzinfo=UTC)


@pytest.mark.parametrize(("waited", "expected"), [
    (timedelta(hours=71, minutes=59), False),
    (timedelta(hours=72), True),
    (timedelta(days=5), True),
    (timedelta(0), False),
])
def test_no_show_after_the_hold(waited, expected):
    assert is_no_show(READY, READY + waited, 72) is expected


def test_no_show_refuses_naive_times_and_bad_holds():
    with pytest.raises(InvalidInput) as err:
        is_no_show(READY.replace(tzinfo=None), READY, 72)
    assert err.value.field == "ready_at"
    with pytest.raises(InvalidInput) as err:
        is_no_show(READY, READY, 0)
    assert err.value.field == "hold_hours"
