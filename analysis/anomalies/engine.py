"""The vectorised engine behind analysis.anomalies: every (day, series) of a days x series matrix at once.

See analysis/anomalies/detect.py for the method. Every statistic for day t uses days before t, except the
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
MAX_GROWTH = np.log(2.5) / 365  # steadiest trend followed: +150 % (or -60 %) a year, per day
HOLIDAY_DIP = 0.25   # share of usage a holiday may take off before its behaviour is learned
HOLIDAY_FLOOR = 0.15  # and after: dips deepen towards the peak days, so one this shallow never alarms
HOLIDAY_MEMORY = 7   # days back in which earlier holidays teach a holiday's level
MS_MODELS = 6        # earlier month starts that teach the month-start charge


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


def _trend(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Daily log growth, median of days t-56..t-29) per (day, series). The growth is read twice from three
    28-day medians that must lie on one line (steady growth, not a step): those ending on t-29, t-57 and
    t-85, and, where the history is long enough, those ending on t-29, t-99 and t-169. Where both are
    steady in the same direction the slower one is taken (a recent acceleration is not yet a trend), where
    only the first exists it is taken, else 0; capped at MAX_GROWTH."""
    med = _roll(z, WINDOW, "median", 14)
    m1 = _shift(med, WINDOW + 1)

    def steady_growth(gap: int) -> np.ndarray:
        m2, m3 = _shift(med, WINDOW + 1 + gap), _shift(med, WINDOW + 1 + 2 * gap)
        with np.errstate(all="ignore"):
            total = np.log(m1 / m3)
            bend = np.log(m2) - (np.log(m1) + np.log(m3)) / 2
        steady = np.isfinite(total) & np.isfinite(bend) & (np.abs(bend) <= 0.25 * np.abs(total) + 0.02)
        return np.where(steady, total / (2 * gap), np.where(np.isfinite(total) & np.isfinite(bend), 0.0, np.nan))

    short, long = steady_growth(WINDOW), steady_growth(5 * WINDOW // 2)
    agree = np.sign(short) == np.sign(long)
    growth = np.where(np.isnan(long), short, np.where(agree, np.sign(short) * np.minimum(np.abs(short),
                                                                                         np.abs(long)), 0.0))
    return np.clip(np.nan_to_num(growth), -MAX_GROWTH, MAX_GROWTH), m1


def _month_usage(y: np.ndarray, days: pd.DatetimeIndex, ordinary: np.ndarray) -> dict[int, np.ndarray]:
    """Each calendar month's usage per series: the mean of its ordinary days times its length (NaN with
    fewer than 10 ordinary days)."""
    month = np.asarray(days.year * 12 + days.month - 1)
    out = {}
    for m in np.unique(month):
        sel = month == m
        n = ordinary[sel].sum(axis=0)
        total = np.where(ordinary[sel], y[sel], 0.0).sum(axis=0)
        out[int(m)] = np.where(n >= 10, total / np.maximum(n, 1) * days[sel][0].days_in_month, np.nan)
    return out


def _month_start_charges(y: np.ndarray, days: pd.DatetimeIndex, expected: np.ndarray, skip: np.ndarray,
                         neg: np.ndarray, hol: np.ndarray) -> tuple[np.ndarray, ...]:
    """The charge expected on each month start on top of usage, learned from up to MS_MODELS earlier month
    starts as three models: a fixed amount, a share of the previous month's usage, a share of the usage two
    months back. Where at least 3 month starts say which model is steadiest (relative spread), it gives the
    charge and the models within 1.5 x its spread (+3 points) stay plausible; otherwise the fixed amount
    gives the charge and every model stays plausible. Returns T x S arrays: charge, lowest and highest
    plausible charge, spread in money (MAD + 5 %), and whether a month start is a series' first. Month starts
    on holidays (usage off its usual level) teach nothing."""
    charge, low, high, spread = (np.zeros_like(y) for _ in range(4))
    first = np.zeros(y.shape, dtype=bool)
    rows = np.flatnonzero(np.asarray(days.day == 1))
    if not len(rows):
        return charge, low, high, spread, first
    usage = _month_usage(y, days, ~skip)
    month = np.asarray(days.year * 12 + days.month - 1)
    none = np.full(y.shape[1], np.nan)
    excess = y[rows] - expected[rows]      # NaN where there was no baseline yet
    alive = (np.nan_to_num(expected[rows]) > 0) | (y[rows] > 0)
    excess = np.where(alive & ~neg[rows] & ~hol[rows], excess, np.nan)  # nor do those before a series existed
    bases = [np.ones_like(excess)]
    for lag in (1, 2):
        base = np.stack([usage.get(int(month[r]) - lag, none) for r in rows])
        bases.append(np.where(base > 0, base, np.nan))
    with np.errstate(all="ignore"):
        histories = [excess / base for base in bases]
    cols = np.arange(y.shape[1])
    for j, row in enumerate(rows):
        prev_excess = excess[max(0, j - MS_MODELS): j]
        first[row] = ~np.isfinite(prev_excess).any(axis=0)
        if j == 0 or first[row].all():
            continue
        preds, spreads, sigmas = [], [], []
        for history, base in zip(histories, bases):
            prev = history[max(0, j - MS_MODELS): j]
            med = _nanmedian(prev, 1)
            latest = np.isfinite(prev) & (np.cumsum(np.isfinite(prev)[::-1], axis=0)[::-1] <= 3)
            recent = _nanmedian(np.where(latest, prev, np.nan), 1)  # of the last 3 month starts that teach
            mad = 1.4826 * _nanmedian(np.abs(prev - med), 1)
            with np.errstate(all="ignore"):
                spreads.append(np.where(np.isfinite(prev).sum(axis=0) >= 3, mad / np.abs(med), np.nan))
            preds.append(recent * base[j])
            sigmas.append((mad + 0.05 * np.abs(recent)) * base[j])
        preds, spreads, sigmas = np.stack(preds), np.stack(spreads), np.stack(sigmas)
        ranked = np.where(np.isfinite(spreads) & np.isfinite(preds), spreads, np.inf)
        best = ranked.min(axis=0)
        pick = np.where(np.isfinite(best), ranked.argmin(axis=0), 0)
        plausible = np.isfinite(preds) & (np.isnan(spreads) | (spreads <= 2 * best + 0.05) | ~np.isfinite(best))
        chosen = np.nan_to_num(preds[pick, cols])
        charge[row] = chosen
        low[row] = np.minimum(chosen, np.nanmin(np.where(plausible, preds, np.inf), axis=0))
        high[row] = np.maximum(chosen, np.nanmax(np.where(plausible, preds, -np.inf), axis=0))
        spread[row] = np.nan_to_num(sigmas[pick, cols])
    return charge, low, high, spread, first


def _once(candidate: np.ndarray) -> np.ndarray:
    """Candidate drift days kept: a run of consecutive days, then none for SCALE_WINDOW days after it."""
    kept = np.zeros_like(candidate)
    last = np.full(candidate.shape[1], -np.inf)
    for t in range(len(candidate)):
        kept[t] = candidate[t] & (((t - last) == 1) | ((t - last) > SCALE_WINDOW))
        last = np.where(kept[t], t, last)
    return kept


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
    mean7 = _roll(np.where(skip, np.nan, y), 7, "mean", 4)  # month-start charges would bias the rhythm
    with np.errstate(all="ignore"):
        ratio = np.where(mean7 > 0, base / mean7, np.nan)
    f = _nanmedian(np.stack([_shift(ratio, 7 * w) for w in range(1, WEEKS + 1)]), 3)
    f = np.where(np.isfinite(f) & (f > 0.05), f, 1.0)
    with np.errstate(all="ignore"):
        z = base / np.where(f > 0, f, 1.0)  # deseasonalised (own-day factor from past weeks only)
    # a day's own weekday factor (for the level) uses only past weeks, so z has no look-ahead

    level = _shift(_roll(z, window, "median", 7), 1)
    growth, old = _trend(z)
    present = _shift(_roll(np.where(skip, np.nan, (y > 0).astype(float)), window, "mean", 7), 1)
    mean28 = _shift(_roll(z, window, "mean", 7), 1)
    max56 = _shift(_roll(np.where(neg, np.nan, y), SCALE_WINDOW, "max", 1), 1)
    seen = _shift(_roll(np.where(y > floor, 1.0, 0.0), NEW_WINDOW, "max", 1), 1)  # any real cost before
    age = np.arange(T)[:, None] * np.ones((1, S))
    intermittent = (present < 0.5) & (seen > 0)
    level = np.where(intermittent, mean28, level * np.exp(growth * (window + 1) / 2))  # level is window/2 days old

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
    # holidays count here too (a shift may begin on one), a dip of a holiday or the days around it does not
    near = np.zeros_like(hol)   # days around a holiday (2 either side) may dip like it
    for i in (1, 2):
        near[i:] |= hol[:-i]
        near[:-i] |= hol[i:]
    near &= ~hol
    up0 = np.where(neg, False, dev0 > h0)         # month starts count here: a shift may begin on one
    dn0 = np.where(neg, False, dev0 < -h0 - np.where(hol | near, HOLIDAY_DIP * np.abs(expected0), 0.0))
    up_run = np.all(np.stack([_shift(up0.astype(float), i) == 1 for i in range(1, ADAPT + 1)]), axis=0)
    dn_run = np.all(np.stack([_shift(dn0.astype(float), i) == 1 for i in range(1, ADAPT + 1)]), axis=0)
    with np.errstate(all="ignore"):
        z_all = np.where(neg | month_start, np.nan, y) / np.where(f > 0, f, 1.0)  # holidays included
    short = _nanmedian(np.stack([_shift(z_all, i) for i in range(1, ADAPT + 1)]), ADAPT - 1)
    # once adapted, stay adapted while the median of the last 7 days is still beyond the old band (a
    # single noisy day must not reset the learning), until the 28-day level has caught up with it
    short7 = _nanmedian(np.stack([_shift(z_all, i) for i in range(1, 8)]), 5)
    run_ = up_run | dn_run
    far = np.abs(short7 - level) * f > h0 / 2  # half the band: the 7-day median is steadier than a day
    short = np.where(run_, short, short7)
    adapt = (run_ | far) & np.isfinite(short)
    level = np.where(adapt, short, level)
    expected = level * f

    # month starts: ordinary expected + the charge as the earlier month starts teach it (fixed or a share of
    # the month before's or the one before that's usage, whichever the history supports)
    charge, charge_lo, charge_hi, charge_sig, first_ms = _month_start_charges(y, days, expected, skip, neg, hol)

    # holidays: judged against the level of the holidays of the last days, or with room for a dip
    with np.errstate(all="ignore"):
        hol_ratio = np.where(hol & ~month_start & ~neg & (expected > 0), y / expected, np.nan)
    recent = np.stack([_shift(hol_ratio, i) for i in range(1, HOLIDAY_MEMORY + 1)])
    hol_factor = _nanmedian(recent, 2)
    learned = hol & np.isfinite(hol_factor)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        # the deepest recent holiday, with at least HOLIDAY_FLOOR of room (a dip deepens towards 24-26 December)
        hol_low = np.where(learned, np.minimum(np.nanmin(recent, axis=0), 1 - HOLIDAY_FLOOR), 1.0)
        hol_high = np.where(learned, np.maximum(hol_factor, 1.0), 1.0)
    usage = np.where(learned, expected * hol_factor, expected)
    ordinary_usage = np.nan_to_num(expected)
    expected = np.where(month_start, np.nan_to_num(usage) + charge, usage)

    h = band(expected)
    h = np.where(month_start, np.maximum(h, k * charge_sig), h)
    lower = expected - h + np.where(month_start, charge_lo - charge, 0.0)
    # a month-start charge may fall or stop (a cancelled plan, a share of usage that fell): a month start is
    # low only when it is below the usage expected without any charge
    usage_lower = np.nan_to_num(usage) - band(np.nan_to_num(usage))
    lower = np.where(month_start, np.minimum(lower, usage_lower), lower)
    lower = np.where(learned, np.minimum(lower, ordinary_usage * hol_low - band(ordinary_usage * hol_low)), lower)
    lower = np.where((hol & ~learned) | near, lower - HOLIDAY_DIP * ordinary_usage, lower)
    min56 = _shift(_roll(np.where(skip, np.nan, y), SCALE_WINDOW, "min", 1), 1)
    max56o = _shift(_roll(np.where(skip, np.nan, y), SCALE_WINDOW, "max", 1), 1)
    volatile = intermittent | (sigma_rel > VOLATILE)
    upper = expected + h + np.where(month_start, charge_hi - charge, 0.0)
    upper = np.where(hol, np.maximum(upper, ordinary_usage * hol_high + band(ordinary_usage * hol_high)), upper)
    upper = np.where(intermittent, np.maximum(upper, 1.5 * max56), upper)
    upper = np.where(volatile, np.maximum(upper, charge_hi + 1.5 * max56o), upper)
    lower = np.where(volatile & ~month_start, np.minimum(lower, 0.8 * min56), lower)
    h = np.where(volatile & ~month_start, np.maximum(upper - expected, expected - lower), h)
    upper = np.where(month_start & first_ms, np.inf, upper)
    judged = (age >= MIN_HISTORY) & np.isfinite(expected) & ~neg
    is_up = judged & (y > upper)
    is_dn = judged & (y < lower) & ~(intermittent & (y <= 0))
    back = adapt & ~month_start & ~(up0 | dn0)   # back within the old band after a shift: not news
    is_up &= ~back
    is_dn &= ~back

    # new spend: material cost after >= 7 days of history with none over the previous NEW_WINDOW days
    new = (age >= 7) & (np.nan_to_num(seen) == 0) & (y > np.maximum(floor, 0))
    new &= ~np.isfinite(np.where(level > 0, level, np.nan)) | (np.nan_to_num(level) == 0)
    flag = is_up | is_dn | new
    expected = np.where(new, 0.0, expected)
    scale = h / k
    with np.errstate(all="ignore"):
        score = np.abs(y - expected) / np.where(scale > 0, scale, np.nan)

    # drift: 7-day median (ending today) vs median of days t-56..t-29, as it was and carried forward at the
    # steady growth: a drift moved beyond the threshold from the one and beyond two thirds of it from the
    # other, in the same direction (steady growth, or growth that levelled off, is explained)
    med7 = _roll(z, 7, "median", 5)
    drift_th = np.maximum(0.15, k * sigma_rel / np.sqrt(7.0))
    carried = old * np.exp(growth * (WINDOW + 1 + (WINDOW - 7) / 2))
    with np.errstate(all="ignore"):
        rel_old, rel_carried = med7 / old - 1.0, med7 / carried - 1.0
    nearer = np.abs(rel_carried) < np.abs(rel_old)
    unexplained = (np.sign(rel_old) == np.sign(rel_carried)) & (np.minimum(np.abs(rel_old), np.abs(rel_carried))
                                                                 > 2 * drift_th / 3)
    rel = np.where(unexplained, np.where(nearer, rel_old, rel_carried), 0.0)
    old = np.where(nearer, old, carried)
    recent_flag = _shift(_roll(flag.astype(float), SCALE_WINDOW, "max", 1), 1)
    drift = _once(judged & ~hol & ~flag & ~volatile & (np.abs(rel) > drift_th) & (np.nan_to_num(recent_flag) == 0)
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
