"""Overview figures: month to date, run-rate, 30-day comparison and top movers."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

import pandas as pd

from analysis.query import CostQueries, Filters

DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Kpis:
    """Headline figures as of the last day with data (`as_of`, inclusive)."""

    as_of: dt.date
    month_to_date: float
    same_days_last_month: float
    month_end_run_rate: float
    last_30_days: float
    previous_30_days: float

    @property
    def month_change(self) -> float | None:
        """Relative change of month to date vs the same days last month (None when undefined)."""
        return _change(self.month_to_date, self.same_days_last_month)

    @property
    def change_30_days(self) -> float | None:
        return _change(self.last_30_days, self.previous_30_days)


def _change(current: float, previous: float) -> float | None:
    return (current - previous) / abs(previous) if previous else None


def month_windows(as_of: dt.date) -> tuple[tuple[dt.date, dt.date], tuple[dt.date, dt.date]]:
    """[start, end) of this month to date and of the same days of the previous month."""
    start = as_of.replace(day=1)
    prev_start = (start - DAY).replace(day=1)
    prev_days = calendar.monthrange(prev_start.year, prev_start.month)[1]
    prev_end = prev_start + dt.timedelta(days=min(as_of.day, prev_days))
    return (start, as_of + DAY), (prev_start, prev_end)


def kpis(q: CostQueries, filters: Filters, metric: str = "EffectiveCost", as_of: dt.date | None = None) -> Kpis | None:
    """KPIs for the filtered data; the filters' date range is ignored (KPIs set their own)."""
    period = q.period()
    if period is None:
        return None
    as_of = as_of or period[1]
    base = filters.between(None, None)
    (m_start, m_end), (p_start, p_end) = month_windows(as_of)
    mtd = q.total(base.between(m_start, m_end), metric)
    days_in_month = calendar.monthrange(as_of.year, as_of.month)[1]
    remaining = days_in_month - as_of.day
    return Kpis(
        as_of=as_of,
        month_to_date=mtd,
        same_days_last_month=q.total(base.between(p_start, p_end), metric),
        month_end_run_rate=mtd + remaining * daily_usage_rate(q, base, metric, as_of),
        last_30_days=q.total(base.between(as_of - 29 * DAY, as_of + DAY), metric),
        previous_30_days=q.total(base.between(as_of - 59 * DAY, as_of - 29 * DAY), metric),
    )


def daily_rate_window(as_of: dt.date, days: int = 7) -> list[dt.date]:
    """The last `days` days up to `as_of`, skipping first-of-month days (recurring charges land there)."""
    out, day = [], as_of
    while len(out) < days:
        if day.day != 1:
            out.append(day)
        day -= DAY
    return out


def daily_usage_rate(q: CostQueries, filters: Filters, metric: str, as_of: dt.date, days: int = 7) -> float:
    """Mean daily cost over the recent window, excluding month-start recurring charges."""
    window = daily_rate_window(as_of, days)
    daily = q.series(filters.between(min(window), as_of + DAY), metric, "day")
    kept = daily[daily["period"].dt.date.isin(window)]["cost"]
    return float(kept.sum()) / days


def top_movers(
    q: CostQueries, filters: Filters, metric: str = "EffectiveCost", by: str = "ServiceName",
    as_of: dt.date | None = None, days: int = 30, n: int = 5,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Largest increases and decreases of `by` values: last `days` days vs the `days` before."""
    period = q.period()
    empty = pd.DataFrame(columns=[by, "current", "previous", "change", "change_pct"])
    if period is None:
        return empty, empty
    as_of = as_of or period[1]
    base = filters.between(None, None)
    end, mid, start = as_of + DAY, as_of + DAY - days * DAY, as_of + DAY - 2 * days * DAY
    current = q.breakdown(base.between(mid, end), (by,), metric).set_index(by)["cost"]
    previous = q.breakdown(base.between(start, mid), (by,), metric).set_index(by)["cost"]
    frame = pd.DataFrame({"current": current, "previous": previous}).fillna(0.0)
    frame["change"] = frame["current"] - frame["previous"]
    frame["change_pct"] = frame["change"] / frame["previous"].where(frame["previous"] != 0)
    frame = frame.rename_axis(by).reset_index()
    increases = frame[frame["change"] > 0].nlargest(n, "change").reset_index(drop=True)
    decreases = frame[frame["change"] < 0].nsmallest(n, "change").reset_index(drop=True)
    return increases, decreases
