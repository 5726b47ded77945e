"""Anomaly monitors over the query layer: scan a level (total, provider, service, tag...) for events,
and explain one day by service, sub-account and region. Both judge holidays by the workspace's holiday
calendar (`analysis.anomalies.holidays`, the `holidays:` section of alerts.yaml) unless given one."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from analysis.anomalies import detect_anomalies, expected_band, explain_anomaly, group_events
from analysis.anomalies.holidays import HolidaySettings, load_holiday_settings
from analysis.query import CostQueries, Filters
from analysis.store.workspace import workspace_folder

ROOT_CAUSE_DIMS = ("ServiceName", "SubAccountName", "RegionId")
BASELINE_DAYS = 28


def _holidays(settings: HolidaySettings | None, first, last) -> list[dt.date]:
    """The calendar's days from `first` to `last` (None: the workspace's settings; HolidayError if invalid)."""
    settings = load_holiday_settings(workspace_folder()) if settings is None else settings
    return settings.days(first, last)


def _history(filters: Filters, usage_only: bool) -> Filters:
    """Baselines need the history before the shown range: keep the end, drop the start."""
    base = filters.between(None, filters.end)
    return base.with_values("ChargeCategory", ["Usage"]) if usage_only else base


def _daily(q: CostQueries, filters: Filters, metric: str, by: tuple[str, ...]) -> pd.DataFrame:
    frame = q.series(filters, metric, "day", by)
    return frame.rename(columns={"period": "date"})


def scan(q: CostQueries, filters: Filters, metric: str = "EffectiveCost", by: tuple[str, ...] = (),
         sensitivity: float = 0.5, min_impact: float = 0.0, min_impact_pct: float = 0.0,
         usage_only: bool = True, holidays: HolidaySettings | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Events (by…, start, end, days, impact, score, kind, peak_day), largest impact first, and the
    daily band of every group (for charts)."""
    daily = _daily(q, _history(filters, usage_only), metric, by)
    days = _holidays(holidays, daily["date"].min(), daily["date"].max()) if len(daily) else []
    found = detect_anomalies(daily, by, sensitivity=sensitivity, min_impact=min_impact,
                             min_impact_pct=min_impact_pct, holidays=days)
    band = expected_band(daily, by, sensitivity=sensitivity, holidays=days)
    if found.empty:
        return pd.DataFrame(columns=[*by, "start", "end", "days", "impact", "score", "kind", "peak_day"]), band
    events = group_events(found, by)
    events["peak_day"] = [_peak(found, by, row) for _, row in events.iterrows()]  # each event's own largest day
    order = events["impact"].abs().sort_values(ascending=False).index
    return events.loc[order].reset_index(drop=True), band


def _peak(found: pd.DataFrame, by: tuple[str, ...], event: pd.Series) -> pd.Timestamp:
    rows = found[(found["date"] >= event["start"]) & (found["date"] <= event["end"])]
    for column in by:
        rows = rows[rows[column] == event[column]]
    return rows.loc[rows["impact"].abs().idxmax(), "date"] if len(rows) else event["start"]


def root_cause(q: CostQueries, filters: Filters, metric: str, by: tuple[str, ...], group: str | None,
               day: dt.date, usage_only: bool = True, dims: tuple[str, ...] = ROOT_CAUSE_DIMS,
               baseline_days: int = BASELINE_DAYS, holidays: HolidaySettings | None = None) -> pd.DataFrame:
    """Contributors (combinations of `dims`: service, sub-account, region, resource, tag...) to one
    group's deviation on `day`, largest absolute delta first."""
    scope = _history(filters, usage_only)
    if by and group is not None:
        scope = scope.with_values(by[0], [group])
    day = pd.Timestamp(day).date()
    scope = scope.between(day - dt.timedelta(days=baseline_days + 7), day + dt.timedelta(days=1))
    detail = _daily(q, scope, metric, dims)
    if detail.empty:
        return pd.DataFrame(columns=[*dims, "actual", "expected", "delta", "share"])
    return explain_anomaly(detail, pd.Timestamp(day), list(dims), baseline_days=baseline_days,
                           holidays=_holidays(holidays, detail["date"].min(), detail["date"].max()))
