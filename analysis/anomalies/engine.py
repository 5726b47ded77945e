"""The vectorised engine behind analysis.anomalies: every (day, series) of a days x series matrix at once.

See analysis/anomalies.py for the method. Every statistic for day t uses days before t, except the
7-day median of the drift test, which ends on day t itself.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import numpy as np
import pandas as pd

WINDOW = 28          # days of the level baseline
SCALE_WINDOW = 56    # days of the residual scale
WEEKS = 8            # same-weekday history for the weekday factor
ADAPT = 3            # consecutive same-direction flags after which the level is re-learned
NEW_WINDOW = 92      # days without cost before a cost counts as new spend
MIN_HISTORY = 28     # days of data before a series is judged (new spend: 7)
VOLATILE = 0.25      # relative residual scale above which a series is judged by its own range


def _shift(a: np.ndarray, n: int) -> np.ndarray:
    """Rows moved down by n (row t gets row t-n), NaN on top."""
    out = np.full_like(a, np.nan)
    if n < len(a):
        out[n:] = a[: len(a) - n]
    return out


def _roll(a: np.ndarray, window: int, how: str, min_periods: int) -> np.ndarray:
    """Rolling statistic over rows ending on the row itself (NaN ignored)."""
    r = pd.DataFrame(a).rolling(window, min_periods=min_periods)
    return getattr(r, how)().to_numpy()


def _nanmedian(stack: np.ndarray, min_count: int) -> np.ndarray:
    count = np.sum(~np.isnan(stack), axis=0)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(stack, axis=0)
    return np.where(count >= min_count, med, np.nan)


def run(y: np.ndarray, days: pd.DatetimeIndex, k: float, *, floor: float, rel_floor: float,
        window: int = WINDOW, holidays: Iterable = ()) -> dict[str, np.ndarray]:
    """Expected value, band, score and verdict for every (day, series) of the T x S matrix `y`.

    `y` holds one row per calendar day of `days` (missing days as 0), one column per series; k is the
    band width in robust standard deviations. Returns T x S arrays: flag, actual, expected, lower,
    upper, score, kind, day_expected (the day-level expected value, before any drift baseline) and
    drift_expected (from the median of days t-56..t-29, for every day).
    """
    T, S = y.shape
    month_start = np.asarray(days.day == 1)[:, None]
    hol_days = pd.DatetimeIndex(pd.to_datetime(list(holidays)))
    if hol_days.tz is not None:
        hol_days = hol_days.tz_convert("UTC").tz_localize(None)
    hol = np.asarray(days.isin(hol_days.floor("D")))[:, None]
    neg = y < 0
    skip = neg | month_start | hol                     # left out of ordinary baselines
    base = np.where(skip, np.nan, y)

    # weekday factor: day / mean of the 7 days ending on it, median over the previous 8 same weekdays
    mean7 = _roll(np.where(neg | hol, np.nan, y), 7, "mean", 4)
    with np.errstate(all="ignore"):
        ratio = np.where(mean7 > 0, base / mean7, np.nan)
    f = _nanmedian(np.stack([_shift(ratio, 7 * w) for w in range(1, WEEKS + 1)]), 3)
    f = np.where(np.isfinite(f) & (f > 0.05), f, 1.0)
    with np.errstate(all="ignore"):
        z = base / np.where(f > 0, f, 1.0)  # deseasonalised (own-day factor from past weeks only)
    # a day's own weekday factor (for the level) uses only past weeks, so z has no look-ahead

    level = _shift(_roll(z, window, "median", 7), 1)
    present = _shift(_roll(np.where(skip, np.nan, (y > 0).astype(float)), window, "mean", 7), 1)
    mean28 = _shift(_roll(z, window, "mean", 7), 1)
    max56 = _shift(_roll(np.where(neg, np.nan, y), SCALE_WINDOW, "max", 1), 1)
    seen = _shift(_roll(np.where(y > floor, 1.0, 0.0), NEW_WINDOW, "max", 1), 1)  # any real cost before
    age = np.arange(T)[:, None] * np.ones((1, S))
    intermittent = (present < 0.5) & (seen > 0)
    level = np.where(intermittent, mean28, level)

    expected0 = level * f
    with np.errstate(all="ignore"):
        q = np.where(expected0 > 0, (y - expected0) / expected0, np.nan)
    q = np.where(skip, np.nan, q)
    sigma_rel = 1.4826 * _shift(_roll(np.abs(q), SCALE_WINDOW, "median", 7), 1)
    sigma_rel = np.where(np.isfinite(sigma_rel), sigma_rel, 0.1)

    def band(expected):
        return np.maximum(k * sigma_rel * np.abs(expected), np.maximum(floor, rel_floor * np.abs(expected)))

    # level shifts: after ADAPT consecutive same-direction flags, use the median of those days
    h0 = band(expected0)
    dev0 = y - expected0
    up0 = np.where(neg | hol, False, dev0 > h0)   # month starts count here: a shift may begin on one
    dn0 = np.where(neg | hol, False, dev0 < -h0)
    up_run = np.all(np.stack([_shift(up0.astype(float), i) == 1 for i in range(1, ADAPT + 1)]), axis=0)
    dn_run = np.all(np.stack([_shift(dn0.astype(float), i) == 1 for i in range(1, ADAPT + 1)]), axis=0)
    short = _nanmedian(np.stack([_shift(z, i) for i in range(1, ADAPT + 1)]), ADAPT - 1)
    # once adapted, stay adapted while the median of the last 7 days is still beyond the old band (a
    # single noisy day must not reset the learning), until the 28-day level has caught up with it
    short7 = _nanmedian(np.stack([_shift(z, i) for i in range(1, 8)]), 5)
    run_ = up_run | dn_run
    far = np.abs(short7 - level) * f > h0
    short = np.where(run_, short, short7)
    adapt = (run_ | far) & np.isfinite(short)
    level = np.where(adapt, short, level)
    expected = level * f

    # month starts: ordinary expected + median excess of the last 3 month starts
    exc_exp = np.zeros_like(y)
    exc_sig = np.zeros_like(y)
    first_ms = np.zeros_like(y, dtype=bool)
    ms_rows = np.flatnonzero(month_start[:, 0])
    if len(ms_rows):
        excess = y[ms_rows] - expected[ms_rows]      # NaN where there was no baseline yet
        alive = (np.nan_to_num(expected[ms_rows]) > 0) | (y[ms_rows] > 0)
        excess = np.where(alive, excess, np.nan)   # month starts before a series existed say nothing
        excess = np.where(neg[ms_rows], np.nan, excess)
        for j, row in enumerate(ms_rows):
            prev = excess[max(0, j - 6): j]
            if len(prev) == 0 or not np.isfinite(prev).any():
                first_ms[row] = True
                continue
            first_ms[row] = ~np.isfinite(prev).any(axis=0)
            med = _nanmedian(prev[-3:], 1)
            med = np.where(np.isfinite(med), med, _nanmedian(prev, 1))
            mad = 1.4826 * _nanmedian(np.abs(prev - _nanmedian(prev, 1)), 1)
            exc_exp[row] = np.nan_to_num(med)
            exc_sig[row] = np.nan_to_num(mad) + 0.05 * np.abs(np.nan_to_num(med))
    expected = np.where(month_start, np.nan_to_num(expected) + exc_exp, expected)

    h = band(expected)
    h = np.where(month_start, np.maximum(h, k * exc_sig), h)
    lower = expected - h
    min56 = _shift(_roll(np.where(skip, np.nan, y), SCALE_WINDOW, "min", 1), 1)
    max56o = _shift(_roll(np.where(skip, np.nan, y), SCALE_WINDOW, "max", 1), 1)
    volatile = intermittent | (sigma_rel > VOLATILE)
    upper = np.where(intermittent, np.maximum(expected + h, 1.5 * max56), expected + h)
    upper = np.where(volatile, np.maximum(upper, exc_exp + 1.5 * max56o), upper)
    lower = np.where(volatile & ~month_start, np.minimum(lower, 0.8 * min56), lower)
    h = np.where(volatile & ~month_start, np.maximum(upper - expected, expected - lower), h)
    upper = np.where(month_start & first_ms, np.inf, upper)
    judged = (age >= MIN_HISTORY) & np.isfinite(expected) & ~neg & ~hol
    is_up = judged & (y > upper)
    is_dn = judged & (y < lower) & ~(intermittent & (y <= 0))
    back = adapt & ~month_start & ~(up0 | dn0)   # back within the old band after a shift: not news
    is_up &= ~back
    is_dn &= ~back

    # new spend: material cost after >= 7 days of history with none over the previous NEW_WINDOW days
    new = (age >= 7) & (np.nan_to_num(seen) == 0) & (y > np.maximum(floor, 0)) & ~hol
    new &= ~np.isfinite(np.where(level > 0, level, np.nan)) | (np.nan_to_num(level) == 0)
    flag = is_up | is_dn | new
    expected = np.where(new, 0.0, expected)
    scale = h / k
    with np.errstate(all="ignore"):
        score = np.abs(y - expected) / np.where(scale > 0, scale, np.nan)

    # drift: 7-day median (ending today) vs median of days t-56..t-29
    med7 = _roll(z, 7, "median", 5)
    old = _shift(_roll(z, WINDOW, "median", 14), WINDOW + 1)
    with np.errstate(all="ignore"):
        rel = med7 / old - 1.0
    drift_th = np.maximum(0.15, k * sigma_rel / np.sqrt(7.0))
    recent_flag = _shift(_roll(flag.astype(float), SCALE_WINDOW, "max", 1), 1)
    drift = (judged & ~flag & ~volatile & (np.abs(rel) > drift_th) & (np.nan_to_num(recent_flag) == 0)
             & (np.abs(med7 - old) * f > np.maximum(floor, 0)) & (age >= 2 * WINDOW))
    drift_expected = old * f
    with np.errstate(all="ignore"):
        drift_score = np.abs(rel) / np.where(sigma_rel > 0, sigma_rel / np.sqrt(7.0), np.nan)
    day_expected = expected
    expected = np.where(drift, drift_expected, expected)
    score = np.where(drift, drift_score, score)
    lower = np.where(drift, drift_expected * (1 - drift_th), lower)
    upper = np.where(drift, drift_expected * (1 + drift_th), upper)
    flag = flag | drift

    kind = np.full(y.shape, "", dtype=object)
    third_up = is_up & np.all(np.stack([_shift(is_up.astype(float), i) == 1 for i in (1, 2)]), axis=0)
    kind[is_up] = "spike"
    kind[third_up] = "level-shift"
    kind[is_dn] = "drop"
    kind[drift] = "drift"
    kind[new] = "new-spend"
    return {"flag": flag, "actual": y, "expected": expected, "lower": lower, "upper": upper,
            "score": score, "kind": kind, "day_expected": day_expected,
            "drift_expected": drift_expected}
