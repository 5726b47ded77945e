"""A budget's current period against actual and forecast spend.

The forecast for the period end is the actual to date plus the forecast of the scope's daily cost for
the rest of the period: the Forecast page's model (`analysis.forecast.fitted`) fitted on the scope's own
daily history up to the as-of day. Its interval is the central `level` interval of that total, from the
model's simulated paths (so it is narrower than adding up daily bounds).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.budgets.model import Budget
from analysis.budgets.periods import BudgetPeriod
from analysis.forecast import fitted
from analysis.forecast.report import scope_daily
from analysis.query import CostQueries

STATUSES = ("over", "at risk", "on track", "no amount")


@dataclass(frozen=True)
class BudgetStatus:
    """Where a budget stands on `as_of` in the period holding it."""

    budget: Budget
    as_of: dt.date
    period: BudgetPeriod
    amount: float | None
    actual: float
    forecast: float
    lower: float
    upper: float
    status: str
    alerts: tuple[str, ...]
    burn: pd.DataFrame = field(repr=False)  # day, actual (cumulative), forecast, lower, upper (cumulative)
    note: str = ""

    @property
    def used(self) -> float | None:
        """Actual to date as a share of the amount (None without an amount, inf for an amount of 0)."""
        if self.amount is None:
            return None
        return self.actual / self.amount if self.amount else (np.inf if self.actual > 0 else 0.0)

    @property
    def variance(self) -> float | None:
        """Amount minus the forecast for the period end: negative when the forecast overruns."""
        return None if self.amount is None else self.amount - self.forecast

    def as_json(self) -> dict:
        """The figures a scheduled check prints (money rounded to the cent)."""
        def cents(value: float | None) -> float | None:
            return None if value is None else round(value, 2)

        return {"name": self.budget.name, "period": self.period.key, "amount": cents(self.amount),
                "actual": cents(self.actual), "forecast": cents(self.forecast),
                "forecast_lower": cents(self.lower), "forecast_upper": cents(self.upper),
                "status": self.status, "alerts": list(self.alerts)}


def evaluate(q: CostQueries, budget: Budget, as_of: dt.date, level: float = 0.8,
             currency: str | None = None) -> BudgetStatus:
    """`budget` on `as_of` (inclusive) in the period holding it: actual to date, forecast for the period
    end with its interval, status (over, at risk, on track, or no amount for this period) and the alert
    thresholds crossed."""
    period = budget.period_at(as_of)
    daily = scope_daily(q, budget.scope, budget.metric, as_of, currency)
    in_period = daily[daily.index >= pd.Timestamp(period.start)]
    actual = float(in_period.sum())
    ahead = (period.end - as_of).days - 1
    burn = pd.DataFrame({"day": in_period.index, "actual": in_period.cumsum().to_numpy()})
    forecast = lower = upper = actual
    note = ""
    if ahead > 0:
        try:
            if not (daily.to_numpy() != 0).any():
                raise ValueError("no cost in this scope yet: the forecast is zero")
            cumulative = fitted(daily, level).cumulative(ahead)
        except ValueError as error:
            note = f"No forecast ({error}); the forecast shown is the actual to date."
            cumulative = pd.DataFrame({"forecast": 0.0, "lower": 0.0, "upper": 0.0},
                                      index=pd.date_range(as_of + dt.timedelta(days=1), periods=ahead))
        cumulative = actual + cumulative
        forecast, lower, upper = (float(cumulative[c].iloc[-1]) for c in ("forecast", "lower", "upper"))
        start = pd.DataFrame({"day": [pd.Timestamp(as_of)], "forecast": [actual], "lower": [actual],
                              "upper": [actual]})
        burn = pd.concat([burn, start, cumulative.rename_axis("day").reset_index()], ignore_index=True)
    amount = budget.amount_for(period)
    return BudgetStatus(budget, as_of, period, amount, actual, forecast, lower, upper,
                        _status(amount, actual, forecast), _crossed(budget, amount, actual, forecast), burn, note)


def _status(amount: float | None, actual: float, forecast: float) -> str:
    if amount is None:
        return "no amount"
    if actual > amount:
        return "over"
    return "at risk" if forecast > amount else "on track"


def _crossed(budget: Budget, amount: float | None, actual: float, forecast: float) -> tuple[str, ...]:
    """The alert thresholds reached: `actual 80%` when actual to date is at least 80% of the amount."""
    if amount is None:
        return ()
    values = {"actual": actual, "forecast": forecast}
    return tuple(str(a) for a in budget.alerts
                 if values[a.on] > 0 and round(values[a.on], 2) >= round(amount * a.percent / 100, 2))
