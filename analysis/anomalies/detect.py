"""Cost anomaly detection on daily spend: robust, billing-aware, without look-ahead.

Public API::

    found = detect_anomalies(daily, by=("ServiceName",), date="date", value="cost")
    events = group_events(found, by=("ServiceName",))
    why = explain_anomaly(detail, day, dims=("ServiceName", "SubAccountName"))

Method (all series at once, as a days x series matrix; every statistic for day t uses days < t only,
except the 7-day median of the drift test, which ends on day t itself):

* Missing days are zero spend (a group absent on a day cost nothing). Days are judged from the 29th day
  of the frame (new spend from the 8th); a frame with a single day returns an empty result.
* Weekday rhythm: factor f = median, over the 8 previous same weekdays, of the day's cost divided by
  the mean of the 7 days ending on it (month starts, holidays and negative days left out of both; 1
  until 3 such weeks exist). Values are divided by f.
* Level: median of the deseasonalised values over the previous 28 days, carried forward 14.5 days (its
  age) at the series' steady growth; expected = level x f.
* Steady growth: the daily log growth between the 28-day medians ending on t-85 and t-29 when the one
  ending on t-57 lies on the same line (within a quarter of the change + 2 points); with 169 days of
  history, also between those ending on t-169 and t-29 (middle: t-99), and where both are steady in the
  same direction the slower one (a recent acceleration is not yet a trend); capped at +150 % (or -60 %) a
  year; 0 otherwise (a step is not a trend).
* Month-start charges: day 1 of a month is left out of all baselines; its charge on top of usage is
  learned from up to 6 earlier month starts (those on holidays teach nothing) as three models: a fixed
  amount (the median of the last 3), a share of the previous month's usage, a share of the usage two
  months back (a month's usage = the mean of its ordinary days x its length). With at least 3 month starts
  the steadiest model (smallest relative MAD) gives the expected charge and the models within 1.5 x its
  spread + 3 points stay plausible; with fewer, the fixed amount gives it and every model stays
  plausible. The band spans the plausible charges. A month start is low only when below the usage band
  without any charge (a plan cancelled, a share of usage that fell). The first month start of a series
  is never flagged upwards (nothing to compare it with).
* Band: expected +- max(k x sigma, floor), sigma = 1.4826 x median |relative residual| over the
  previous 56 days x expected; k = 3 x 4 ** (1 - sensitivity) (6 at the default 0.5, 3 at 1, 12 at 0);
  floor = max(`floor` money units, `rel_floor` x expected) so that tiny series do not flag cents.
  score = |actual - expected| / (band / k), so a day is flagged when score > k.
* Level shifts are learned: when the 3 previous days were all beyond the band in the same direction,
  the level becomes the median of those 3 days, and then the median of the last 7 days (holidays
  included) while that is beyond half the old band, until the 28-day level has caught up. A lasting change
  is thus flagged on its first 3 days only; a return to the old band while the level is being
  re-learned (end of an outage) is not flagged.
* Volatile series (relative scale > 25 %): band widened to the 56-day range (x1.5 upwards, on
  month starts on top of the usual month-start excess; x0.8 downwards), so lumpy series are judged
  against their own history.
* Intermittent series (cost on fewer than half of the last 28 days): expected = 28-day mean, upper band
  at least 1.5 x the 56-day maximum, and zero days are never flagged as drops.
* New spend: cost above the floor after at least 7 days of history with no cost over the previous 92.
* Drift: the 7-day median of deseasonalised values (ending on day t) against the median of days
  t-56..t-29, both as it was and carried forward 39.5 days at the steady growth: a drift has moved
  beyond the threshold from one of them and beyond two thirds of it from the other, in the same
  direction (so steady growth, or growth that levelled off, is explained; the farther one is the
  baseline shown); on series that are not volatile, flagged when the change exceeds max(15 %, k x sigma / sqrt(7)) and
  the series had no other flag in the previous 56 days (so a level shift is not re-flagged as drift
  while it is being learned); a drift's consecutive days are one drift, and none follows for 56 days.
* Credits/refunds: a day whose net value is negative is never flagged and is left out of baselines.
  Partial credits that only lower a day look like a drop: detect on usage charges (ChargeCategory
  'Usage') and explain credits separately.
* Kinds: new-spend; drift; spike (up) / drop (down) for day-level flags, level-shift for the 3rd
  consecutive upward day (a lasting decrease stays a drop).
* Holidays (`holidays`: the dates of a calendar, e.g. `HolidaySettings(country="GB").days(start, end)`
  from analysis.anomalies.holidays: year-end period, a country's public holidays, the user's dates) are
  left out of the level, scale, weekday and drift baselines. A holiday is judged against the holidays of
  the previous 7 days once 2 of them exist (expected = ordinary x their median ratio, lower bound from
  the deepest of them); before that, and on the 2 days either side of a holiday, a dip of up to 25 % of
  the ordinary expected is allowed on top of the band, so only a large drop alarms. Upwards, a holiday
  is judged as an ordinary day. Holidays count in the level-shift learning (a dip within that 25 % does
  not). No drift is flagged on a holiday.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from analysis.anomalies.engine import WEEKS, WINDOW, run

RESULT_COLUMNS = ["actual", "expected", "lower", "upper", "impact", "score", "kind"]
EXPLAIN_COLUMNS = ["actual", "expected", "delta", "share"]
KIND_PRIORITY = {"new-spend": 5, "level-shift": 4, "drift": 3, "drop": 2, "spike": 1}


def _k(sensitivity: float) -> float:
    if not 0.0 <= float(sensitivity) <= 1.0:
        raise ValueError(f"sensitivity must be in [0, 1], got {sensitivity!r}")
    return 3.0 * 4.0 ** (1.0 - float(sensitivity))


def _as_by(by) -> list[str]:
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(by)


def _validate(frame: pd.DataFrame, cols: Sequence[str], date: str, value: str, what: str,
              unique: bool = True) -> pd.DataFrame:
    """Checked copy with `date` as naive UTC day timestamps and `value` as float."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in [date, *cols, value] if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} has no column {missing[0]!r} (columns: {list(frame.columns)})")
    out = frame[[date, *cols, value]].copy()
    if len(out) == 0:
        return out
    num = pd.to_numeric(out[value], errors="coerce")
    bad = num.isna() & out[value].notna()
    if bad.any():
        sample = out.loc[bad, value].head(3).tolist()
        raise ValueError(f"column {value!r} must be numeric; non-numeric values such as {sample!r}")
    out[value] = num.astype("float64").fillna(0.0)
    try:
        d = pd.to_datetime(out[date])
    except (ValueError, TypeError) as exc:
        raise ValueError(f"column {date!r} holds values that are not dates: {exc}") from None
    if d.isna().any():
        sample = out.loc[d.isna(), date].head(3).tolist()
        raise ValueError(f"column {date!r} has empty or unparseable dates, e.g. {sample!r}")
    if getattr(d.dt, "tz", None) is not None:
        d = d.dt.tz_convert("UTC").dt.tz_localize(None)
    out[date] = d.dt.floor("D").astype("datetime64[ns]")
    dup = out.duplicated([date, *cols], keep=False) if unique else pd.Series(False, index=out.index)
    if dup.any():
        ex = out.loc[dup, [date, *cols]].iloc[0].to_dict()
        raise ValueError(f"{what} has more than one row per ({date}, {', '.join(cols) or 'no group'}); "
                         f"e.g. {ex}; aggregate to one row per day and group first")
    return out


def _matrix(frame: pd.DataFrame, cols: list[str], date: str, value: str):
    """(days index, group keys frame, T x S values with 0 for missing days)."""
    days = pd.date_range(frame[date].min(), frame[date].max(), freq="D")
    if cols:
        keys = frame[cols].drop_duplicates().reset_index(drop=True)
        gidx = pd.MultiIndex.from_frame(keys).get_indexer(pd.MultiIndex.from_frame(frame[cols]))
    else:
        keys = pd.DataFrame(index=[0])
        gidx = np.zeros(len(frame), dtype=np.int64)
    tidx = ((frame[date] - days[0]) // pd.Timedelta(days=1)).to_numpy(dtype=np.int64)
    y = np.zeros((len(days), len(keys)))
    y[tidx, gidx] = frame[value].to_numpy(dtype="float64")
    return days, keys, y


def _empty(by: list[str], date: str) -> pd.DataFrame:
    cols = {date: pd.Series(dtype="datetime64[ns]")} | {c: pd.Series(dtype="object") for c in by}
    cols |= {c: pd.Series(dtype="float64") for c in RESULT_COLUMNS if c != "kind"}
    cols["kind"] = pd.Series(dtype="object")
    return pd.DataFrame(cols)[[date, *by, *RESULT_COLUMNS]]


def detect_anomalies(daily: pd.DataFrame, by: Sequence[str] | str = (), *, date: str = "date",
                     value: str = "cost", sensitivity: float = 0.5, min_impact: float = 0.0,
                     min_impact_pct: float = 0.0, floor: float = 1.0, rel_floor: float = 0.05,
                     holidays: Iterable = ()) -> pd.DataFrame:
    """One row per anomalous day per group, largest absolute impact first.

    `daily`: one row per day per group (`date`, the `by` columns, `value`). Returns the columns `date`
    (the UTC day: tz-aware UTC if the input was tz-aware, else naive), the `by` columns, actual,
    expected, lower, upper, impact (actual - expected), score (higher = more unusual; flagged when
    above k, 6 at the default sensitivity) and kind
    (spike, drop, level-shift, drift, new-spend). `sensitivity` in [0, 1]: higher flags more.
    `min_impact` (money) and `min_impact_pct` (percent of expected; rows expecting 0, i.e. new spend,
    pass it) drop smaller absolute impacts.
    `holidays`: dates judged as holidays (see the module docstring; none by default; the monitors and the
    page pass the workspace's calendar). Missing values count as 0. An empty frame, or one holding a
    single day, gives an empty result with these columns.
    Raises ValueError for a missing column, a non-numeric value, or duplicated (date, group) rows.
    """
    cols = _as_by(by)
    k = _k(sensitivity)
    frame = _validate(daily, cols, date, value, "daily")
    if len(frame) == 0 or frame[date].nunique() < 2:
        return _empty(cols, date)
    days, keys, y = _matrix(frame, cols, date, value)
    r = run(y, days, k, floor=floor, rel_floor=rel_floor, holidays=holidays)
    t, s = np.nonzero(r["flag"])
    out = pd.DataFrame({date: days[t]})
    for c in cols:
        out[c] = keys[c].take(s).reset_index(drop=True)
    for c in ("actual", "expected", "lower", "upper", "score"):
        out[c] = r[c][t, s].astype("float64")
    out["impact"] = out["actual"] - out["expected"]
    out["kind"] = r["kind"][t, s].astype(str)
    keep = out["impact"].abs() >= min_impact
    if min_impact_pct:
        with np.errstate(all="ignore"):
            pct = 100 * out["impact"].abs() / out["expected"].abs()
        keep &= (pct >= min_impact_pct) | (out["expected"] == 0)
    out = out[keep]
    if getattr(daily[date].dtype, "tz", None) is not None:
        out[date] = out[date].dt.tz_localize("UTC")
    order = np.argsort(-out["impact"].abs().to_numpy(), kind="stable")
    return out.iloc[order][[date, *cols, *RESULT_COLUMNS]].reset_index(drop=True)


def group_events(found: pd.DataFrame, by: Sequence[str] | str = (), *, date: str = "date",
                 gap: int = 1) -> pd.DataFrame:
    """Consecutive anomalous days of a group as one event (days at most `gap` apart).

    Columns: the `by` columns, start, end (last anomalous day, inclusive), days (flagged days),
    impact (sum), score (peak), kind (the most telling kind of the event: new-spend > level-shift >
    drift > drop > spike), largest absolute impact first.
    """
    cols = _as_by(by)
    out_cols = [*cols, "start", "end", "days", "impact", "score", "kind"]
    if len(found) == 0:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in out_cols})
    f = found.sort_values([*cols, date]).reset_index(drop=True)
    d = pd.to_datetime(f[date])
    same = pd.Series(True, index=f.index)
    for c in cols:
        same &= f[c].eq(f[c].shift()).fillna(False).astype(bool)
    new_event = ~(same & ((d - d.shift()) <= pd.Timedelta(days=gap)))
    f["_event"] = new_event.to_numpy(dtype=bool).cumsum()
    f["_prio"] = f["kind"].map(KIND_PRIORITY).fillna(0)
    g = f.groupby("_event", sort=False)
    ev = g.agg(start=(date, "min"), end=(date, "max"), days=(date, "size"), impact=("impact", "sum"),
               score=("score", "max"))
    ev["kind"] = f.loc[g["_prio"].idxmax().to_numpy(), "kind"].to_numpy()
    for c in cols:
        ev[c] = g[c].first()
    ev = ev.reset_index(drop=True)[out_cols]
    order = np.argsort(-ev["impact"].abs().to_numpy(), kind="stable")
    return ev.iloc[order].reset_index(drop=True)


def explain_anomaly(detail: pd.DataFrame, day, dims: Sequence[str] | str, *, date: str = "date",
                    value: str = "cost", baseline_days: int = 28, against: str = "day",
                    holidays: Iterable = ()) -> pd.DataFrame:
    """Rank the combinations of `dims` by their contribution to `day`'s deviation.

    Each combination's expected value comes from the same weekday- and month-start-aware baseline as
    `detect_anomalies`, over its own history before `day` (`baseline_days` days of level, plus the
    weeks needed for the weekday rhythm). Columns: the dims, actual, expected, delta (actual -
    expected), share (delta / total delta of all combinations), largest absolute delta first.
    `detail` may hold several rows per day and combination (they are summed).
    `holidays`: the dates `detect_anomalies` was given, so that a holiday's expected values match.
    `against="drift"` explains a drift instead: actual and expected are the means of the 7 days ending
    on `day` (month starts and negative days left out), expected from each combination's level 29 to 56
    days before (as the drift test does).
    """
    if against not in ("day", "drift"):
        raise ValueError(f"against must be 'day' or 'drift', got {against!r}")
    cols = _as_by(dims)
    if not cols:
        raise ValueError("dims must name at least one column")
    frame = _validate(detail, cols, date, value, "detail", unique=False)
    frame = frame.groupby([date, *cols], dropna=False, as_index=False)[value].sum()
    empty = pd.DataFrame({c: pd.Series(dtype="object") for c in cols}
                         | {c: pd.Series(dtype="float64") for c in EXPLAIN_COLUMNS})
    if len(frame) == 0:
        return empty
    day = pd.Timestamp(day)
    if day.tzinfo is not None:
        day = day.tz_convert("UTC").tz_localize(None)
    day = day.floor("D")
    start = day - pd.Timedelta(days=max(baseline_days, 2 * WINDOW) + 7 * WEEKS + 14)
    frame = frame[(frame[date] >= start) & (frame[date] <= day)]
    if len(frame) == 0:
        return empty
    days = pd.date_range(start, day, freq="D")
    keys = frame[cols].drop_duplicates().reset_index(drop=True)
    gidx = pd.MultiIndex.from_frame(keys).get_indexer(pd.MultiIndex.from_frame(frame[cols]))
    tidx = ((frame[date] - start) // pd.Timedelta(days=1)).to_numpy(dtype=np.int64)
    y = np.zeros((len(days), len(keys)))
    y[tidx, gidx] = frame[value].to_numpy()
    r = run(y, days, _k(0.5), floor=0.0, rel_floor=0.0, window=baseline_days, holidays=holidays)
    out = keys.copy()
    if against == "drift":
        ordinary = np.asarray(days[-7:].day != 1)[:, None] & (y[-7:] >= 0)  # no fees, no credits
        n = np.maximum(ordinary.sum(axis=0), 1)
        out["actual"] = np.where(ordinary, y[-7:], 0.0).sum(axis=0) / n
        out["expected"] = np.where(ordinary, np.nan_to_num(r["drift_expected"][-7:]), 0.0).sum(axis=0) / n
    else:
        out["actual"] = y[-1]
        out["expected"] = np.nan_to_num(r["day_expected"][-1])
    out["delta"] = out["actual"] - out["expected"]
    total = out["delta"].sum()
    out["share"] = out["delta"] / total if total != 0 else np.nan
    order = np.argsort(-out["delta"].abs().to_numpy(), kind="stable")
    return out.iloc[order].reset_index(drop=True)


def expected_band(daily: pd.DataFrame, by: Sequence[str] | str = (), *, date: str = "date", value: str = "cost",
                  sensitivity: float = 0.5, floor: float = 1.0, rel_floor: float = 0.05,
                  holidays: Iterable = ()) -> pd.DataFrame:
    """Every day of every group with actual, expected, lower, upper and `flagged`: the band to chart.

    Uses the same computation as `detect_anomalies` (same arguments, `holidays` included, give the same flags).
    """
    cols = _as_by(by)
    frame = _validate(daily, cols, date, value, "daily")
    columns = [date, *cols, "actual", "expected", "lower", "upper", "flagged"]
    if len(frame) == 0 or frame[date].nunique() < 2:
        return pd.DataFrame(columns=columns)
    days, keys, y = _matrix(frame, cols, date, value)
    r = run(y, days, _k(sensitivity), floor=floor, rel_floor=rel_floor, holidays=holidays)
    t, s = (a.ravel() for a in np.indices(y.shape))
    out = pd.DataFrame({date: days[t]})
    for c in cols:
        out[c] = keys[c].take(s).reset_index(drop=True)
    for c in ("actual", "expected", "lower", "upper"):
        out[c] = r[c][t, s].astype("float64")
    out["flagged"] = r["flag"][t, s]
    return out[columns]
