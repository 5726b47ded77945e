"""Cost anomaly detection: injected anomalies are found, billing patterns are not flagged, no look-ahead."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analysis.anomalies import detect_anomalies, explain_anomaly, group_events
from analysis.query import local_queries

START = pd.Timestamp("2025-01-01")
DAYS = 240


def series(level=1000.0, *, seed=0, days=DAYS, growth=0.03, weekend=0.7, noise=0.03, fee=0.0,
           name="svc") -> pd.DataFrame:
    """Daily cost with weekly rhythm, monthly growth, optional month-start fee."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range(START, periods=days, freq="D")
    t = np.arange(days)
    cost = level * np.exp(np.log1p(growth) / 30.44 * t) * np.where(dates.day_of_week >= 5, weekend, 1.0)
    cost = cost * np.exp(rng.normal(0, noise, days))
    cost = cost + np.where(dates.day == 1, fee, 0.0)
    return pd.DataFrame({"date": dates, "service": name, "cost": cost})


def day(i: int) -> pd.Timestamp:
    return START + pd.Timedelta(days=i)


def at(frame: pd.DataFrame, i: int) -> pd.DataFrame:
    return frame[frame["date"] == day(i)]


def test_spike_found_on_its_day_with_its_impact():
    s = series()
    s.loc[150, "cost"] += 2500.0
    found = detect_anomalies(s, "service")
    assert list(found["date"]) == [day(150)]
    row = found.iloc[0]
    assert row["kind"] == "spike"
    assert row["impact"] == pytest.approx(2500, rel=0.1)
    assert row["actual"] > row["upper"] and row["lower"] < row["expected"] < row["upper"]
    assert row["score"] > 6


def test_drop_flagged_as_decrease():
    s = series(seed=1)
    s.loc[160:162, "cost"] *= 0.3  # three-day outage
    found = detect_anomalies(s, "service")
    assert set(found["date"]) == {day(160), day(161), day(162)}
    assert (found["kind"] == "drop").all() and (found["impact"] < 0).all()


def test_level_shift_flagged_at_start_then_learned():
    s = series(seed=2)
    s.loc[150:, "cost"] *= 1.6
    found = detect_anomalies(s, "service")
    days = sorted(found["date"])
    assert days[0] == day(150)
    assert all(day(150) <= d < day(153) for d in days), days  # its first 3 days, never after
    events = group_events(found, "service")
    assert len(events) == 1 and events.loc[0, "kind"] == "level-shift" and events.loc[0, "days"] == 3
    assert events.loc[0, "start"] == day(150) and events.loc[0, "end"] == day(152)


def test_month_start_charges_growth_weekends_and_a_credit_are_not_anomalies():
    s = series(seed=3, fee=12_000.0, growth=0.06)
    s.loc[170, "cost"] = -5000.0  # a refund/credit day: net negative
    assert detect_anomalies(s, "service").empty


def test_month_start_compared_with_previous_month_starts():
    s = series(seed=4, fee=12_000.0)
    first_days = s.index[s["date"].dt.day == 1]
    s.loc[first_days[-1], "cost"] += 12_000.0  # the fee doubles on the last month start
    found = detect_anomalies(s, "service")
    assert list(found["date"]) == [s.loc[first_days[-1], "date"]]
    assert found.iloc[0]["impact"] == pytest.approx(12_000, rel=0.1)


def test_new_spend_flagged():
    old = series(seed=5)
    new = series(500.0, seed=6, name="new")
    new = new[new["date"] >= day(200)]
    found = detect_anomalies(pd.concat([old, new]), "service")
    first = found[(found["service"] == "new")].sort_values("date").iloc[0]
    assert first["date"] == day(200) and first["kind"] == "new-spend" and first["expected"] == 0
    assert (found["service"] == "svc").sum() == 0
    assert group_events(found, "service").iloc[0]["kind"] == "new-spend"


def test_gradual_drift_caught():
    s = series(seed=7, growth=0.0)
    ramp = np.clip((np.arange(DAYS) - 150) / 28, 0, 1)
    s["cost"] *= 1 + 0.6 * ramp
    found = detect_anomalies(s, "service")
    assert len(found) and found["date"].min() >= day(150)
    assert found["date"].min() <= day(185)
    assert (found["impact"] > 0).all()


def test_no_look_ahead():
    s = pd.concat([series(seed=8), series(300, seed=9, name="b")], ignore_index=True)
    s.loc[(s["service"] == "b") & (s["date"] >= day(120)), "cost"] *= 1.8  # level shift
    s.loc[(s["service"] == "svc") & (s["date"] == day(140)), "cost"] += 3000  # spike
    full = detect_anomalies(s, "service", sensitivity=0.8)
    for d in (60, 120, 121, 122, 123, 140, 141, 200):
        cut = detect_anomalies(s[s["date"] <= day(d)], "service", sensitivity=0.8)
        a = at(full, d).sort_values("service").reset_index(drop=True)
        b = at(cut, d).sort_values("service").reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b)
    assert len(at(full, 120)) == 1 and len(at(full, 140)) == 1


def test_holiday_dips_not_flagged_nor_learned_but_a_collapse_is():
    s = series(seed=14)
    s.loc[[120, 150], "cost"] *= 0.7  # two holidays with 30 % less usage
    s.loc[200, "cost"] *= 0.2         # a holiday with hardly any: more than a holiday explains
    holidays = [day(120).date(), str(day(150).date()), day(200)]
    assert set(detect_anomalies(s, "service")["date"]) == {day(120), day(150), day(200)}
    found = detect_anomalies(s, "service", holidays=holidays)
    assert list(found["date"]) == [day(200)] and found.iloc[0]["kind"] == "drop"


def test_sensitivity_and_min_impact():
    s = series(seed=10, noise=0.05)
    s.loc[100, "cost"] += 400
    s.loc[150, "cost"] += 3000
    lax = detect_anomalies(s, "service", sensitivity=1.0)
    default = detect_anomalies(s, "service")
    strict = detect_anomalies(s, "service", sensitivity=0.0)
    assert len(lax) >= len(default) >= len(strict)
    assert day(150) in set(strict["date"])
    assert list(detect_anomalies(s, "service", min_impact=1000)["date"]) == [day(150)]
    big = detect_anomalies(s, "service", sensitivity=1.0, min_impact_pct=100)
    assert list(big["date"]) == [day(150)]
    assert list(lax["impact"].abs()) == sorted(lax["impact"].abs(), reverse=True)


def test_tiny_series_does_not_flag_cents():
    s = series(0.05, seed=11, noise=0.3)
    s.loc[100, "cost"] = 0.6
    assert detect_anomalies(s, "service").empty


def test_sparse_series_not_flagged_on_its_ordinary_days():
    rng = np.random.default_rng(12)
    s = series(200, seed=12)
    s["cost"] *= rng.random(len(s)) < 0.25
    assert len(detect_anomalies(s, "service")) <= 1


def test_result_columns_without_groups():
    s = series(seed=13)[["date", "cost"]]
    s.loc[150, "cost"] += 5000
    found = detect_anomalies(s)
    assert list(found.columns) == ["date", "actual", "expected", "lower", "upper", "impact", "score", "kind"]
    assert list(found["date"]) == [day(150)]


def test_explain_ranks_the_injected_service_first():
    parts = [series(lv, seed=20 + i, name=f"s{i}") for i, lv in enumerate([800, 500, 300, 200, 100])]
    detail = pd.concat(parts, ignore_index=True)
    detail["account"] = detail["service"].map({"s0": "a", "s1": "b", "s2": "a", "s3": "b", "s4": "a"})
    detail.loc[(detail["service"] == "s3") & (detail["date"] == day(180)), "cost"] += 2000
    why = explain_anomaly(detail, day(180), ["service", "account"])
    assert list(why.columns) == ["service", "account", "actual", "expected", "delta", "share"]
    assert why.iloc[0]["service"] == "s3"
    assert why.iloc[0]["delta"] == pytest.approx(2000, rel=0.1)
    assert why.iloc[0]["share"] == pytest.approx(1.0, abs=0.1)
    assert why["share"].sum() == pytest.approx(1.0)
    # several rows per day and combination are summed; the day may be a date
    doubled = pd.concat([detail, detail.assign(cost=0.0)])
    assert explain_anomaly(doubled, dt.date(2025, 6, 30), "service").iloc[0]["service"] == "s3"


def test_explain_a_drift_against_the_older_baseline():
    parts = [series(lv, seed=30 + i, name=f"s{i}", growth=0.0) for i, lv in enumerate([800, 500, 300])]
    detail = pd.concat(parts, ignore_index=True)
    ramp = np.clip((detail["date"] - day(150)).dt.days / 28, 0, 1)
    detail.loc[detail["service"] == "s2", "cost"] *= 1 + 0.8 * ramp[detail["service"] == "s2"]
    why = explain_anomaly(detail, day(175), "service", against="drift")
    assert why.iloc[0]["service"] == "s2"
    assert why.iloc[0]["share"] == pytest.approx(1.0, abs=0.15)
    assert why.iloc[0]["delta"] == pytest.approx(300 * 0.8 * (25 / 28 + 19 / 28) / 2, rel=0.25)
    with pytest.raises(ValueError, match="against"):
        explain_anomaly(detail, day(175), "service", against="week")


def test_group_events_columns_and_gap():
    found = pd.DataFrame({"date": [day(10), day(11), day(13), day(10)], "svc": ["a", "a", "a", "b"],
                          "impact": [5.0, 7.0, -1.0, 100.0], "score": [7.0, 9.0, 6.5, 20.0],
                          "kind": ["spike", "level-shift", "drop", "new-spend"]})
    ev = group_events(found, "svc")
    assert list(ev.columns) == ["svc", "start", "end", "days", "impact", "score", "kind"]
    assert ev[["svc", "days", "impact", "kind"]].values.tolist() == [
        ["b", 1, 100.0, "new-spend"], ["a", 2, 12.0, "level-shift"], ["a", 1, -1.0, "drop"]]
    assert len(group_events(found, "svc", gap=2)) == 2


# ---- bad input ----

def test_empty_frame_gives_empty_result_with_columns():
    empty = pd.DataFrame({"date": [], "service": [], "cost": []})
    found = detect_anomalies(empty, "service")
    assert found.empty
    assert list(found.columns) == ["date", "service", "actual", "expected", "lower", "upper", "impact",
                                   "score", "kind"]
    assert group_events(found, "service").empty


def test_single_day_gives_empty_result():
    one = pd.DataFrame({"date": [START], "service": ["a"], "cost": [5.0]})
    assert detect_anomalies(one, "service").empty


def test_missing_column_named():
    with pytest.raises(ValueError, match="'service'"):
        detect_anomalies(series().drop(columns="service"), "service")
    with pytest.raises(ValueError, match="'EffectiveCost'"):
        detect_anomalies(series(), "service", value="EffectiveCost")


def test_duplicated_rows_named():
    s = series(days=30)
    with pytest.raises(ValueError, match="more than one row.*2025-01-03"):
        detect_anomalies(pd.concat([s, s.iloc[[2]]]), "service")


def test_non_numeric_values_named():
    s = series(days=30).astype({"cost": object})
    s.loc[4, "cost"] = "12,50"
    with pytest.raises(ValueError, match=r"'cost'.*12,50"):
        detect_anomalies(s, "service")


def test_bad_sensitivity():
    with pytest.raises(ValueError, match="sensitivity"):
        detect_anomalies(series(days=30), "service", sensitivity=2)


# ---- the project sample ----

@pytest.fixture(scope="module")
def sample_daily():
    from analysis.sample import generate_sample

    bill = pd.concat(list(generate_sample(60_000, end=dt.date(2026, 11, 16))), ignore_index=True)
    usage = bill[bill["ChargeCategory"] == "Usage"]
    return usage.assign(date=usage["ChargePeriodStart"].dt.floor("D")).groupby(
        ["date", "SubAccountName", "ServiceName"], as_index=False)["EffectiveCost"].sum()


def test_sample_anomalies_found(sample_daily):
    """Per sub-account and service (the sample's EC2 drop is ~15 % of all EC2, ~90 % of its account's)."""
    from analysis.sample import sample_anomalies

    found = detect_anomalies(sample_daily, ["SubAccountName", "ServiceName"], value="EffectiveCost")
    for a in sample_anomalies(dt.date(2026, 11, 16)):
        start = pd.Timestamp(a["start"], tz="UTC")  # tz-aware in, tz-aware UTC days out
        hit = found[(found["ServiceName"] == a["service"]) & (found["SubAccountName"] == a["sub_account"])
                    & (found["date"] >= start)
                    & (found["date"] <= start + pd.Timedelta(days=1))]
        assert len(hit), a
        if a["kind"] == "drop":
            assert (hit["impact"] < 0).all()
        else:
            assert (hit["impact"] > 0).all()
        if a["kind"] == "new-spend":
            assert hit.iloc[0]["kind"] == "new-spend"


def test_sample_anomaly_root_cause():
    from analysis.sample import generate_sample, sample_anomalies

    bill = pd.concat(list(generate_sample(60_000, end=dt.date(2026, 11, 16))), ignore_index=True)
    bill = bill[bill["ChargeCategory"] == "Usage"]
    bill = bill.assign(date=bill["ChargePeriodStart"].dt.floor("D"))
    spike = next(a for a in sample_anomalies(dt.date(2026, 11, 16)) if a["service"] == "BigQuery")
    why = explain_anomaly(bill, spike["start"], ["ServiceName", "SubAccountName"], value="EffectiveCost")
    assert (why.iloc[0]["ServiceName"], why.iloc[0]["SubAccountName"]) == ("BigQuery", "bigdata-warehouse")


def test_group_events_accepts_arrow_string_groups():
    found = pd.DataFrame({
        "date": pd.to_datetime(["2026-01-05", "2026-01-06", "2026-01-05"]),
        "svc": pd.array(["a", "a", "b"], dtype="string[pyarrow]"),
        "actual": 1.0, "expected": 0.0, "lower": 0.0, "upper": 0.5, "impact": [1.0, 2.0, 3.0],
        "score": 9.0, "kind": "spike",
    })
    events = group_events(found, ("svc",)).set_index("svc")
    assert events.loc["a", "days"] == 2 and events.loc["a", "impact"] == 3.0 and events.loc["b", "days"] == 1


def test_each_event_is_explained_on_its_own_largest_day(tmp_path):
    from analysis.anomalies.monitor import scan
    from analysis.query import Filters
    from analysis.store.cache import Delivery, FocusCache

    days = pd.date_range("2026-01-01", periods=140, freq="D", tz="UTC")
    cost = np.full(len(days), 100.0)
    cost[60] = 1_000.0  # the service's largest day, in an earlier event
    cost[100:103] = [300.0, 600.0, 400.0]  # a later three-day event peaking on its second day
    frame = pd.DataFrame({"ChargePeriodStart": days, "ChargePeriodEnd": days + pd.Timedelta(days=1),
                          "BilledCost": cost, "EffectiveCost": cost, "BillingCurrency": "USD",
                          "ProviderName": "AWS", "ServiceName": "Amazon EC2", "ChargeCategory": "Usage"})
    cache = FocusCache(tmp_path)
    cache.load([Delivery("ec2.csv", [frame], "x")])
    events, _ = scan(local_queries(cache), Filters(), "BilledCost", ("ServiceName",))
    later = events[events["start"] >= days[100].tz_localize(None)].iloc[0]
    assert later["start"] == pd.Timestamp("2026-04-11") and later["peak_day"] == pd.Timestamp("2026-04-12")
