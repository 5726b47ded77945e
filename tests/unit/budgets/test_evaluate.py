"""A budget's period on the sample: actual to date to the cent (against pandas), the forecast for the period
end and its interval, the status, the alert thresholds crossed, the burn-down frame and the JSON figures."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analysis.budgets.evaluate import evaluate
from analysis.budgets.model import Alert, Budget
from analysis.budgets.periods import BudgetPeriod
from analysis.query import local_queries

# The sample generated to end on 16 Nov 2026 holds charges through the day before: the data's last day, what
# the Budgets page and `budgets --check` judge by default.
AS_OF = dt.date(2026, 11, 15)
COMPUTE = {"ServiceCategory": "Compute"}


@pytest.fixture(scope="module")
def q(sample_cache):
    q = local_queries(sample_cache)
    assert q.period() == (dt.date(2025, 6, 1), AS_OF)
    return q


def _sum(frame: pd.DataFrame, first: str, last: str, metric: str = "EffectiveCost", **equal: str) -> float:
    """pandas: `metric` summed over charge days first..last (inclusive) on rows with the given column values."""
    days = frame["ChargePeriodStart"].dt.tz_localize(None).dt.normalize()
    rows = (days >= first) & (days <= last)
    for column, value in equal.items():
        rows &= frame[column] == value
    return float(frame.loc[rows, metric].sum())


def _budget(amount: float | None = 500_000, **fields) -> Budget:
    return Budget(**{"name": "Compute", "scope": COMPUTE, "amount": amount, **fields})


@pytest.fixture(scope="module")
def compute(q):
    return evaluate(q, _budget(), AS_OF)


# ----- actual and forecast -------------------------------------------------------------------
def test_actual_is_the_period_to_date_to_the_cent(compute, sample_frame):
    assert compute.period == BudgetPeriod("2026-11", dt.date(2026, 11, 1), dt.date(2026, 12, 1))
    expected = _sum(sample_frame, "2026-11-01", "2026-11-15", ServiceCategory="Compute")
    assert expected > 100_000
    assert round(compute.actual, 2) == round(expected, 2)
    # 16 Nov is past the data: summing through it changes nothing.
    assert round(_sum(sample_frame, "2026-11-01", "2026-11-16", ServiceCategory="Compute"), 2) == round(expected, 2)
    assert compute.as_of == AS_OF and compute.amount == 500_000 and compute.note == ""


def test_the_forecast_adds_the_rest_of_the_period_within_its_interval(compute):
    assert compute.actual < compute.forecast
    assert compute.lower <= compute.forecast <= compute.upper
    assert compute.actual < compute.lower  # 15 more days of positive cost
    # The 15 days left (16-30 Nov) are forecast near the cost of the 15 days so far (a user would notice 2x).
    assert 0.75 < (compute.forecast - compute.actual) / compute.actual < 1.33


def test_a_fiscal_quarter_counts_from_its_first_day(q, sample_frame):
    status = evaluate(q, _budget(period="quarter", fiscal_year_start=4), AS_OF)
    assert status.period == BudgetPeriod("2027-Q3", dt.date(2026, 10, 1), dt.date(2027, 1, 1))
    assert round(status.actual, 2) == round(_sum(sample_frame, "2026-10-01", "2026-11-15",
                                                 ServiceCategory="Compute"), 2)
    assert status.actual < status.lower <= status.forecast <= status.upper


def test_a_fiscal_year_with_planned_amounts(q, sample_frame):
    budget = _budget(None, period="year", fiscal_year_start=4, amounts={"FY2026": 4_000_000, "FY2027": 4_500_000})
    status = evaluate(q, budget, AS_OF)
    assert status.period == BudgetPeriod("FY2027", dt.date(2026, 4, 1), dt.date(2027, 4, 1))
    assert status.amount == 4_500_000
    assert round(status.actual, 2) == round(_sum(sample_frame, "2026-04-01", "2026-11-15",
                                                 ServiceCategory="Compute"), 2)
    assert status.actual < status.lower <= status.forecast <= status.upper
    assert status.burn["day"].iloc[-1] == pd.Timestamp("2027-03-31")


def test_billed_cost_budgets_use_billed_cost(q, sample_frame):
    # Commitment purchases are billed when bought and amortized into usage: billed, they are cost; effective, not.
    # On the last day of October there is no forecast to fit: the period's actual is the whole month.
    scope = {"ServiceCategory": "Compute", "ChargeCategory": "Purchase"}
    billed = evaluate(q, _budget(scope=scope, metric="BilledCost"), dt.date(2026, 10, 31))
    effective = evaluate(q, _budget(scope=scope), dt.date(2026, 10, 31))
    expected = _sum(sample_frame, "2026-10-01", "2026-10-31", "BilledCost", ServiceCategory="Compute",
                    ChargeCategory="Purchase")
    assert expected > 100_000
    assert round(billed.actual, 2) == round(expected, 2) == round(billed.forecast, 2)
    assert effective.actual == 0 and effective.status == "on track" and billed.status == "on track"


def test_on_the_last_day_of_the_period_the_forecast_is_the_actual(q, sample_frame):
    month = evaluate(q, _budget(), dt.date(2026, 10, 31))
    assert month.period.key == "2026-10"
    assert round(month.actual, 2) == round(_sum(sample_frame, "2026-10-01", "2026-10-31",
                                                ServiceCategory="Compute"), 2)
    assert month.forecast == month.lower == month.upper == month.actual
    assert list(month.burn.columns) == ["day", "actual"] and len(month.burn) == 31
    quarter = evaluate(q, _budget(period="quarter", fiscal_year_start=4), dt.date(2026, 9, 30))
    assert quarter.period == BudgetPeriod("2027-Q2", dt.date(2026, 7, 1), dt.date(2026, 10, 1))
    assert round(quarter.actual, 2) == round(_sum(sample_frame, "2026-07-01", "2026-09-30",
                                                  ServiceCategory="Compute"), 2)
    assert quarter.forecast == quarter.lower == quarter.upper == quarter.actual


def test_a_scope_without_cost_is_zero_and_on_track(q):
    budget = Budget(name="Quantum", scope={"ServiceCategory": "Quantum"}, amount=1000,
                    alerts=(Alert(actual=1), Alert(forecast=1)))
    status = evaluate(q, budget, AS_OF)
    assert (status.actual, status.forecast, status.lower, status.upper) == (0, 0, 0, 0)
    assert status.status == "on track" and status.alerts == () and status.used == 0
    assert "no cost in this scope yet" in status.note
    assert status.burn["actual"].fillna(0).eq(0).all() and status.burn["forecast"].fillna(0).eq(0).all()


# ----- status and alerts ---------------------------------------------------------------------
def test_status_follows_the_amount(q, compute):
    actual, forecast, upper = compute.actual, compute.forecast, compute.upper
    over = evaluate(q, _budget(actual * 0.9), AS_OF)
    assert over.status == "over" and over.used == pytest.approx(1 / 0.9)
    assert over.variance == pytest.approx(actual * 0.9 - forecast) and over.variance < 0
    risky = evaluate(q, _budget((actual + forecast) / 2), AS_OF)
    assert risky.status == "at risk" and risky.used < 1 and risky.variance < 0
    fine = evaluate(q, _budget(upper * 1.5), AS_OF)
    assert fine.status == "on track" and fine.variance == pytest.approx(upper * 1.5 - forecast)
    # The figures do not depend on the amount.
    for other in (over, risky, fine):
        assert (other.actual, other.forecast, other.lower, other.upper) == \
            (actual, forecast, compute.lower, upper)


def test_a_planned_amount_is_used_and_a_period_without_one_has_no_status(q, compute):
    planned = evaluate(q, _budget(None, amounts={"2026-11": compute.actual / 2}), AS_OF)
    assert planned.amount == compute.actual / 2 and planned.status == "over"
    overridden = evaluate(q, _budget(1.0, amounts={"2026-11": compute.upper * 2}), AS_OF)
    assert overridden.amount == compute.upper * 2 and overridden.status == "on track"
    none = evaluate(q, _budget(None, amounts={"2026-12": 1.0}, alerts=(Alert(actual=1),)), AS_OF)
    assert none.amount is None and none.status == "no amount" and none.alerts == ()
    assert none.used is None and none.variance is None


ALERTS = (Alert(actual=40), Alert(actual=80), Alert(actual=100), Alert(forecast=100), Alert(forecast=150),
          Alert(forecast=300))


def test_alerts_crossed_follow_the_numbers(q, compute):
    actual, forecast = compute.actual, compute.forecast
    assert 1.6 < forecast / actual < 2.5  # mid-month: about twice the actual (the cases below rely on it)
    status = evaluate(q, _budget(actual / 0.85, alerts=ALERTS), AS_OF)  # actual at 85% of the amount
    assert status.alerts == ("actual 40%", "actual 80%", "forecast 100%", "forecast 150%")
    status = evaluate(q, _budget(actual / 0.45, alerts=ALERTS), AS_OF)  # 45%; the forecast stays under
    assert status.alerts == ("actual 40%",) and status.status == "on track"
    status = evaluate(q, _budget(actual * 0.5, alerts=ALERTS), AS_OF)
    assert status.alerts == ("actual 40%", "actual 80%", "actual 100%", "forecast 100%", "forecast 150%",
                             "forecast 300%")
    for amount in (actual / 0.85, actual / 0.45, actual * 0.5, forecast * 0.99, forecast * 2):
        status = evaluate(q, _budget(amount, alerts=ALERTS), AS_OF)
        values = {"actual": actual, "forecast": forecast}
        assert status.alerts == tuple(str(a) for a in ALERTS if values[a.on] >= amount * a.percent / 100)


def test_a_threshold_reached_to_the_cent_counts(q, compute):
    cents = round(compute.actual, 2)
    reached = evaluate(q, _budget(cents * 1.25, alerts=(Alert(actual=80),)), AS_OF)  # 80% is the actual
    assert reached.alerts == ("actual 80%",)
    short = evaluate(q, _budget(cents * 1.25 + 0.02, alerts=(Alert(actual=80),)), AS_OF)  # 80% is 2 cents more
    assert short.alerts == ()


# ----- burn-down and JSON --------------------------------------------------------------------
def test_the_burn_frame_runs_from_the_period_start_to_its_last_day(compute, sample_frame):
    burn = compute.burn
    actual = burn.dropna(subset=["actual"])
    forecast = burn.dropna(subset=["forecast"])
    assert list(actual["day"]) == list(pd.date_range("2026-11-01", "2026-11-15"))
    assert list(forecast["day"]) == list(pd.date_range("2026-11-15", "2026-11-30"))
    assert round(actual["actual"].iloc[-1], 2) == round(compute.actual, 2)  # a running sum: equal to the cent
    assert forecast["forecast"].iloc[0] == forecast["lower"].iloc[0] == compute.actual
    assert forecast["forecast"].iloc[-1] == compute.forecast
    assert (forecast["lower"].iloc[-1], forecast["upper"].iloc[-1]) == (compute.lower, compute.upper)
    assert (np.diff(forecast["forecast"]) >= 0).all()  # cumulative cost never falls on this scope
    # Each day's cumulative actual equals pandas' running sum, to the cent.
    f = sample_frame[sample_frame["ServiceCategory"] == "Compute"]
    days = f["ChargePeriodStart"].dt.tz_localize(None).dt.normalize()
    daily = f[days >= "2026-11-01"].groupby(days[days >= "2026-11-01"])["EffectiveCost"].sum().cumsum()
    assert list(actual["actual"].round(2)) == list(daily.round(2))


def test_as_json_has_the_figures_rounded_to_cents(compute, q):
    figures = compute.as_json()
    assert list(figures) == ["name", "period", "amount", "actual", "forecast", "forecast_lower",
                             "forecast_upper", "status", "alerts"]
    assert figures["name"] == "Compute" and figures["period"] == "2026-11" and figures["amount"] == 500_000
    for key, value in (("actual", compute.actual), ("forecast", compute.forecast),
                       ("forecast_lower", compute.lower), ("forecast_upper", compute.upper)):
        assert figures[key] == round(value, 2) and round(figures[key] * 100) == figures[key] * 100
    assert figures["status"] == compute.status and figures["alerts"] == list(compute.alerts)
    none = evaluate(q, _budget(None, amounts={"2027-01": 5}, alerts=(Alert(actual=1),)), AS_OF).as_json()
    assert none["amount"] is None and none["status"] == "no amount" and none["alerts"] == []
