import datetime as dt

from analysis.visibility.overview import daily_rate_window, month_windows


def test_month_windows_compare_the_same_days():
    (start, end), (p_start, p_end) = month_windows(dt.date(2026, 3, 10))
    assert (start, end) == (dt.date(2026, 3, 1), dt.date(2026, 3, 11))
    assert (p_start, p_end) == (dt.date(2026, 2, 1), dt.date(2026, 2, 11))


def test_month_windows_clip_to_a_shorter_previous_month():
    _, (p_start, p_end) = month_windows(dt.date(2026, 3, 31))
    assert (p_start, p_end) == (dt.date(2026, 2, 1), dt.date(2026, 3, 1))


def test_rate_window_skips_first_of_month():
    window = daily_rate_window(dt.date(2026, 3, 3), days=5)
    assert dt.date(2026, 3, 1) not in window
    assert window == [dt.date(2026, 3, 3), dt.date(2026, 3, 2), dt.date(2026, 2, 28), dt.date(2026, 2, 27),
                      dt.date(2026, 2, 26)]
