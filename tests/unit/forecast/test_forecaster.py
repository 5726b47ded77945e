"""analysis.forecast: shapes, the month-edge schedule, short histories, intervals, projections, reconciliation
and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.forecast import Forecaster, backtest, fitted, forecast_by, forecast_series, project_periods

WEEK = np.array([1.0, 1.02, 1.0, 0.98, 0.95, 0.6, 0.55])  # Monday first


def daily(days: int = 240, end: str = "2026-11-15", level: float = 1000.0, growth: float = 0.0,
          noise: float = 0.03, seed: int = 0) -> pd.Series:
    """Weekday rhythm x level x growth per day x lognormal noise."""
    index = pd.date_range(end=end, periods=days, freq="D")
    t = np.arange(days)
    rng = np.random.default_rng(seed)
    values = level * WEEK[index.day_of_week] * np.exp(growth * t + rng.normal(0, noise, days))
    return pd.Series(values, index=index)


def test_forecast_rows_follow_the_history_with_an_interval_around_the_forecast():
    history = daily()
    fc = forecast_series(history, 30)
    assert list(fc.columns) == ["forecast", "lower", "upper"]
    assert len(fc) == 30 and fc.index[0] == pd.Timestamp("2026-11-16") and fc.index[-1] == pd.Timestamp("2026-12-15")
    assert (fc["lower"] <= fc["forecast"]).all() and (fc["forecast"] <= fc["upper"]).all()
    assert fc.attrs["method"] and fc.attrs["note"] == ""


def test_weekly_rhythm_and_level_are_forecast_within_a_few_percent():
    history = daily(noise=0.02, growth=0.001)
    fc = forecast_series(history, 28)
    t = np.arange(240, 268)
    truth = 1000 * WEEK[fc.index.day_of_week] * np.exp(0.001 * t)
    assert np.mean(np.abs(fc["forecast"] - truth) / truth) < 0.04
    saturday = fc[fc.index.day_of_week == 5]["forecast"].mean()
    monday = fc[fc.index.day_of_week == 0]["forecast"].mean()
    assert saturday / monday == pytest.approx(0.6, abs=0.05)


def test_month_start_fees_are_forecast_as_a_schedule_not_smoothed():
    history = daily(days=300)
    history[history.index.day == 1] += 20_000.0
    model = Forecaster().fit(history)
    assert [e.day for e in model.edges_] == ["first"]
    assert model.edges_[0].amount == pytest.approx(20_000, rel=0.05)
    fc = model.predict(60)
    first = fc.loc["2026-12-01", "forecast"]
    usual = 1000 * WEEK[pd.Timestamp("2026-12-01").day_of_week]
    assert first == pytest.approx(usual + 20_000, rel=0.04)
    second = fc.loc["2026-12-02", "forecast"]
    assert second == pytest.approx(1000 * WEEK[pd.Timestamp("2026-12-02").day_of_week], rel=0.06)
    assert fc.loc["2026-12-01", "lower"] > 15_000  # the fee's day keeps the fee inside its interval


def test_month_end_credits_stay_negative_amounts_on_their_day():
    history = daily(days=300)
    month_end = (history.index + pd.Timedelta(days=1)).day == 1
    history[month_end] -= 5_000.0
    fc = forecast_series(history, 30)
    assert fc.loc["2026-11-30", "forecast"] == pytest.approx(1000 * WEEK[0] - 5_000, rel=0.05)
    assert fc.drop(pd.Timestamp("2026-11-30"))["forecast"].min() > 400


def test_short_history_uses_a_simple_model_a_wider_interval_and_says_so():
    long, short = daily(days=240, seed=3), daily(days=35, seed=3)
    fc_short, fc_long = forecast_series(short, 14), forecast_series(long, 14)
    assert "under two months" in fc_short.attrs["note"] and "35 days" in fc_short.attrs["note"]
    assert fc_short.attrs["method"] == "Weekday average"
    width = lambda fc: ((fc["upper"] - fc["lower"]) / fc["forecast"]).mean()
    assert width(fc_short) > width(fc_long)
    assert fc_short["forecast"].mean() == pytest.approx(short.tail(28).mean(), rel=0.05)


def test_missing_days_count_as_zero_and_leading_zeros_are_ignored():
    history = daily(days=200)
    gappy = history.drop(history.index[100:103])  # three days without charges: absent from the bill
    model = Forecaster().fit(gappy)
    assert model.history_.loc[history.index[101]] == 0.0 and len(model.history_) == 200
    padded = pd.concat([pd.Series(0.0, index=pd.date_range(end=history.index[0] - pd.Timedelta(days=1),
                                                            periods=50)), history])
    assert len(Forecaster().fit(padded).history_) == 200


def test_intervals_cover_about_the_stated_share_of_days_in_a_backtest():
    covered = [backtest(daily(days=400, seed=s, noise=0.08, growth=0.0005), methods=("auto",), origins=3)
               .loc["auto", "coverage"] for s in range(3)]
    assert 0.6 <= np.mean(covered) <= 0.97


def test_automatic_forecast_beats_seasonal_naive_on_a_bill_with_month_start_fees():
    history = daily(days=400, noise=0.06, seed=5)
    history[history.index.day == 1] += 8_000.0
    result = backtest(history, methods=("auto", "snaive"), origins=3)
    assert result.loc["auto", "mase"] < 0.8 * result.loc["snaive", "mase"]
    assert set(result.columns) >= {"mase", "mae", "coverage", "origins", "seconds_per_fit"}


def test_period_projections_add_actuals_to_date_and_forecast_with_an_interval():
    history = daily(days=300, noise=0.01)
    out = project_periods(history, fiscal_year_start=4)
    november = out[out["period"] == "Nov 2026"].iloc[0]
    actual = history["2026-11-01":].sum()
    assert november["actual"] == pytest.approx(actual)
    rest = 1000 * WEEK[pd.date_range("2026-11-16", "2026-11-30").day_of_week].sum()
    assert november["forecast"] == pytest.approx(actual + rest, rel=0.03)
    assert november["lower"] < november["forecast"] < november["upper"]
    months = out[out["kind"] == "Month"]
    assert len(months) == 12 and months["period"].iloc[-1] == "Oct 2027"
    fy = out[out["kind"] == "Fiscal year"].iloc[0]
    assert fy["period"] == "FY2027" and fy["start"] == pd.Timestamp("2026-04-01")
    assert list(out[out["kind"] == "Quarter"]["period"]) == ["FY2027 Q3", "FY2027 Q4", "FY2028 Q1", "FY2028 Q2"]
    year = out[out["kind"] == "Month"].set_index("period")
    spread = lambda r: r["upper"] - r["lower"]
    assert spread(year.loc["Oct 2027"]) > spread(year.loc["Dec 2026"])  # further out, less certain


def test_calendar_quarters_and_year_when_the_fiscal_year_is_the_calendar_year():
    out = project_periods(daily(days=120), fiscal_year_start=1)
    assert list(out[out["kind"] == "Quarter"]["period"]) == ["Q4 2026", "Q1 2027", "Q2 2027", "Q3 2027"]
    assert list(out[out["kind"] == "Fiscal year"]["period"]) == ["FY2026"]


def test_forecasts_by_dimension_add_up_to_the_total_forecast():
    wide = pd.DataFrame({"compute": daily(seed=1), "storage": daily(seed=2, level=300),
                         "network": daily(seed=3, level=80), "support": daily(seed=4, level=20),
                         "gone": 0.0})
    parts, total = forecast_by(wide, 21, top_n=2)
    assert set(parts["series"]) == {"compute", "storage", "Other"}
    summed = parts.groupby("day")["forecast"].sum()
    np.testing.assert_allclose(summed.to_numpy(), total["forecast"].to_numpy(), rtol=1e-9)
    assert total["forecast"].to_numpy() == pytest.approx(forecast_series(wide.sum(axis=1), 21)["forecast"].to_numpy())
    other = parts[parts["series"] == "Other"]["forecast"].mean()
    assert other == pytest.approx(100 * WEEK.mean(), rel=0.15)


def test_a_real_value_named_other_keeps_its_own_forecast():
    wide = pd.DataFrame({"Other": daily(seed=1), "compute": daily(seed=2, level=500), "tiny": daily(seed=3, level=5)})
    parts, _ = forecast_by(wide, 7, top_n=2)
    assert list(parts["series"].unique()) == ["Other", "compute", "Other (the rest)"]
    assert parts[parts["series"] == "Other"]["forecast"].mean() == pytest.approx(1000 * WEEK.mean(), rel=0.1)


def test_the_total_of_the_next_days_has_its_own_narrower_interval():
    model = Forecaster().fit(daily(days=200, noise=0.08))
    totals, days = model.cumulative(30), model.predict(30)
    assert totals["forecast"].iloc[-1] == pytest.approx(days["forecast"].sum())
    last = totals.iloc[-1]
    assert last["lower"] < last["forecast"] < last["upper"]
    assert last["upper"] - last["lower"] < (days["upper"] - days["lower"]).sum() / 2


def test_a_part_too_new_to_model_is_forecast_flat_and_still_adds_up():
    wide = pd.DataFrame({"compute": daily(seed=1), "new": 0.0})
    wide.iloc[-5:, 1] = [40.0, 60.0, 50.0, 45.0, 55.0]
    parts, total = forecast_by(wide, 10, top_n=2)
    assert "5 day(s) of spend" in total.attrs["methods"]["new"]
    summed = parts.groupby("day")["forecast"].sum()
    np.testing.assert_allclose(summed.to_numpy(), total["forecast"].to_numpy(), rtol=1e-9)


def test_spend_that_is_never_negative_gets_no_negative_forecast_or_bound():
    rng = np.random.default_rng(0)
    index = pd.date_range("2026-01-01", periods=200)
    sparse = pd.Series(np.where(rng.random(200) < 0.2, rng.uniform(10, 100, 200), 0.0), index=index)
    fc = forecast_series(sparse, 30)
    assert fc["lower"].min() == 0.0 and fc["upper"].max() > 50


def test_fits_are_remembered_by_content_so_only_a_changed_series_is_refitted():
    history = daily(days=120)
    first = fitted(history)
    assert fitted(history.copy()) is first
    changed = history.copy()
    changed.iloc[-1] += 1.0
    assert fitted(changed) is not first


@pytest.mark.parametrize(("history", "horizon", "kwargs", "message"), [
    (pd.Series([], dtype=float, index=pd.DatetimeIndex([])), 7, {}, "history is empty"),
    (pd.Series(0.0, index=pd.date_range("2026-01-01", periods=90)), 7, {}, "all zero"),
    (pd.Series(1.0, index=pd.date_range("2026-01-01", periods=90, freq="h")), 7, {}, "not daily"),
    (pd.Series([1.0, 2.0, 3.0], index=pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-02"])), 7, {},
     "2026-01-02 more than once"),
    (pd.Series([1.0, np.nan, 3.0], index=pd.date_range("2026-01-01", periods=3)), 7, {},
     "first on 2026-01-02"),
    (pd.Series([1.0, 2.0], index=[1, 2]), 7, {}, "indexed by dates"),
    (pd.Series(5.0, index=pd.date_range("2026-01-01", periods=10)), 7, {}, "10 day.s. of spend from 2026-01-01"),
    (daily(), 0, {}, "from 1 to 90"),
    (daily(), 91, {}, "from 1 to 90"),
    (daily(), 7, {"level": 1.5}, "level must be between"),
    (daily(), 7, {"method": "prophet"}, "method must be one of"),
])
def test_bad_input_gets_a_message_that_names_the_problem(history, horizon, kwargs, message):
    with pytest.raises(ValueError, match=message):
        forecast_series(history, horizon, **kwargs)


def test_a_frame_instead_of_a_series_is_refused():
    with pytest.raises(TypeError, match="pandas Series"):
        forecast_series(daily().to_frame(), 7)


def test_a_model_that_fails_on_the_final_fit_falls_back_to_seasonal_naive(monkeypatch):
    from analysis.forecast import models as forecast_models

    def theta_until_long(y, horizon):
        if len(y) > 300:
            raise ValueError("no convergence")
        return forecast_models.seasonal_naive(y, horizon)

    monkeypatch.setitem(forecast_models.MODELS, "theta", theta_until_long)
    history = daily(days=320)  # backtest windows end at most 292 days in; the final fit sees 320
    fc = forecast_series(history, 14, method="theta")
    assert fc.attrs["method"] == "Seasonal naive (last week repeated)"
    np.testing.assert_allclose(fc["forecast"].to_numpy()[:7], history.to_numpy()[-7:])


def test_candidates_show_each_models_backtest_error_and_weight():
    model = Forecaster().fit(daily(days=200))
    table = model.candidates()
    assert set(table["model"]) == {"Seasonal naive (last week repeated)", "ETS, damped trend, weekly seasonality",
                                   "STL + ETS", "STL + ARIMA(1,1,1)", "Theta"}
    assert table["mae"].is_monotonic_increasing and table["weight"].sum() == pytest.approx(1.0)
    assert table["weight"].iloc[0] > 0  # the best model is always in the forecast


@pytest.mark.parametrize(("days_ago", "factor"), [(10, 1.5), (21, 0.6)])
def test_a_recent_level_shift_is_followed_not_averaged_away(days_ago, factor):
    history = daily(days=300)
    history.iloc[-days_ago:] *= factor
    fc = forecast_series(history, 28)
    truth = 1000 * factor * WEEK[fc.index.day_of_week]
    assert (fc["forecast"] / truth).mean() == pytest.approx(1.0, abs=0.06)


def test_a_history_that_differs_only_in_the_last_bits_reuses_the_fit():
    """DuckDB's parallel sums of the same rows can differ in the last bits between queries."""
    import numpy as np
    import pandas as pd

    from analysis.forecast import fitted

    days = pd.date_range("2026-01-01", periods=120, freq="D")
    history = pd.Series(1000 + 50 * np.sin(np.arange(120) / 3), index=days)
    again = history * (1 + 1e-15)
    assert not history.equals(again)
    assert fitted(again) is fitted(history)
