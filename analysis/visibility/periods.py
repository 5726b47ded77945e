"""Named date ranges relative to the last day with data: month to date, last month, quarter and year to
date, the last 30 or 90 days. Ranges are inclusive of both days and kept within the data."""

from __future__ import annotations

import datetime as dt

PRESETS: tuple[str, ...] = ("Month to date", "Last month", "Quarter to date", "Year to date", "Last 30 days",
                            "Last 90 days")


def preset_range(name: str, period: tuple[dt.date, dt.date]) -> tuple[dt.date, dt.date]:
    """The first and last day of the preset `name`, for data from `period[0]` to `period[1]`."""
    first, last = period
    if name == "Month to date":
        start, end = last.replace(day=1), last
    elif name == "Last month":
        end = last.replace(day=1) - dt.timedelta(days=1)
        start = end.replace(day=1)
    elif name == "Quarter to date":
        start, end = last.replace(month=3 * ((last.month - 1) // 3) + 1, day=1), last
    elif name == "Year to date":
        start, end = last.replace(month=1, day=1), last
    elif name in ("Last 30 days", "Last 90 days"):
        start, end = last - dt.timedelta(days=int(name.split()[1]) - 1), last
    else:
        raise ValueError(f"Unknown period {name!r}; use one of {', '.join(PRESETS)}.")
    return max(start, first), max(min(end, last), first)
