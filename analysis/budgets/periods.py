"""Budget periods: months, fiscal quarters and fiscal years, and their keys (`2027-01`, `2027-Q1`, `FY2027`).

A fiscal year is named after the calendar year it ends in (FY2027 with an April start runs from
1 Apr 2026 to 31 Mar 2027); `2027-Q1` is the first quarter of FY2027. With a January start these are
calendar quarters and years.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

PeriodKind = Literal["month", "quarter", "year"]
MONTHS_IN: dict[str, int] = {"month": 1, "quarter": 3, "year": 12}
KEY_FORMS: dict[str, str] = {"month": "YYYY-MM (e.g. 2027-01)", "quarter": "YYYY-Qn (e.g. 2027-Q1)",
                             "year": "FYYYYY (e.g. FY2027)"}


@dataclass(frozen=True)
class BudgetPeriod:
    """One budget period: its key, first day and end (exclusive)."""

    key: str
    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def period_of(day: dt.date, kind: PeriodKind, fiscal_year_start: int = 1) -> BudgetPeriod:
    """The period of `kind` holding `day`."""
    month = day.replace(day=1)
    if kind == "month":
        return BudgetPeriod(f"{month:%Y-%m}", month, _add_months(month, 1))
    offset = (day.month - fiscal_year_start) % 12
    year_start = _add_months(month, -offset)
    fiscal_year = _add_months(year_start, 11).year
    if kind == "year":
        return BudgetPeriod(f"FY{fiscal_year}", year_start, _add_months(year_start, 12))
    quarter = offset // 3
    start = _add_months(year_start, 3 * quarter)
    return BudgetPeriod(f"{fiscal_year}-Q{quarter + 1}", start, _add_months(start, 3))


_FORMS = {"month": re.compile(r"(\d{4})-(\d{2})"), "quarter": re.compile(r"(\d{4})-Q([1-4])"),
          "year": re.compile(r"FY(\d{4})")}


def period_of_key(key: str, kind: PeriodKind, fiscal_year_start: int = 1) -> BudgetPeriod:
    """The period a key names; ValueError when the key does not fit `kind` (a quarter key on a monthly
    budget, a 13th month)."""
    found = _FORMS[kind].fullmatch(str(key).strip())
    if not found or (kind == "month" and not 1 <= int(found.group(2)) <= 12):
        raise ValueError(f"period key {key!r} does not name a {kind}: write {KEY_FORMS[kind]}")
    year = int(found.group(1))
    if kind == "month":
        return period_of(dt.date(year, int(found.group(2)), 1), "month")
    # The fiscal year named `year` ends in `year`: its last month is the one before the start month.
    last_month = dt.date(year, (fiscal_year_start - 2) % 12 + 1, 1)
    year_start = _add_months(last_month, -11)
    if kind == "year":
        return period_of(year_start, "year", fiscal_year_start)
    return period_of(_add_months(year_start, 3 * (int(found.group(2)) - 1)), "quarter", fiscal_year_start)
