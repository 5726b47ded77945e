"""Billing patterns a real bill has and the detector must not alarm on (holiday dips, month-start charges that
follow usage, steady growth), with real events inside each still found; the holiday settings."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analysis.anomalies import detect_anomalies, group_events
from analysis.anomalies.holidays import HolidayError, HolidaySettings, load_holiday_settings

START = pd.Timestamp("2025-06-01")
DAYS = 300  # to 2026-03-27: one year-end


def usage(level: float = 1000.0, *, seed: int = 0, yearly: float = 0.0, noise: float = 0.03,
          name: str = "svc") -> pd.DataFrame:
    """Daily usage with a weekend rhythm, growth of `yearly` a year and multiplicative noise."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range(START, periods=DAYS, freq="D")
    t = np.arange(DAYS)
    cost = level * np.exp(np.log1p(yearly) / 365 * t) * np.where(dates.day_of_week >= 5, 0.7, 1.0)
    return pd.DataFrame({"date": dates, "service": name, "cost": cost * np.exp(rng.normal(0, noise, DAYS))})


def year_end_dip(frame: pd.DataFrame) -> pd.DataFrame:
    """18 Dec to 4 Jan: 15 % less, 22 % less on 24-26 Dec and 31 Dec-1 Jan (not the calendar's 20 Dec-3 Jan)."""
    d = frame["date"]
    inside = (d >= "2025-12-18") & (d <= "2026-01-04")
    deep = d.isin(pd.to_datetime(["2025-12-24", "2025-12-25", "2025-12-26", "2025-12-31", "2026-01-01"]))
    return frame.assign(cost=frame["cost"] * np.where(deep, 0.78, np.where(inside, 0.85, 1.0)))


def calendar() -> list[dt.date]:
    return HolidaySettings().days(START, START + pd.Timedelta(days=DAYS))


def by_day(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.groupby("date", as_index=False)["cost"].sum().assign(service="all")


def test_a_clean_year_end_dip_is_no_anomaly_with_the_calendar():
    s = year_end_dip(usage(seed=1))
    assert len(detect_anomalies(s, "service"))  # without a calendar the dip alarms
    assert detect_anomalies(s, "service", holidays=calendar()).empty


def test_christmas_days_deeper_than_the_holidays_before_them_are_holiday_behaviour_not_a_drop():
    s = usage(seed=6, yearly=0.6, noise=0.015)
    d = s["date"]
    s["cost"] *= np.where((d >= "2025-12-20") & (d <= "2026-01-03"), 0.95, 1.0)  # a shallow dip to start
    eve = d.isin(pd.to_datetime(["2025-12-24", "2025-12-25"]))
    deeper = s.assign(cost=s["cost"] * np.where(eve, 0.83 / 0.95, 1.0))  # 17 % down at the peak (the band on 15 %)
    assert detect_anomalies(deeper, "service", holidays=calendar()).empty
    gone = s.assign(cost=s["cost"] * np.where(eve, 0.45 / 0.95, 1.0))  # 55 % down: more than a holiday
    found = group_events(detect_anomalies(gone, "service", holidays=calendar()), "service")
    assert [(e.start, e.kind) for e in found.itertuples()] == [(pd.Timestamp("2025-12-24"), "drop")]


def test_an_outage_and_a_spike_inside_the_holidays_are_still_found():
    main, other = year_end_dip(usage(600.0, seed=2)), year_end_dip(usage(400.0, seed=3, name="other"))
    main.loc[main["date"].isin(pd.to_datetime(["2025-12-29", "2025-12-30"])), "cost"] = 0.0  # outage
    other.loc[other["date"] == "2025-12-23", "cost"] += 900.0  # a spike
    found = group_events(detect_anomalies(by_day(pd.concat([main, other])), "service", holidays=calendar()),
                         "service")
    assert [(e.start, e.kind) for e in found.sort_values("start").itertuples()] == [
        (pd.Timestamp("2025-12-23"), "spike"), (pd.Timestamp("2025-12-29"), "drop")]


def month_start_share(frame: pd.DataFrame, share: float = 0.1) -> pd.DataFrame:
    """A support plan billed on the 1st: `share` of the previous month's usage."""
    month = frame["date"].dt.to_period("M")
    totals = frame.groupby(month)["cost"].sum()
    first = frame["date"].dt.day == 1
    fee = [share * totals.get(m - 1, totals.iloc[0]) for m in month[first]]
    return pd.DataFrame({"date": frame.loc[first, "date"], "service": "support", "cost": fee})


def test_a_month_start_charge_that_follows_usage_after_a_level_shift_is_no_anomaly():
    s = usage(seed=4)
    s.loc[s["date"] >= "2025-11-12", "cost"] *= 1.5  # the level shift: a real event
    bill = by_day(pd.concat([s, month_start_share(s)]))
    events = group_events(detect_anomalies(bill, "service"), "service")
    assert [(e.start, e.kind) for e in events.itertuples()] == [(pd.Timestamp("2025-11-12"), "level-shift")]


def test_a_one_off_purchase_on_a_month_start_after_growth_is_still_found():
    s = usage(seed=5, yearly=0.7)
    fees = month_start_share(s)
    fees.loc[fees["date"] == "2026-02-01", "cost"] += 5000.0  # a commitment bought on top of the plan
    found = detect_anomalies(by_day(pd.concat([s, fees])), "service")
    assert list(found["date"]) == [pd.Timestamp("2026-02-01")] and found.iloc[0]["kind"] == "spike"
    assert found.iloc[0]["impact"] == pytest.approx(5000, rel=0.15)


@pytest.mark.parametrize("yearly", [0.5, 0.8])
def test_steady_growth_is_no_drift(yearly):
    assert detect_anomalies(usage(seed=6, yearly=yearly, noise=0.02), "service").empty


def test_a_drift_and_a_spike_on_a_growing_series_are_still_found():
    s = usage(seed=7, yearly=0.7, noise=0.02)
    s.loc[s.index[150], "cost"] += 1500.0  # a spike on 29 Oct
    ramp = np.clip((np.arange(DAYS) - 240) / 28, 0, 1)  # from 27 Jan: +60 % over four weeks
    s["cost"] *= 1 + 0.6 * ramp
    events = group_events(detect_anomalies(s, "service"), "service").sort_values("start")
    assert (events.iloc[0]["start"], events.iloc[0]["kind"]) == (pd.Timestamp("2025-10-29"), "spike")
    ramp_found = events.iloc[1]  # the ramp, caught while it rises (as a drift, or as a shift of level)
    assert pd.Timestamp("2026-01-27") <= ramp_found["start"] <= pd.Timestamp("2026-02-24")
    assert ramp_found["kind"] in ("drift", "level-shift") and ramp_found["impact"] > 0
    assert len(events) == 2  # and the growth itself is not flagged


def test_holiday_calendar_defaults_country_and_own_dates():
    days = HolidaySettings().days("2025-11-01", "2026-01-10")
    assert dt.date(2025, 11, 27) in days  # Thanksgiving (US, the default country)
    assert days == [dt.date(2025, 11, 11), dt.date(2025, 11, 27), *pd.date_range("2025-12-20", "2026-01-03").date]
    gb = HolidaySettings(country="gb", year_end=False, dates=[dt.date(2026, 8, 3)]).days("2026-01-01", "2026-12-31")
    assert dt.date(2026, 8, 3) in gb and dt.date(2026, 12, 28) in gb and dt.date(2026, 11, 26) not in gb


def test_holiday_settings_read_from_the_workspace(tmp_path):
    assert load_holiday_settings(tmp_path) == HolidaySettings()  # no alerts.yaml: the defaults
    (tmp_path / "alerts.yaml").write_text("channels: [{name: ops}]\nholidays:\n  country: DE\n"
                                          "  dates: [2026-08-03]\n")
    assert load_holiday_settings(tmp_path) == HolidaySettings(country="DE", dates=[dt.date(2026, 8, 3)])


@pytest.mark.parametrize("text, field", [
    ("holidays: {country: XX}", "field country: 'XX' is not a country code"),
    ("holidays: {dates: [2026-02-30]}", "field dates.0:"),
    ("holidays: {countries: GB}", "field countries:"),
    ("holidays: [GB]", "holidays: expected a mapping"),
    ("holidays: {country: [GB", "YAML syntax error"),
])
def test_bad_holiday_settings_are_named(tmp_path, text, field):
    (tmp_path / "alerts.yaml").write_text(text)
    with pytest.raises(HolidayError, match="alerts.yaml") as error:
        load_holiday_settings(tmp_path)
    assert field in str(error.value)
