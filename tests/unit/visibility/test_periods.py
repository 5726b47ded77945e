"""Named periods, counted back from the last day with data."""

import datetime as dt

import pytest

from analysis.visibility.periods import preset_range

DATA = (dt.date(2025, 6, 1), dt.date(2026, 11, 29))


@pytest.mark.parametrize(("name", "start", "end"), [
    ("Month to date", dt.date(2026, 11, 1), dt.date(2026, 11, 29)),
    ("Last month", dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
    ("Quarter to date", dt.date(2026, 10, 1), dt.date(2026, 11, 29)),
    ("Year to date", dt.date(2026, 1, 1), dt.date(2026, 11, 29)),
    ("Last 30 days", dt.date(2026, 10, 31), dt.date(2026, 11, 29)),
    ("Last 90 days", dt.date(2026, 9, 1), dt.date(2026, 11, 29)),
])
def test_presets_count_back_from_the_last_day_with_data(name, start, end):
    assert preset_range(name, DATA) == (start, end)


def test_a_preset_reaching_before_the_data_starts_at_its_first_day():
    assert preset_range("Year to date", (dt.date(2026, 3, 15), dt.date(2026, 11, 29)))[0] == dt.date(2026, 3, 15)
    with pytest.raises(ValueError, match="Unknown period 'Fortnight'"):
        preset_range("Fortnight", DATA)
