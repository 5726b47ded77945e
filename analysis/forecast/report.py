"""Forecasts over the query layer: the daily history of a scope, its forecast by dimension, period
projections and the backtest that says how far to trust them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from analysis.dimensions import TOTAL
from analysis.forecast import MAX_HORIZON, backtest, fitted, forecast_by, project_periods, top_and_other
from analysis.query import CostQueries, Filters
from analysis.scope import Scope, scoped


def daily_history(q: CostQueries, filters: Filters, metric: str = "EffectiveCost",
                  dimension: str | None = None) -> pd.DataFrame:
    """Days x series of cost from the first day of data to the filter's end (the start is ignored:
    forecasts need the history), every calendar day present (0 where there was no charge)."""
    by = (dimension,) if dimension else ()
    frame = q.series(filters.between(None, filters.end), metric, "day", by)
    if frame.empty:
        return pd.DataFrame()
    wide = frame.pivot_table(index="period", columns=dimension, values="cost", aggfunc="sum", fill_value=0.0) \
        if dimension else frame.groupby("period")[["cost"]].sum().rename(columns={"cost": TOTAL})
    days = pd.date_range(wide.index.min(), wide.index.max(), freq="D", name="day")
    wide = wide.reindex(days, fill_value=0.0)
    wide.columns = [str(c) for c in wide.columns]
    return wide


def scope_daily(q: CostQueries, scope: Scope, metric: str, end: dt.date, currency: str | None = None) -> pd.Series:
    """A scope's daily cost from the first day of data to `end` (inclusive), every day present (0 without
    charges): the history that budgets and scenarios forecast."""
    frame = q.series(scoped(Filters(end=end + dt.timedelta(days=1), currency=currency), scope), metric, "day")
    first = q.period()
    if first is None:
        return pd.Series(dtype=float)
    days = pd.date_range(min(first[0], end), end, freq="D")
    return frame.set_index("period")["cost"].reindex(days, fill_value=0.0).astype(float)


@dataclass(frozen=True)
class ForecastView:
    """What the Forecast page shows: `history` (days x series, the parts when by a dimension), `total`
    (MAX_HORIZON days: forecast, lower, upper), `cumulative` (the total of the next 1..MAX_HORIZON days, by
    last day, with its own interval), `parts` (long: day, series, forecast, lower, upper; empty
    for the total alone), `projections` (see `project_periods`), `method`, `note`, `methods` per part."""

    history: pd.DataFrame
    total: pd.DataFrame
    cumulative: pd.DataFrame
    parts: pd.DataFrame
    projections: pd.DataFrame
    candidates: pd.DataFrame
    method: str
    note: str
    methods: dict[str, str]

    @property
    def blended(self) -> bool:
        """True when the total's forecast is a weighted combination of several models."""
        return "weight" in self.candidates and int((self.candidates["weight"] > 0).sum()) > 1


def forecast_view(q: CostQueries, filters: Filters, metric: str = "EffectiveCost", dimension: str | None = None,
                  level: float = 0.8, top_n: int = 5, fiscal_year_start: int = 1,
                  method: str = "auto") -> ForecastView | None:
    """Forecast the scope's total `MAX_HORIZON` days ahead (and its top `top_n` `dimension` values plus
    Other, reconciled to the total) with `method` (see `analysis.forecast.METHODS`), and project months,
    quarters and the fiscal year. None without spend; ValueError (a message for the user) when the
    history is too short to forecast."""
    wide = daily_history(q, filters, metric, dimension)
    if wide.empty or not (wide.to_numpy() != 0).any():
        return None
    total_history = wide.sum(axis=1)
    model = fitted(total_history, level, method)
    projections = project_periods(total_history, fiscal_year_start=fiscal_year_start, forecaster=model)
    total = model.predict(MAX_HORIZON)
    if dimension:
        parts, total = forecast_by(wide, MAX_HORIZON, top_n=top_n, level=level, method=method, total=total)
        history = top_and_other(wide, top_n)
        methods = total.attrs["methods"]
    else:
        parts, history, methods = pd.DataFrame(), wide, {}
    return ForecastView(history, total, model.cumulative(), parts, projections, model.candidates(), model.method_,
                        model.note_, methods)


def accuracy(q: CostQueries, filters: Filters, metric: str = "EffectiveCost", level: float = 0.8,
             method: str = "auto", horizon: int = 28, origins: int = 4) -> pd.DataFrame:
    """Backtest of `method` against seasonal naive on the scope's total (see `backtest`); empty when the
    history is too short."""
    wide = daily_history(q, filters, metric)
    methods = (method, "snaive") if method != "snaive" else ("snaive",)
    try:
        return backtest(wide.sum(axis=1), methods=methods, horizon=horizon, origins=origins, level=level)
    except ValueError:
        return pd.DataFrame()
