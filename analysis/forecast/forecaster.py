"""Daily spend forecasts with prediction intervals measured on the series' own past.

Method (`method="auto"`):
1. The history becomes a gap-free daily series: a missing day had no charges (0); days before the first
   non-zero day are dropped. NaN, duplicated or non-daily dates, an empty or all-zero history are errors.
2. Charges that recur on the first or last day of the month (support fees, commitment purchases, tax)
   are taken out and forecast as that schedule (see `forecast_models.month_edges`).
3. Candidates from statsmodels (ETS with damped trend and weekly seasonality, STL + ETS, STL + ARIMA,
   Theta) and seasonal naive are backtested at rolling origins on the last weeks of the history, each
   fitted only on the days before its origin. The three with the lowest errors, weighted by the inverse
   of their mean squared error, are used where that combination backtests better than the best single
   model; otherwise the best alone. The chosen model(s) are refitted on the last `FIT_WINDOW` days.
4. The interval comes from the chosen forecast's own backtest errors near the same number of days ahead,
   relative to the level of spend: the daily scatter by its empirical quantiles, the level error (each
   origin's mean error) as a Student t prediction for one more origin, so that about `level` of actual
   days fall inside it (see `Forecaster._band`). Beyond the backtest horizon it widens with the square
   root of the days ahead.
5. Under `SHORT_HISTORY` days, each weekday's recent average is the forecast and the interval is widened;
   `attrs["note"]` says so. Under `MIN_HISTORY` days there is no forecast (an error).
6. A history without negative amounts gets no negative forecast or lower bound.

Period totals (month, quarter, fiscal year) are simulated: sample paths add a level error and resampled
daily errors, both sized from the same backtest, to the forecast (see `Forecaster.simulate`).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.forecast.models import LABELS, MODELS, PERIOD, edge_schedule, month_edges, weekday_mean

MAX_HORIZON = 90         # days of daily forecast
PROJECTION_MONTHS = 12   # months of period projections
MAX_SCENARIO_MONTHS = 24 # calendar months a scenario can project
PATH_DAYS = 800          # days each fit forecasts: the daily horizon, every projected period, 24 months of scenarios
FIT_WINDOW = 364         # most recent days the models are fitted on
SHORT_HISTORY = 60       # fewer days than this: the weekday-average model, a wider interval
MIN_HISTORY = 14         # fewer days than this: no forecast
SHORT_WIDEN = 1.5
BACKTEST_DAYS = 28       # days ahead of each internal backtest origin
BACKTEST_ORIGINS = 3
MIN_TRAIN = 56           # days a candidate needs before a backtest origin
COMBINE = 3              # candidates in the automatic combination
METHODS = ("auto", *MODELS)
FIT_ERRORS = (ValueError, np.linalg.LinAlgError, IndexError, ZeroDivisionError)  # a candidate that raises is dropped


def _prepare(history: pd.Series) -> pd.Series:
    """The history as a gap-free float series on a tz-naive daily index (see the module docstring)."""
    if not isinstance(history, pd.Series):
        raise TypeError(f"history must be a pandas Series of daily cost, not {type(history).__name__}")
    if len(history) == 0:
        raise ValueError("history is empty: there is no cost to forecast from")
    index = history.index
    if not isinstance(index, pd.DatetimeIndex):
        raise ValueError(f"history must be indexed by dates (a DatetimeIndex), not {type(index).__name__}")  # noqa: TRY004 (one error type for every bad input, as documented)
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    if not (index == index.normalize()).all():
        odd = index[index != index.normalize()][0]
        raise ValueError(f"history is not daily: {odd} is not a midnight; aggregate to one value per day")
    if index.has_duplicates:
        dup = index[index.duplicated()][0]
        raise ValueError(f"history has the date {dup:%Y-%m-%d} more than once; sum it to one value per day")
    values = pd.to_numeric(pd.Series(history.to_numpy(), index=index), errors="coerce").astype(float)
    if values.isna().any():
        bad = values.index[values.isna()]
        raise ValueError(f"history has {len(bad)} missing (NaN) value(s), first on {bad[0]:%Y-%m-%d}; "
                         "use 0 for a day without charges")
    values = values.sort_index()
    values = values.reindex(pd.date_range(values.index[0], values.index[-1], freq="D"), fill_value=0.0)
    nonzero = np.flatnonzero(values.to_numpy() != 0)
    if not nonzero.size:
        raise ValueError("history is all zero: there is no spend to forecast")
    values = values.iloc[nonzero[0]:].rename("cost")
    if len(values) < MIN_HISTORY:
        raise ValueError(f"history has {len(values)} day(s) of spend from {values.index[0]:%Y-%m-%d}; a forecast "
                         f"needs at least {MIN_HISTORY} days")
    return values


def _check(horizon: int, level: float, method: str) -> None:
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or not 1 <= horizon <= MAX_HORIZON:
        raise ValueError(f"horizon must be a whole number of days from 1 to {MAX_HORIZON}, got {horizon!r}")
    if not 0.5 <= level <= 0.99:
        raise ValueError(f"level must be between 0.5 and 0.99 (0.8 is an 80% interval), got {level!r}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")


class Forecaster:
    """Daily forecaster in scikit-learn style: `Forecaster(level, method).fit(history).predict(horizon)`.

    Learned: `history_` (prepared), `edges_` (recurring month-edge charges), `weights_` (model -> weight),
    `errors_` (model -> backtest mean absolute error), `residuals_` (backtest errors of the chosen
    forecast, origins x days ahead, relative to the level), `path_` (PATH_DAYS days of forecast),
    `method_` (a description), `note_` (a caveat for the user, or "").
    """

    def __init__(self, level: float = 0.8, method: str = "auto"):
        self.level = level
        self.method = method

    def fit(self, history: pd.Series) -> Forecaster:
        _check(1, self.level, self.method)
        y = self.history_ = _prepare(history)
        short = len(y) < SHORT_HISTORY
        if short or self.method == "snaive":
            z, self.edges_ = y, []
        else:
            z, self.edges_ = month_edges(y)
        values = z.to_numpy()
        if short:
            models = {"weekday_mean": weekday_mean}
            ahead, train = PERIOD, 2 * PERIOD
        else:
            models = MODELS if self.method == "auto" else {self.method: MODELS[self.method]}
            ahead, train = BACKTEST_DAYS, MIN_TRAIN
        origins = [len(values) - ahead * k for k in range(1, BACKTEST_ORIGINS + 1)
                   if len(values) - ahead * k >= train]
        if not origins:  # shorter than train + ahead: one origin with fewer days ahead
            ahead = max(1, len(values) - train)
            origins = [len(values) - ahead]
        preds = {name: self._backtest(model, values, origins, ahead) for name, model in models.items()}
        preds = {k: v for k, v in preds.items() if v is not None}
        if not preds:  # every statsmodels candidate failed on this series: the floor never does
            preds = {"snaive": self._backtest(MODELS["snaive"], values, origins, ahead)}
        actual = np.stack([values[o:o + ahead] for o in origins])
        self.errors_ = {k: float(np.mean(np.abs(actual - p))) for k, p in preds.items()}
        mse = {k: float(np.mean((actual - p) ** 2)) for k, p in preds.items()}
        self.weights_ = self._weights(mse, preds, actual)
        combined = sum(w * preds[k] for k, w in self.weights_.items())
        scale = np.array([self._level_of(values[:o]) for o in origins])[:, None]
        self.residuals_ = (actual - combined) / scale
        self.widen_ = SHORT_WIDEN if short else 1.0
        recent = values[-FIT_WINDOW:]
        self.scale_ = self._level_of(values)
        self.path_ = self._final(models, recent)
        self.method_ = " + ".join(f"{w:.0%} {LABELS[k]}" for k, w in self.weights_.items()) \
            if len(self.weights_) > 1 else LABELS[next(iter(self.weights_))]
        self.note_ = (f"Only {len(y)} days of history (under two months): a weekday-average forecast with a "
                      f"wider interval. Treat it as a rough guide." if short else "")
        return self

    def candidates(self) -> pd.DataFrame:
        """Each candidate model's mean absolute error in the internal backtest and its weight in the forecast,
        best first: why this model."""
        frame = pd.DataFrame({"model": [LABELS[k] for k in self.errors_], "mae": list(self.errors_.values()),
                              "weight": [self.weights_.get(k, 0.0) for k in self.errors_]})
        return frame.sort_values("mae", ignore_index=True)

    def _final(self, models: dict, recent: np.ndarray) -> np.ndarray:
        """The chosen model(s) refitted on the recent window, PATH_DAYS ahead. A model that fails here
        (it fitted on the shorter backtest windows) leaves its weight to the others, or to seasonal naive."""
        paths = {}
        for name in self.weights_:
            try:
                paths[name] = (models.get(name) or MODELS[name])(recent, PATH_DAYS)
            except FIT_ERRORS:
                continue
        if not paths:
            self.weights_, paths = {"snaive": 1.0}, {"snaive": MODELS["snaive"](recent, PATH_DAYS)}
        total = sum(self.weights_[k] for k in paths)
        self.weights_ = {k: self.weights_[k] / total for k in paths}
        return sum(w * paths[k] for k, w in self.weights_.items())

    @staticmethod
    def _weights(mse: dict[str, float], preds: dict[str, np.ndarray], actual: np.ndarray) -> dict[str, float]:
        """The best `COMBINE` candidates weighted by inverse backtest MSE, if that combination's backtest
        MSE beats the best candidate's; else the best candidate alone."""
        best = sorted(mse, key=mse.get)[:COMBINE]
        inverse = {k: 1 / max(mse[k], 1e-12) for k in best}
        weights = {k: inverse[k] / sum(inverse.values()) for k in best}
        combined = sum(w * preds[k] for k, w in weights.items())
        return weights if np.mean((actual - combined) ** 2) < mse[best[0]] else {best[0]: 1.0}

    @staticmethod
    def _backtest(model, values: np.ndarray, origins: list[int], ahead: int) -> np.ndarray | None:
        try:
            return np.stack([model(values[max(0, o - FIT_WINDOW):o], ahead) for o in origins])
        except FIT_ERRORS:
            return None

    @staticmethod
    def _level_of(values: np.ndarray) -> float:
        """The level errors are measured against: mean absolute daily cost of the last four weeks."""
        level = float(np.mean(np.abs(values[-4 * PERIOD:])))
        return level if level > 0 else float(np.mean(np.abs(values))) or 1.0

    def _days(self, n: int) -> pd.DatetimeIndex:
        return pd.date_range(self.history_.index[-1] + pd.Timedelta(days=1), periods=n, freq="D", name="day")

    def _band(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper error bounds, in cost, for each of the next n days.

        Backtest errors near each number of days ahead split into a per-origin mean (how far the level
        was off) and the daily scatter around it. The scatter's bounds are its empirical quantiles; the
        level error is a Student t prediction for one more origin from the few seen (df = origins - 1).
        """
        from scipy.stats import norm, t

        res = self.residuals_
        origins, ahead = res.shape
        alpha = (1 - self.level) / 2
        spread = t.ppf(1 - alpha, origins - 1) if origins > 1 else 2 * norm.ppf(1 - alpha)
        lo, hi = np.empty(n), np.empty(n)
        for j in range(1, n + 1):
            s = min(j, ahead)
            width = max(3, s // 2)
            block = res[:, max(0, s - 1 - width):min(ahead, s + width)]
            means = block.mean(axis=1)
            q_lo, q_hi = np.quantile((block - means[:, None]).ravel(), [alpha, 1 - alpha])
            level_sd = means.std(ddof=1) if origins > 1 else abs(means[0])
            between = spread * level_sd * np.sqrt(1 + 1 / origins)
            grow = np.sqrt(j / ahead) if j > ahead else 1.0
            lo[j - 1] = (means.mean() - np.hypot(q_lo, between)) * grow
            hi[j - 1] = (means.mean() + np.hypot(q_hi, between)) * grow
        return lo * self.scale_ * self.widen_, hi * self.scale_ * self.widen_

    def _point(self, n: int) -> np.ndarray:
        """The forecast of the next n days (up to PATH_DAYS): the models' path plus the month-edge schedule,
        never below 0 for a history without negative amounts."""
        edge, _ = edge_schedule(self._days(n), self.edges_)
        point = self.path_[:n] + edge
        return np.maximum(point, 0.0) if self.history_.min() >= 0 else point

    def predict(self, horizon: int) -> pd.DataFrame:
        """The next `horizon` days (1 to MAX_HORIZON): columns forecast, lower, upper; attrs method, note."""
        _check(horizon, self.level, self.method)
        days = self._days(horizon)
        edge, spread = edge_schedule(days, self.edges_)
        point = self.path_[:horizon] + edge
        lo, hi = self._band(horizon)
        out = pd.DataFrame({"forecast": point, "lower": point + lo - spread, "upper": point + hi + spread},
                           index=days)
        if self.history_.min() >= 0:
            out = out.clip(lower=0.0)
        out.attrs.update(method=self.method_, note=self.note_, level=self.level)
        return out

    def simulate(self, days: int, paths: int = 2000, seed: int = 0) -> np.ndarray:
        """`paths` x `days` sample paths of daily cost: forecast + a level error + daily errors.

        As in the daily interval, the level error of a path is a Student t draw for one more backtest
        origin (mean and spread of the origins' mean errors), growing with the square root of the days
        ahead beyond the backtest horizon; daily errors are resampled from the scatter around each
        origin's mean.
        """
        rng = np.random.default_rng(seed)
        res = self.residuals_ * self.widen_
        origins, ahead = res.shape
        means = res.mean(axis=1)
        daily = (res - means[:, None]).ravel()
        if origins > 1:
            draw = means.mean() + means.std(ddof=1) * np.sqrt(1 + 1 / origins) * rng.standard_t(origins - 1, paths)
        else:
            draw = means[0] + abs(means[0]) * rng.normal(0.0, 2.0, paths)
        grow = np.sqrt(np.maximum(np.arange(1, days + 1) / ahead, 1.0))
        noise = rng.choice(daily, size=(paths, days))
        edge, spread = edge_schedule(self._days(days), self.edges_)
        out = (self.path_[:days] + edge + self.scale_ * (draw[:, None] * grow + noise)
               + rng.normal(0.0, 1.0, (paths, days)) * spread)
        return np.maximum(out, 0.0) if self.history_.min() >= 0 else out


    def cumulative(self, days: int = MAX_HORIZON) -> pd.DataFrame:
        """Total cost of the next 1..`days` days (index: last day included): forecast, and the central
        `level` interval of that total from simulated paths (narrower than adding up daily bounds)."""
        paths = np.cumsum(self.simulate(days), axis=1)
        alpha = (1 - self.level) / 2
        lo, hi = np.quantile(paths, [alpha, 1 - alpha], axis=0)
        return pd.DataFrame({"forecast": np.cumsum(self._point(days)), "lower": lo, "upper": hi},
                            index=self._days(days))


_FITTED: OrderedDict[tuple, Forecaster] = OrderedDict()
_FITTED_MAX = 256
_FITTED_LOCK = threading.Lock()


def fitted(history: pd.Series, level: float = 0.8, method: str = "auto") -> Forecaster:
    """`Forecaster(level, method).fit(history)`, remembered by the history's content: a page that changes
    one series re-fits that series only."""
    y = _prepare(history)
    # Keyed on the values to a millionth: DuckDB's parallel sums of the same rows differ in the last bits from one
    # query to the next, and the same history must find the same fit.
    content = np.round(y.to_numpy(dtype=float), 6).tobytes()
    key = (y.index[0], len(y), hashlib.blake2b(content, digest_size=16).digest(), level, method)
    with _FITTED_LOCK:
        if key in _FITTED:
            _FITTED.move_to_end(key)
            return _FITTED[key]
    model = Forecaster(level, method).fit(y)
    with _FITTED_LOCK:
        _FITTED[key] = model
        while len(_FITTED) > _FITTED_MAX:
            _FITTED.popitem(last=False)
    return model


def forecast_series(history: pd.Series, horizon: int, *, level: float = 0.8, method: str = "auto") -> pd.DataFrame:
    """Forecast daily cost `horizon` days (1-90) past the end of `history` (a daily Series).

    Returns one row per following day with `forecast`, `lower` and `upper` (the central `level`
    prediction interval); `attrs["method"]` names the model(s), `attrs["note"]` any caveat.
    """
    _check(horizon, level, method)
    return Forecaster(level, method).fit(history).predict(horizon)


def mase_scale(history: pd.Series) -> float:
    """In-sample mean absolute error of the seasonal naive forecast (period 7): the MASE denominator."""
    v = history.to_numpy(dtype=float)
    return float(np.mean(np.abs(v[PERIOD:] - v[:-PERIOD]))) if len(v) > PERIOD else float("nan")


def backtest(history: pd.Series, *, methods: tuple[str, ...] = ("auto", "snaive"), horizon: int = 28,
             origins: int = 4, level: float = 0.8) -> pd.DataFrame:
    """Rolling-origin accuracy on the series' own past: fit up to each origin, forecast `horizon` days.

    Origins are `horizon` days apart, the last one `horizon` days before the end. One row per method:
    mase (mean absolute error over the in-sample seasonal-naive error, per origin then averaged),
    mae, coverage (share of actual days inside the interval), origins and seconds per fit.
    """
    y = _prepare(history)
    cuts = [len(y) - horizon * k for k in range(1, origins + 1) if len(y) - horizon * k >= 2 * PERIOD]
    if not cuts:
        raise ValueError(f"history of {len(y)} days is too short to backtest {horizon} days ahead")
    rows = []
    for method in methods:
        mase, mae, inside, seconds = [], [], [], 0.0
        for cut in cuts:
            train, actual = y.iloc[:cut], y.iloc[cut:cut + horizon].to_numpy()
            start = time.perf_counter()
            fc = forecast_series(train, horizon, level=level, method=method)
            seconds += time.perf_counter() - start
            err = np.abs(actual - fc["forecast"].to_numpy())
            mae.append(err.mean())
            mase.append(err.mean() / max(mase_scale(train), 1e-9))
            inside.append(np.mean((actual >= fc["lower"].to_numpy()) & (actual <= fc["upper"].to_numpy())))
        rows.append({"method": method, "mase": float(np.mean(mase)), "mae": float(np.mean(mae)),
                     "coverage": float(np.mean(inside)), "origins": len(cuts),
                     "seconds_per_fit": seconds / len(cuts)})
    return pd.DataFrame(rows).set_index("method")


@dataclass(frozen=True)
class Period:
    kind: str
    label: str
    start: pd.Timestamp
    end: pd.Timestamp  # exclusive


def _periods(first_day: pd.Timestamp, fiscal_year_start: int, months: int) -> list[Period]:
    """Months, fiscal quarters and the fiscal year that end within `months` months of `first_day`."""
    horizon_end = first_day.replace(day=1) + pd.DateOffset(months=months)
    out = []
    month = first_day.replace(day=1)
    while month < horizon_end:
        out.append(Period("Month", f"{month:%b %Y}", month, month + pd.DateOffset(months=1)))
        month += pd.DateOffset(months=1)
    offset = (first_day.month - fiscal_year_start) % 12
    fy_start = first_day.replace(day=1) - pd.DateOffset(months=offset)

    def fiscal_name(start: pd.Timestamp) -> str:  # named after the calendar year it ends in
        return f"FY{(start + pd.DateOffset(months=11)).year}"

    for q in range(8):  # this fiscal year's quarters and the next one's
        start = fy_start + pd.DateOffset(months=3 * q)
        end = start + pd.DateOffset(months=3)
        if first_day < end <= horizon_end:
            year_start = fy_start + pd.DateOffset(years=q // 4)
            name = f"Q{q % 4 + 1} {start.year}" if fiscal_year_start == 1 else f"{fiscal_name(year_start)} Q{q % 4 + 1}"
            out.append(Period("Quarter", name, start, end))
    fy_end = fy_start + pd.DateOffset(years=1)
    if fy_end <= horizon_end:
        out.append(Period("Fiscal year", fiscal_name(fy_start), fy_start, fy_end))
    return out


def project_periods(history: pd.Series, *, level: float = 0.8, method: str = "auto", fiscal_year_start: int = 1,
                    months: int = PROJECTION_MONTHS, forecaster: Forecaster | None = None) -> pd.DataFrame:
    """Projected totals of the months, fiscal quarters and fiscal year ending within `months` months.

    One row per period: kind, period, start, end (exclusive), actual (cost already in the history),
    forecast (actual + forecast of the remaining days), lower and upper (the central `level` interval of
    the total, from simulated paths). `fiscal_year_start` is the first month of the fiscal year (1-12); a
    fiscal year is named after the calendar year it ends in.
    """
    if not 1 <= months <= PROJECTION_MONTHS:
        raise ValueError(f"months must be from 1 to {PROJECTION_MONTHS}, got {months!r}")
    if fiscal_year_start not in range(1, 13):
        raise ValueError(f"fiscal_year_start must be a month number from 1 to 12, got {fiscal_year_start!r}")
    model = forecaster or Forecaster(level, method).fit(history)
    first_day = model.history_.index[-1] + pd.Timedelta(days=1)
    return _project(model, _periods(first_day, fiscal_year_start, months))


def project_months(model: Forecaster, months: int) -> pd.DataFrame:
    """`months` calendar months (1-24) from the month holding the history's last day, as `project_periods`
    rows (kind 'Month'): its actual to date plus the forecast of the rest, then whole forecast months."""
    if not 1 <= months <= MAX_SCENARIO_MONTHS:
        raise ValueError(f"months must be from 1 to {MAX_SCENARIO_MONTHS}, got {months!r}")
    month = model.history_.index[-1].replace(day=1)
    periods = []
    for _ in range(months):
        end = month + pd.DateOffset(months=1)
        periods.append(Period("Month", f"{month:%Y-%m}", month, end))
        month = end
    return _project(model, periods)


def _project(model: Forecaster, periods: list[Period]) -> pd.DataFrame:
    y = model.history_
    first_day = y.index[-1] + pd.Timedelta(days=1)
    days = max(1, max((p.end - first_day).days for p in periods))
    if days > PATH_DAYS:
        raise ValueError(f"periods reach {days} days ahead, beyond the {PATH_DAYS} days forecast")
    paths = model.simulate(days)
    alpha = (1 - model.level) / 2
    point = model._point(days)
    rows = []
    for p in periods:
        actual = float(y[(y.index >= p.start) & (y.index < p.end)].sum())
        a, b = max(0, (p.start - first_day).days), max(0, (p.end - first_day).days)
        totals = actual + paths[:, a:b].sum(axis=1)
        lo, hi = np.quantile(totals, [alpha, 1 - alpha])
        rows.append({"kind": p.kind, "period": p.label, "start": p.start, "end": p.end, "actual": actual,
                     "forecast": actual + float(point[a:b].sum()), "lower": float(lo), "upper": float(hi)})
    out = pd.DataFrame(rows)
    out.attrs.update(method=model.method_, note=model.note_, level=model.level)
    return out


def top_and_other(daily: pd.DataFrame, top_n: int, other: str = "Other") -> pd.DataFrame:
    """The `top_n` columns of `daily` with the most cost in the last 28 days, the rest summed as `other`
    (renamed "<other> (the rest)" if a real column already has that name)."""
    recent = daily.tail(4 * PERIOD).sum().sort_values(ascending=False)
    keep = list(recent.index[:top_n])
    parts = daily[keep].copy()
    rest = [c for c in daily.columns if c not in keep]
    while other in daily.columns:
        other += " (the rest)"
    if rest:
        parts[other] = daily[rest].sum(axis=1)
    return parts


def _part(series: pd.Series, days: pd.DatetimeIndex, horizon: int, level: float,
          method: str) -> tuple[pd.DataFrame, str]:
    """One part's forecast on `days`: modelled, or flat when it has too little spend to model."""
    spent = np.flatnonzero(series.to_numpy() != 0)
    if spent.size and len(series) - spent[0] >= MIN_HISTORY:
        fc = fitted(series, level, method).predict(horizon).reindex(days, fill_value=0.0)
        return fc, fc.attrs["method"]
    recent = series.iloc[spent[0]:] if spent.size else series.iloc[-1:]
    flat = np.full(len(days), float(recent.mean()))
    frame = pd.DataFrame({"forecast": flat, "lower": np.full(len(days), float(min(recent.min(), 0, flat[0]))),
                          "upper": np.full(len(days), float(max(recent.max(), 0)))}, index=days)
    return frame, (f"Mean of its {len(recent)} day(s) of spend (too few to model)" if spent.size else "No spend")


def forecast_by(daily: pd.DataFrame, horizon: int, *, top_n: int = 5, level: float = 0.8,
                method: str = "auto", other: str = "Other",
                total: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reconciled forecasts of the top `top_n` columns of `daily` (days x series), the rest as `other`.

    Series are ranked by their last 28 days of cost. A part with under MIN_HISTORY days of spend is
    forecast flat at its mean, its range as the interval. The total (the sum of all columns) is forecast on its
    own; the gap between it and the sum of the parts is shared among the parts in proportion to the
    variance of their interval, so the parts add up to the total on every day. Returns (parts, total):
    parts is long (day, series, forecast, lower, upper), total is `forecast_series` of the sum with the
    method of every series in `attrs["methods"]`. A `total` already forecast for this horizon is reused.
    """
    if daily.empty or daily.shape[1] == 0:
        raise ValueError("no series to forecast: the table of daily cost is empty")
    parts = top_and_other(daily, top_n, other)
    if total is None:
        total = fitted(daily.sum(axis=1), level, method).predict(horizon)
    forecasts, methods = {}, {}
    for name in parts.columns:
        forecasts[name], methods[name] = _part(parts[name], total.index, horizon, level, method)
    var = np.stack([((f["upper"] - f["lower"]).to_numpy() / 2) ** 2 for f in forecasts.values()])
    point = np.stack([f["forecast"].to_numpy() for f in forecasts.values()])
    gap = total["forecast"].to_numpy() - point.sum(axis=0)
    share = np.where(var.sum(axis=0) > 0, var / np.where(var.sum(axis=0) > 0, var.sum(axis=0), 1), 1 / len(var))
    frames = []
    for i, (name, f) in enumerate(forecasts.items()):
        shift = gap * share[i]
        frames.append(pd.DataFrame({"day": total.index, "series": name, "forecast": f["forecast"].to_numpy() + shift,
                                    "lower": f["lower"].to_numpy() + shift, "upper": f["upper"].to_numpy() + shift}))
    total.attrs["methods"] = methods
    return pd.concat(frames, ignore_index=True), total
