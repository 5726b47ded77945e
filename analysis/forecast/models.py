"""The candidate models behind analysis.forecast and the month-edge charges they leave aside.

Every model is a function `(y, horizon) -> forecast` on a plain float array of daily values, period 7.
The statsmodels ones are fitted afresh on each call; a model that cannot be fitted raises, and the
caller drops it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

PERIOD = 7
EDGE_WEEKS = (-14, -7, 7, 14)  # same-weekday neighbours that give a month-edge day its usual level
EDGE_LOOKBACK = 6               # recent occurrences of an edge that decide whether it recurs
EDGE_SIGMAS = 4.0               # an occurrence counts when it exceeds this many robust deviations


def seasonal_naive(y: np.ndarray, horizon: int) -> np.ndarray:
    """The last week, repeated."""
    last = y[-PERIOD:] if len(y) >= PERIOD else np.full(PERIOD, y.mean())
    return np.resize(last, horizon)


def weekday_mean(y: np.ndarray, horizon: int, weeks: int = 4) -> np.ndarray:
    """Each weekday's mean over the last `weeks` weeks (the mean of what there is when shorter)."""
    if len(y) < 2 * PERIOD:
        return np.full(horizon, y[-PERIOD:].mean())
    n = min(len(y) // PERIOD, weeks) * PERIOD
    profile = y[-n:].reshape(-1, PERIOD).mean(axis=0)
    return np.resize(profile, horizon)


def _quiet(fit: Callable[[], np.ndarray]) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = np.asarray(fit(), dtype=float)
    if not np.all(np.isfinite(out)):
        raise ValueError("the model gave a non-finite forecast")
    return out


def ets(y: np.ndarray, horizon: int) -> np.ndarray:
    """ETS(A, Ad, A): additive errors, damped trend, weekly seasonality (statsmodels ETSModel; initial
    states from the first weeks, the heuristic that keeps the fit fast)."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    model = ETSModel(y, error="add", trend="add", damped_trend=True, seasonal="add", seasonal_periods=PERIOD,
                     initialization_method="heuristic")
    return _quiet(lambda: model.fit(disp=False).forecast(horizon))


def stl_ets(y: np.ndarray, horizon: int) -> np.ndarray:
    """Robust STL weekly decomposition; damped-trend ETS on the seasonally adjusted series."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel
    from statsmodels.tsa.forecasting.stl import STLForecast

    return _quiet(lambda: STLForecast(
        y, ETSModel, model_kwargs={"error": "add", "trend": "add", "damped_trend": True,
                                    "initialization_method": "heuristic"}, period=PERIOD,
        robust=True).fit(fit_kwargs={"disp": False}).forecast(horizon))


def stl_arima(y: np.ndarray, horizon: int) -> np.ndarray:
    """Robust STL weekly decomposition; ARIMA(1,1,1) on the seasonally adjusted series."""
    from statsmodels.tsa.arima.model import ARIMA
    from statsmodels.tsa.forecasting.stl import STLForecast

    return _quiet(lambda: STLForecast(y, ARIMA, model_kwargs={"order": (1, 1, 1)}, period=PERIOD,
                                      robust=True).fit().forecast(horizon))


def theta(y: np.ndarray, horizon: int) -> np.ndarray:
    """The Theta method with weekly deseasonalisation (multiplicative when every day is positive)."""
    from statsmodels.tsa.forecasting.theta import ThetaModel

    method = "auto" if y.min() > 0 else "additive"
    return _quiet(lambda: ThetaModel(y, period=PERIOD, method=method).fit().forecast(horizon))


MODELS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "snaive": seasonal_naive, "ets": ets, "stl_ets": stl_ets, "stl_arima": stl_arima, "theta": theta}
LABELS = {"auto": "Automatic (best on backtests)", "snaive": "Seasonal naive (last week repeated)",
          "ets": "ETS, damped trend, weekly seasonality", "stl_ets": "STL + ETS",
          "stl_arima": "STL + ARIMA(1,1,1)", "theta": "Theta", "weekday_mean": "Weekday average"}


@dataclass(frozen=True)
class Edge:
    """A charge that recurs on a month edge: `day` "first" or "last" of the month, `amount` per month
    (the median of the last three occurrences) and `spread` (half their range)."""

    day: str
    amount: float
    spread: float


def _edge_days(index: pd.DatetimeIndex, day: str) -> np.ndarray:
    return np.asarray(index.day == 1) if day == "first" else np.asarray((index + pd.Timedelta(days=1)).day == 1)


def month_edges(y: pd.Series) -> tuple[pd.Series, list[Edge]]:
    """Split recurring first- and last-of-month charges (fees, purchases, tax) from daily usage.

    An edge day's excess is its value minus the median of the same weekday one and two weeks around it.
    Where most of the last six occurrences stand out by more than four robust deviations, the edge
    recurs: its excesses are taken out of the series (returned adjusted) and kept as an `Edge`.
    """
    v = y.to_numpy(dtype=float)
    n = len(v)
    first, last = _edge_days(y.index, "first"), _edge_days(y.index, "last")
    edge = first | last
    neighbours = np.full((len(EDGE_WEEKS), n), np.nan)
    for row, lag in enumerate(EDGE_WEEKS):
        src = np.arange(n) + lag
        ok = (src >= 0) & (src < n)
        neighbours[row, ok] = np.where(edge[src[ok]], np.nan, v[src[ok]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        base = np.nanmedian(neighbours, axis=0)
    excess = np.where(np.isnan(base), 0.0, v - base)
    usual = np.abs(excess[~edge & ~np.isnan(base)])
    sigma = 1.4826 * np.median(usual) if usual.size else 0.0
    adjusted, edges = v.copy(), []
    for day, mask in (("first", first), ("last", last)):
        where = np.flatnonzero(mask & ~np.isnan(base))
        recent = excess[where[-EDGE_LOOKBACK:]]
        if len(recent) < 2 or np.sum(np.abs(recent) > EDGE_SIGMAS * max(sigma, 1e-9)) < 2 * len(recent) / 3:
            continue
        adjusted[where] -= excess[where]
        last3 = excess[where[-3:]]
        edges.append(Edge(day, float(np.median(last3)), float(np.ptp(last3) / 2)))
    return pd.Series(adjusted, index=y.index), edges


def edge_schedule(days: pd.DatetimeIndex, edges: list[Edge]) -> tuple[np.ndarray, np.ndarray]:
    """The recurring charges and their spread on each of `days`."""
    amount, spread = np.zeros(len(days)), np.zeros(len(days))
    for e in edges:
        on = _edge_days(days, e.day)
        amount[on] += e.amount
        spread[on] += e.spread
    return amount, spread
