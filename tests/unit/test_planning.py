"""Planning's pure parts: demand series and censoring, model choice by backtest, safety stock."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnistock.planning.demand import DemandRow, DemandSeries, build_series, uncensored
from omnistock.planning.forecast import forecast, segment_accuracy, segment_of, wape
from omnistock.planning.replenishment import (
    AutoRule,
    Policy,
    PositionPlan,
    Proposal,
    order_up_to,
    plan_item,
    rebalance,
    replenish,
)
from omnistock.planning.safety import safety_stock

START = date(2026, 6, 1)  # a Monday


def series(values: list[int], key: tuple[int, int] = (1, 1),
           censored: list[bool] | None = None) -> DemandSeries:
    zero = tuple(0 for _ in values)
    return DemandSeries(key, START, {"walk_in": tuple(values), "bopis": zero, "ship": zero},
                        zero, tuple(censored or [False] * len(values)))


def weekly(days: int, seed: int, level: float = 20.0) -> list[int]:
    rng = random.Random(seed)
    shape = [0.6, 0.7, 0.8, 0.9, 1.3, 1.8, 0.9]  # Monday..Sunday
    return [max(0, round(level * shape[i % 7] + rng.gauss(0, 1.5))) for i in range(days)]


def slow(days: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    return [rng.choice([1, 2, 3]) if rng.random() < 0.15 else 0 for _ in range(days)]


def test_series_nets_returns_and_censors_days_that_end_empty() -> None:
    d = [START + timedelta(days=i) for i in range(3)]
    rows = [DemandRow((1, 1), d[0], "walk_in", 4), DemandRow((1, 1), d[0], "return", 1),
            DemandRow((1, 1), d[1], "bopis", 2), DemandRow((1, 1), d[2], "ship", 3)]
    out = build_series(rows, {(1, 1): 6}, [((1, 1), d[0], -3), ((1, 1), d[1], -3),
                                           ((1, 1), d[2], 5)], START, d[2] + timedelta(1))
    s = out[(1, 1)]
    assert s.net == (3, 2, 3)
    assert s.censored == (False, True, False)  # 6 - 3 = 3, then 0: the day ended empty


def test_a_censored_day_reads_as_the_usual_demand_of_its_weekday() -> None:
    values = [5, 5, 5, 5, 5, 9, 9] * 3
    values[19] = 1  # a Saturday that ran out
    flags = [False] * 21
    flags[19] = True
    filled = uncensored(series(values, censored=flags))
    assert filled[19] == 9.0 and filled[:19] == [float(v) for v in values[:19]]


def test_segments_by_average_demand_interval() -> None:
    assert segment_of([float(v) for v in weekly(60, 1)]) == "smooth"
    assert segment_of([float(v) for v in slow(60, 1)]) == "intermittent"


def test_the_chosen_model_beats_seasonal_naive_on_seasonal_series() -> None:
    found = forecast([series(weekly(140, seed), key=(seed, 1)) for seed in range(6)], 7)
    assert all(f.segment == "smooth" and f.model.startswith("ETS") for f in found)
    accuracy = segment_accuracy(found)["smooth"]
    assert accuracy["wape"] < accuracy["seasonal_naive_wape"]
    saturday = found[0].mean[5]  # the history ends on a Sunday: day 6 ahead is a Saturday
    assert saturday > found[0].mean[0] * 1.5


def test_intermittent_series_are_no_worse_than_seasonal_naive() -> None:
    found = forecast([series(slow(140, seed), key=(seed, 1)) for seed in range(6)], 7)
    assert {f.segment for f in found} == {"intermittent"}
    accuracy = segment_accuracy(found)["intermittent"]
    assert accuracy["wape"] <= accuracy["seasonal_naive_wape"]


def test_a_stockout_week_does_not_drag_the_forecast_down() -> None:
    values = weekly(140, 3)
    flags = [False] * 140
    for i in range(126, 133):  # the second-last week: nothing on the shelf
        values[i], flags[i] = 0, True
    plain = forecast([series(weekly(140, 3))], 7)[0]
    out = forecast([series(values, censored=flags)], 7)[0]
    naive = forecast([series(values)], 7)[0]  # the same sales read as real zero demand
    assert sum(out.mean) > 0.9 * sum(plain.mean)
    assert sum(naive.mean) < sum(out.mean)


def test_short_histories_get_their_mean() -> None:
    f = forecast([series([2, 4, 2, 4])], 7)[0]
    assert f.model == "mean" and f.mean == (3.0,) * 7 and f.error_sd == 1.0


def test_intervals_hold_the_mean_and_never_go_below_zero() -> None:
    f = forecast([series(weekly(140, 2))], 7)[0]
    for level in (80, 95):
        for (lo, hi), m in zip(f.interval(level), f.mean, strict=True):
            assert 0 <= lo <= m <= hi
    assert f.interval(95)[0][1] > f.interval(80)[0][1]


def test_wape_is_undefined_without_demand() -> None:
    assert wape([0, 0], [1, 1]) is None
    assert wape([2, 2], [1, 3]) == 0.5


@given(sd=st.floats(0, 50), lead=st.floats(0, 30), low=st.floats(0.5, 0.9),
       high=st.floats(0.91, 0.999))
def test_safety_stock_grows_with_the_service_level(sd: float, lead: float, low: float,
                                                   high: float) -> None:
    assert 0 <= safety_stock(sd, lead, low).units <= safety_stock(sd, lead, high).units


@given(sd=st.floats(0.1, 50), lead=st.floats(0.5, 30), demand=st.floats(0, 100))
def test_lead_time_variability_only_adds(sd: float, lead: float, demand: float) -> None:
    assert (safety_stock(sd, lead, 0.95, daily_demand=demand, lead_time_sd=2).units
            >= safety_stock(sd, lead, 0.95).units)


def test_safety_stock_of_a_known_case() -> None:
    # z(0.95) = 1.645; sqrt(4 * 3^2) = 6 -> 9.87 -> 10 units
    s = safety_stock(3.0, 4, 0.95)
    assert s.units == 10 and "0.95" in s.reason
    with pytest.raises(ValueError):
        safety_stock(3.0, 4, 1.0)


# -- replenishment --------------------------------------------------------------------------

def plan(location: str, kind: str = "store", available: int = 0, incoming: int = 0,
         safety: int = 0, demand: float = 0.0, cost: float | None = None) -> PositionPlan:
    return PositionPlan("A", location, kind, available, incoming, safety, demand, cost)


POLICY = Policy(review_days=7, lead_time_days=2, supplier_lead_time_days=10)


@pytest.mark.parametrize(("positions", "expected"), [
    # no DC: the supplier's lead time; above its reorder point (10 x 5 + 3 = 53): nothing
    ([plan("S1", available=54, safety=3, demand=5)], []),
    # below it: a purchase order up to 5 x (10 + 7) + 3 = 88
    ([plan("S1", available=13, safety=3, demand=5)],
     [("purchase_order", None, "S1", 88 - 13)]),
    # incoming counts: 10 on hand + 10 on the way is above 2 x 5 + 3
    ([plan("S1", available=10, incoming=10, safety=3, demand=5), plan("DC", "dc", 500)], []),
    # a DC with spare units: a transfer up to 5 x (2 + 7) + 3 = 48
    ([plan("S1", available=4, safety=3, demand=5), plan("DC", "dc", 500)],
     [("transfer", "DC", "S1", 44)]),
    # the DC keeps its own reorder point (no demand there: 0) and gives what it has
    ([plan("S1", available=4, safety=3, demand=5), plan("DC", "dc", 30)],
     [("transfer", "DC", "S1", 30), ("purchase_order", None, "S1", 14)]),
    # no demand and no safety stock: nothing, even when empty
    ([plan("S1"), plan("DC", "dc", 0)], []),
])
def test_replenishment_rules(positions, expected) -> None:
    got = [(p.kind, p.from_location, p.to_location, p.quantity)
           for p in replenish(positions, POLICY)]
    assert got == expected


def test_pack_size_and_minimum_order_round_up() -> None:
    policy = Policy(review_days=7, lead_time_days=2, pack_size=12, min_order=24)
    [p] = replenish([plan("S1", available=0, demand=1), plan("DC", "dc", 1000)], policy)
    assert p.quantity == 24  # 9 wanted, 24 at least, a multiple of 12
    [p] = replenish([plan("S1", available=0, demand=5), plan("DC", "dc", 1000)], policy)
    assert p.quantity == 48  # 45 wanted -> 4 packs


def test_rebalancing_moves_excess_when_the_margin_beats_the_cost() -> None:
    short = plan("S1", available=0, demand=5, cost=10.0)
    rich = plan("S2", available=200, demand=1, cost=10.0)
    [move] = rebalance([short, rich], POLICY)
    assert (move.kind, move.from_location, move.to_location) == ("rebalance", "S2", "S1")
    assert move.quantity == 45 and move.why["expected_margin"] > move.why["transfer_cost"]
    cheap = Policy(review_days=7, lead_time_days=2, unit_margin=0.1, transfer_fixed_cost=50)
    assert rebalance([plan("S1", demand=5), plan("S2", available=200, demand=1)], cheap) == []


def test_a_shortage_is_covered_once() -> None:
    positions = [plan("S1", available=0, demand=5, cost=10.0),
                 plan("S2", available=200, demand=1, cost=10.0), plan("DC", "dc", 1000)]
    found = plan_item(positions, POLICY)
    into_s1 = sum(p.quantity for p in found if p.to_location == "S1")
    assert [p.kind for p in found if p.to_location == "S1"] == ["rebalance"]
    assert into_s1 == 45


@given(avail=st.lists(st.integers(0, 200), min_size=1, max_size=6),
       demand=st.lists(st.floats(0, 20), min_size=6, max_size=6), dc=st.integers(0, 300))
def test_transfers_never_take_more_than_the_dc_has(avail, demand, dc) -> None:
    positions = [plan(f"S{i}", available=a, demand=demand[i]) for i, a in enumerate(avail)]
    found = replenish([*positions, plan("DC", "dc", dc)], POLICY)
    assert sum(p.quantity for p in found if p.kind == "transfer") <= dc
    for p in positions:
        got = sum(x.quantity for x in found if x.to_location == p.location)
        if got:  # what it receives brings it to its order-up-to level, not beyond a pack
            assert p.inventory_position + got >= order_up_to(p, POLICY.lead_time_days, POLICY)


def test_auto_accept_rules_keep_to_their_limits() -> None:
    rule = AutoRule.from_dict({"name": "small", "kinds": ["transfer"], "max_quantity": 10,
                               "max_value": 100})
    small = Proposal("transfer", "A", "S1", 8, "DC")
    assert rule.allows(small, 80.0)
    assert not rule.allows(small, 120.0) and not rule.allows(small, None)
    assert not rule.allows(Proposal("transfer", "A", "S1", 11, "DC"), 10.0)
    assert not rule.allows(Proposal("purchase_order", "A", "S1", 1, None), 1.0)
    with pytest.raises(ValueError):
        AutoRule.from_dict({"kinds": ["transfer"]})
