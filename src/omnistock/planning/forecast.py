"""Forecasts per item x location with statsforecast, the model chosen per series.

Each series is put in a segment by its average demand interval (ADI, days per day with
demand; Syntetos and Boylan's cut-off 1.32): *intermittent* series get Croston (SBA), TSB and
ADIDA as candidates, *smooth* ones exponential smoothing with a weekly season and without.
A rolling-origin backtest (several windows of `horizon` days at the end of the history) scores
every candidate and the seasonal naive forecast; the candidate with the lowest WAPE wins its
series. The backtest's errors are kept: their spread is the forecast error that prediction
intervals and safety stock are made from, so both say how wrong this model has really been on
this series, not what a textbook distribution would assume.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import NormalDist
from typing import Any

from .demand import DemandSeries, Key, uncensored

SEASON = 7
INTERMITTENT_ADI = 1.32
LEVELS = (80, 95)
BASELINE = "SeasonalNaive"


def _models(segment: str) -> list[Any]:
    from statsforecast.models import ADIDA, TSB, AutoETS, CrostonSBA, SeasonalNaive

    baseline = SeasonalNaive(season_length=SEASON)
    if segment == "intermittent":
        return [CrostonSBA(), TSB(alpha_d=0.1, alpha_p=0.1), ADIDA(), baseline]
    return [AutoETS(season_length=SEASON, model="ANA", alias="ETS_weekly"),
            AutoETS(model="ANN", alias="ETS_level"), baseline]


@dataclass(frozen=True, slots=True)
class Forecast:
    key: Key
    segment: str
    model: str
    start: date  # the first forecast day
    mean: tuple[float, ...]
    error_sd: float  # of one day's forecast, from the backtest
    wape: float | None
    baseline_wape: float | None
    mase: float | None

    def interval(self, level: int) -> list[tuple[float, float]]:
        z = NormalDist().inv_cdf(0.5 + level / 200)
        return [(max(0.0, m - z * self.error_sd), m + z * self.error_sd) for m in self.mean]

    def to_dict(self) -> dict[str, Any]:
        return {
            "segment": self.segment, "model": self.model, "start": self.start.isoformat(),
            "days": [{"day": (self.start + timedelta(days=i)).isoformat(), "mean": round(m, 3),
                      **{f"lo{lv}": round(self.interval(lv)[i][0], 3) for lv in LEVELS},
                      **{f"hi{lv}": round(self.interval(lv)[i][1], 3) for lv in LEVELS}}
                     for i, m in enumerate(self.mean)],
            "error_sd": round(self.error_sd, 4),
            "backtest": {"wape": _round(self.wape), "seasonal_naive_wape":
                         _round(self.baseline_wape), "mase": _round(self.mase)},
        }


def _or_inf(v: float | None) -> float:
    return math.inf if v is None else v


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 4)


def segment_of(values: Sequence[float]) -> str:
    nonzero = sum(1 for v in values if v > 0)
    return "intermittent" if nonzero == 0 or len(values) / nonzero > INTERMITTENT_ADI \
        else "smooth"


def wape(actual: Sequence[float], predicted: Sequence[float]) -> float | None:
    total = sum(abs(a) for a in actual)
    if total == 0:
        return None
    return sum(abs(a - p) for a, p in zip(actual, predicted, strict=True)) / total


def mase(actual: Sequence[float], predicted: Sequence[float],
         history: Sequence[float]) -> float | None:
    """Mean absolute error scaled by the in-sample error of the seasonal naive forecast."""
    naive = [abs(history[i] - history[i - SEASON]) for i in range(SEASON, len(history))]
    scale = sum(naive) / len(naive) if naive else 0.0
    if scale == 0 or not actual:
        return None
    mae = sum(abs(a - p) for a, p in zip(actual, predicted, strict=True)) / len(actual)
    return mae / scale


def forecast(series: Sequence[DemandSeries], horizon: int, *, windows: int = 3,
             progress: Callable[[int], None] | None = None) -> list[Forecast]:
    """A forecast of `horizon` days after each series' last day. Series shorter than the
    backtest needs (windows x horizon plus two seasons) get the mean of their uncensored days,
    with the spread of those days as the error."""
    prepared = [(s, uncensored(s)) for s in series]
    need = windows * horizon + 2 * SEASON
    out: list[Forecast] = []
    groups: dict[str, list[tuple[DemandSeries, list[float]]]] = {"smooth": [],
                                                                 "intermittent": []}
    for s, values in prepared:
        if len(values) < need:
            out.append(_short(s, values, horizon))
            if progress:
                progress(1)
        else:
            groups[segment_of(values)].append((s, values))
    for segment, members in groups.items():
        if members:
            out += _fit(segment, members, horizon, windows)
            if progress:
                progress(len(members))
    order = {s.key: i for i, s in enumerate(series)}
    return sorted(out, key=lambda f: order[f.key])


def _short(s: DemandSeries, values: list[float], horizon: int) -> Forecast:
    mean = sum(values) / len(values) if values else 0.0
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values)) if values else 0.0
    return Forecast(s.key, segment_of(values), "mean", s.start + timedelta(days=len(values)),
                    (mean,) * horizon, sd, None, None, None)


def _frame(members: Sequence[tuple[DemandSeries, list[float]]]) -> Any:
    import pandas as pd

    rows = [(f"{s.key[0]}:{s.key[1]}", day, v) for s, values in members
            for day, v in zip(s.days, values, strict=True)]
    df = pd.DataFrame(rows, columns=["unique_id", "ds", "y"])
    df["ds"] = pd.to_datetime(df["ds"])
    return df


def _fit(segment: str, members: Sequence[tuple[DemandSeries, list[float]]], horizon: int,
         windows: int) -> list[Forecast]:
    from statsforecast import StatsForecast

    df = _frame(members)
    models = _models(segment)
    names = [str(m) for m in models]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sf = StatsForecast(models=models, freq="D", n_jobs=1)
        cv = sf.cross_validation(h=horizon, df=df, n_windows=windows, step_size=horizon)
        ahead = StatsForecast(models=_models(segment), freq="D", n_jobs=1).forecast(
            h=horizon, df=df)
    cv_by_id = {uid: g for uid, g in cv.groupby("unique_id")}
    ahead_by_id = {uid: g for uid, g in ahead.groupby("unique_id")}
    out = []
    for s, values in members:
        uid = f"{s.key[0]}:{s.key[1]}"
        back = cv_by_id[uid]
        actual = [float(v) for v in back["y"]]
        scores = {n: wape(actual, [max(0.0, float(v)) for v in back[n]]) for n in names}
        candidates = [n for n in names if n != BASELINE]
        best = min(candidates, key=lambda n: _or_inf(scores[n]))
        predicted = [max(0.0, float(v)) for v in back[best]]
        errors = [a - p for a, p in zip(actual, predicted, strict=True)]
        sd = math.sqrt(sum(e * e for e in errors) / len(errors))
        train = values[: len(values) - windows * horizon]
        mean = tuple(max(0.0, float(v)) for v in ahead_by_id[uid][best])
        out.append(Forecast(s.key, segment, best, s.start + timedelta(days=len(values)), mean,
                            sd, scores[best], scores[BASELINE], mase(actual, predicted, train)))
    return out


def segment_accuracy(forecasts: Sequence[Forecast]) -> dict[str, dict[str, Any]]:
    """Per segment: series, mean WAPE of the chosen models and of seasonal naive, mean MASE."""
    out: dict[str, dict[str, Any]] = {}
    for segment in ("smooth", "intermittent"):
        scored = [f for f in forecasts if f.segment == segment and f.wape is not None]
        if not scored:
            continue
        n = len(scored)
        mases = [f.mase for f in scored if f.mase is not None]
        out[segment] = {
            "series": n, "wape": round(sum(f.wape or 0 for f in scored) / n, 4),
            "seasonal_naive_wape": round(sum(f.baseline_wape or 0 for f in scored) / n, 4),
            "mase": round(sum(mases) / len(mases), 4) if mases else None}
    return out
