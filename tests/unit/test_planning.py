"""Planning's pure parts: demand series and censoring, model choice by backtest, safety stock."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnistock.planning.demand import DemandRow, DemandSeries, build_series, uncensored
from omnistock.planning.forecast import forecast, segment_accuracy, segment_of, wape
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
