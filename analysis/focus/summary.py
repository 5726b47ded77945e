"""Summaries of FOCUS frames being ingested: rows, providers, currencies, period, totals."""

from __future__ import annotations

import pandas as pd

from analysis.dimensions import METRICS


def frame_summary(frame: pd.DataFrame) -> dict:
    """Rows, providers, currencies, period (first day, exclusive end) and per-currency totals."""
    if frame.empty:
        return {"rows": 0, "providers": [], "currencies": [], "period": None, "totals": {}}
    starts = frame["ChargePeriodStart"]
    ends = frame.get("ChargePeriodEnd", starts)
    ends = ends.fillna(starts)
    currency = frame["BillingCurrency"].astype("string").fillna("(none)")
    sums = frame.groupby(currency)[[m for m in METRICS if m in frame]].sum(min_count=1)
    return {
        "rows": len(frame),
        "providers": _distinct(frame, "ProviderName"),
        "currencies": sorted(currency.unique().tolist()),
        "period": [starts.min().date().isoformat(), _exclusive_end(ends.max()).isoformat()],
        "totals": {
            str(cur): {m: round(float(row[m]), 6) if m in row and pd.notna(row[m]) else 0.0 for m in METRICS}
            for cur, row in sums.iterrows()
        },
    }


def merge_summaries(summaries: list[dict]) -> dict:
    """Combine per-file summaries into one (totals added per currency, never across)."""
    rows = sum(s["rows"] for s in summaries)
    periods = [s["period"] for s in summaries if s["period"]]
    totals: dict[str, dict[str, float]] = {}
    for s in summaries:
        for cur, metrics in s["totals"].items():
            acc = totals.setdefault(cur, dict.fromkeys(METRICS, 0.0))
            for m in METRICS:
                acc[m] = round(acc[m] + metrics.get(m, 0.0), 6)
    return {
        "rows": rows,
        "providers": sorted({p for s in summaries for p in s["providers"]}),
        "currencies": sorted({c for s in summaries for c in s["currencies"]}),
        "period": [min(p[0] for p in periods), max(p[1] for p in periods)] if periods else None,
        "totals": totals,
    }


def _distinct(frame: pd.DataFrame, column: str) -> list[str]:
    if column not in frame:
        return []
    return sorted(str(v) for v in frame[column].dropna().unique())


def _exclusive_end(ts: pd.Timestamp):
    """A period end as a date, exclusive: midnight stays, a time inside a day rounds up."""
    day = ts.normalize()
    return (day if ts == day else day + pd.Timedelta(days=1)).date()
