"""A proposed amount: the mean of the last complete months before the as-of month plus growth, per period
(against pandas over the sample)."""

import datetime as dt

import pandas as pd
import pytest

from analysis.budgets.propose import propose_amount
from analysis.query import local_queries
from analysis.scope import parse_scope

AS_OF = dt.date(2026, 11, 15)
COMPUTE = parse_scope("ServiceCategory=Compute")


@pytest.fixture(scope="module")
def q(sample_cache):
    return local_queries(sample_cache)


def _monthly(frame: pd.DataFrame, metric: str = "EffectiveCost", **equal: str) -> pd.Series:
    """pandas: `metric` per calendar month (index: '2026-10') on rows with the given column values."""
    rows = pd.Series(True, index=frame.index)
    for column, value in equal.items():
        rows &= frame[column] == value
    months = frame["ChargePeriodStart"].dt.tz_localize(None).dt.strftime("%Y-%m")
    return frame.loc[rows, metric].groupby(months[rows]).sum()


def test_three_months_plus_ten_percent(q, sample_frame):
    monthly = _monthly(sample_frame, ServiceCategory="Compute")
    mean = monthly[["2026-08", "2026-09", "2026-10"]].mean()  # November is not complete on 15 Nov
    amount, used = propose_amount(q, COMPUTE, "EffectiveCost", "month", AS_OF, months=3, growth=10)
    assert amount == round(mean * 1.1) and amount > 300_000
    assert list(used["month"]) == list(pd.to_datetime(["2026-08-01", "2026-09-01", "2026-10-01"]))
    assert list(used["cost"].round(2)) == list(monthly[["2026-08", "2026-09", "2026-10"]].round(2))
    quarter, _ = propose_amount(q, COMPUTE, "EffectiveCost", "quarter", AS_OF, months=3, growth=10)
    assert quarter == round(mean * 1.1 * 3)
    year, _ = propose_amount(q, COMPUTE, "EffectiveCost", "year", AS_OF, months=3, growth=10)
    assert year == round(mean * 1.1 * 12)


def test_other_metrics_scopes_and_growth(q, sample_frame):
    billed = _monthly(sample_frame, "BilledCost", ProviderName="AWS")
    amount, _ = propose_amount(q, parse_scope("ProviderName=AWS"), "BilledCost", "month", AS_OF, months=6,
                               growth=-5)
    assert amount == round(billed[["2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]].mean() * 0.95)
    whole = _monthly(sample_frame)
    amount, used = propose_amount(q, (), "EffectiveCost", "month", dt.date(2026, 11, 1), months=1)
    assert amount == round(whole["2026-10"]) and len(used) == 1  # on the 1st, the month before is complete


def test_history_shorter_than_asked_averages_the_complete_months_there_are(q, sample_frame):
    monthly = _monthly(sample_frame, ServiceCategory="Compute")
    amount, used = propose_amount(q, COMPUTE, "EffectiveCost", "month", dt.date(2025, 8, 10), months=12)
    assert list(used["month"]) == list(pd.to_datetime(["2025-06-01", "2025-07-01"]))  # the data starts 1 Jun 2025
    assert amount == round(monthly[["2025-06", "2025-07"]].mean())


def test_months_without_cost_count_as_zero(q):
    amount, used = propose_amount(q, parse_scope("ServiceCategory=Quantum"), "EffectiveCost", "month", AS_OF)
    assert amount == 0 and list(used["cost"]) == [0.0, 0.0, 0.0]


def test_no_complete_month_is_an_error(q, tmp_path):
    from analysis.store.cache import FocusCache

    with pytest.raises(ValueError, match="there is no complete month of history before this month to propose from"):
        propose_amount(local_queries(FocusCache(tmp_path / "empty")), (), "EffectiveCost", "month", AS_OF)
    with pytest.raises(ValueError, match="there is no complete month of history before this month to propose from"):
        propose_amount(q, COMPUTE, "EffectiveCost", "month", dt.date(2025, 6, 20))
    with pytest.raises(ValueError, match="months must be from 1 to 24, got 0"):
        propose_amount(q, COMPUTE, "EffectiveCost", "month", AS_OF, months=0)
    with pytest.raises(ValueError, match="months must be from 1 to 24, got 25"):
        propose_amount(q, COMPUTE, "EffectiveCost", "month", AS_OF, months=25)
