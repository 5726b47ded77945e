"""Budget periods: months, fiscal quarters and fiscal years, named after the year they end in, and their keys."""

import datetime as dt

import pytest

from analysis.budgets.periods import BudgetPeriod, period_of, period_of_key

D = dt.date


@pytest.mark.parametrize(("day", "kind", "start_month", "expected"), [
    (D(2026, 11, 29), "month", 1, BudgetPeriod("2026-11", D(2026, 11, 1), D(2026, 12, 1))),
    (D(2026, 11, 29), "month", 4, BudgetPeriod("2026-11", D(2026, 11, 1), D(2026, 12, 1))),  # months ignore it
    (D(2026, 12, 31), "month", 1, BudgetPeriod("2026-12", D(2026, 12, 1), D(2027, 1, 1))),
    (D(2026, 11, 29), "quarter", 1, BudgetPeriod("2026-Q4", D(2026, 10, 1), D(2027, 1, 1))),
    (D(2026, 1, 1), "quarter", 1, BudgetPeriod("2026-Q1", D(2026, 1, 1), D(2026, 4, 1))),
    (D(2026, 11, 29), "quarter", 4, BudgetPeriod("2027-Q3", D(2026, 10, 1), D(2027, 1, 1))),
    (D(2026, 4, 1), "quarter", 4, BudgetPeriod("2027-Q1", D(2026, 4, 1), D(2026, 7, 1))),
    (D(2026, 3, 31), "quarter", 4, BudgetPeriod("2026-Q4", D(2026, 1, 1), D(2026, 4, 1))),
    (D(2026, 2, 15), "quarter", 2, BudgetPeriod("2027-Q1", D(2026, 2, 1), D(2026, 5, 1))),
    (D(2026, 11, 29), "year", 1, BudgetPeriod("FY2026", D(2026, 1, 1), D(2027, 1, 1))),
    (D(2026, 11, 29), "year", 4, BudgetPeriod("FY2027", D(2026, 4, 1), D(2027, 4, 1))),
    (D(2026, 3, 31), "year", 4, BudgetPeriod("FY2026", D(2025, 4, 1), D(2026, 4, 1))),
    (D(2026, 7, 1), "year", 7, BudgetPeriod("FY2027", D(2026, 7, 1), D(2027, 7, 1))),
    (D(2026, 6, 30), "year", 7, BudgetPeriod("FY2026", D(2025, 7, 1), D(2026, 7, 1))),
    (D(2026, 12, 31), "year", 12, BudgetPeriod("FY2027", D(2026, 12, 1), D(2027, 12, 1))),
])
def test_period_of(day, kind, start_month, expected):
    assert period_of(day, kind, start_month) == expected


def test_days_in_a_period():
    assert period_of(D(2026, 2, 10), "month").days == 28
    assert period_of(D(2028, 2, 10), "month").days == 29
    assert period_of(D(2026, 11, 29), "quarter", 4).days == 92  # Oct, Nov, Dec
    assert period_of(D(2026, 11, 29), "year", 4).days == 365
    assert period_of(D(2027, 11, 29), "year", 4).days == 366  # FY2028 holds 29 Feb 2028


@pytest.mark.parametrize("kind", ["month", "quarter", "year"])
def test_key_and_period_are_inverse_for_every_day_and_start_month(kind):
    day, seen = D(2026, 1, 1), 0
    while day.year == 2026:
        for start_month in range(1, 13):
            period = period_of(day, kind, start_month)
            assert period.start <= day < period.end
            assert period_of_key(period.key, kind, start_month) == period, (day, start_month)
            # The first and last day of the period are in the same period.
            assert period_of(period.start, kind, start_month) == period
            assert period_of(period.end - dt.timedelta(days=1), kind, start_month) == period
            # The period after it starts where it ends: no gap, no overlap.
            assert period_of(period.end, kind, start_month).start == period.end
            seen += 1
        day += dt.timedelta(days=1)
    assert seen == 365 * 12


def test_fiscal_year_is_named_after_the_year_it_ends_in():
    assert period_of_key("FY2027", "year", 4) == BudgetPeriod("FY2027", D(2026, 4, 1), D(2027, 4, 1))
    assert period_of_key("FY2027", "year", 1) == BudgetPeriod("FY2027", D(2027, 1, 1), D(2028, 1, 1))
    assert period_of_key("2027-Q1", "quarter", 4) == BudgetPeriod("2027-Q1", D(2026, 4, 1), D(2026, 7, 1))
    assert period_of_key("2027-Q4", "quarter", 4) == BudgetPeriod("2027-Q4", D(2027, 1, 1), D(2027, 4, 1))
    assert period_of_key("2027-Q1", "quarter", 1) == BudgetPeriod("2027-Q1", D(2027, 1, 1), D(2027, 4, 1))
    assert period_of_key(" 2027-01 ", "month") == BudgetPeriod("2027-01", D(2027, 1, 1), D(2027, 2, 1))


@pytest.mark.parametrize(("key", "kind", "form"), [
    ("2027-Q1", "month", "YYYY-MM (e.g. 2027-01)"),
    ("2027-13", "month", "YYYY-MM (e.g. 2027-01)"),
    ("2027-00", "month", "YYYY-MM (e.g. 2027-01)"),
    ("2027-1", "month", "YYYY-MM (e.g. 2027-01)"),
    ("2027-01-01", "month", "YYYY-MM (e.g. 2027-01)"),
    ("2027-01", "quarter", "YYYY-Qn (e.g. 2027-Q1)"),
    ("2027-Q5", "quarter", "YYYY-Qn (e.g. 2027-Q1)"),
    ("Q1 2027", "quarter", "YYYY-Qn (e.g. 2027-Q1)"),
    ("FY27", "year", "FYYYYY (e.g. FY2027)"),
    ("2027", "year", "FYYYYY (e.g. FY2027)"),
    ("FY2027-Q1", "year", "FYYYYY (e.g. FY2027)"),
])
def test_bad_keys_are_rejected_naming_the_key_and_the_form(key, kind, form):
    with pytest.raises(ValueError) as error:
        period_of_key(key, kind, 4)
    assert str(error.value) == f"period key {key!r} does not name a {kind}: write {form}"
