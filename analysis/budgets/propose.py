"""A budget amount proposed from history: the average of the last N complete months plus a growth percent
(as AWS's auto-adjusting budgets do), times the months in the period."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from analysis.budgets.periods import MONTHS_IN, PeriodKind, period_of
from analysis.query import CostQueries, Filters
from analysis.scope import Scope, scoped


def propose_amount(q: CostQueries, scope: Scope, metric: str, period: PeriodKind, as_of: dt.date,
                   months: int = 3, growth: float = 0.0, currency: str | None = None) -> tuple[float, pd.DataFrame]:
    """The proposed amount per period (whole currency units) and the months it averages (month, cost):
    the `months` complete months before the month holding `as_of`. ValueError when there are none."""
    if not 1 <= months <= 24:
        raise ValueError(f"months must be from 1 to 24, got {months}")
    end = period_of(as_of, "month").start
    start = (pd.Timestamp(end) - pd.DateOffset(months=months)).date()
    first = q.period()
    if first is None or first[0] >= end:
        raise ValueError("there is no complete month of history before this month to propose from")
    start = max(start, period_of(first[0], "month").start if first[0].day == 1 else period_of(first[0], "month").end)
    frame = q.series(scoped(Filters(start=start, end=end, currency=currency), scope), metric, "month")
    used = pd.DataFrame({"month": pd.date_range(start, end, freq="MS", inclusive="left")})
    used = used.merge(frame.rename(columns={"period": "month"}), on="month", how="left").fillna({"cost": 0.0})
    if used.empty:
        raise ValueError("there is no complete month of history before this month to propose from")
    amount = float(used["cost"].mean()) * (1 + growth / 100) * MONTHS_IN[period]
    return round(amount), used
