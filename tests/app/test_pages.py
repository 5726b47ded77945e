"""Every page through Streamlit's AppTest, its numbers checked against pandas on the sample."""

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from app.ui import money
from tests.app.conftest import AS_OF, RANGE_START, app_test, in_range
from tests.app.conftest import days as _days
from tests.conftest import SAMPLE_END


def _cost(frame: pd.DataFrame, start: dt.date, end: dt.date, metric: str = "EffectiveCost") -> float:
    return float(in_range(frame, start, end)[metric].sum())


def _metric(at, label: str) -> str:
    return next(m for m in at.metric if m.label == label).value


def _untagged(frame: pd.DataFrame) -> pd.Series:
    def empty(text) -> bool:
        if not isinstance(text, str) or not text.strip():
            return True
        try:
            return not json.loads(text)
        except ValueError:
            return True

    return frame["Tags"].map(empty).astype(bool)


def test_overview_kpis_match_pandas(app, sample_frame):
    at = app.run()
    assert not at.exception
    assert at.title[0].value == "Overview"
    mtd = _cost(sample_frame, AS_OF.replace(day=1), SAMPLE_END)
    prev = _cost(sample_frame, dt.date(2026, 10, 1), dt.date(2026, 10, 16))
    last30 = _cost(sample_frame, AS_OF - dt.timedelta(days=29), SAMPLE_END)
    assert _metric(at, "Month to date") == money(mtd)
    assert _metric(at, "Same days last month") == money(prev)
    assert _metric(at, "Last 30 days") == money(last30)
    movers = at.dataframe[0].value
    cur = sample_frame[(_days(sample_frame) > AS_OF - dt.timedelta(days=30)) & (_days(sample_frame) <= AS_OF)]
    old = sample_frame[(_days(sample_frame) > AS_OF - dt.timedelta(days=60))
                       & (_days(sample_frame) <= AS_OF - dt.timedelta(days=30))]
    change = (cur.groupby("ServiceName")["EffectiveCost"].sum()
              .sub(old.groupby("ServiceName")["EffectiveCost"].sum(), fill_value=0).sort_values(ascending=False))
    assert movers["ServiceName"].iloc[0] == change.index[0]
    assert movers["change"].iloc[0] == pytest.approx(change.iloc[0], abs=0.01)


def test_provider_filter_changes_kpis_and_url(app, sample_frame):
    at = app.run()
    at.sidebar.multiselect(key="f_provider").select("Microsoft").run()
    microsoft = sample_frame[sample_frame["ProviderName"] == "Microsoft"]
    assert _metric(at, "Month to date") == money(_cost(microsoft, AS_OF.replace(day=1), SAMPLE_END))
    assert at.query_params["provider"] in ("Microsoft", ["Microsoft"])


def test_filters_are_read_from_the_url(app, sample_frame):
    app.query_params["provider"] = "AWS"
    app.query_params["metric"] = "BilledCost"
    at = app.run()
    aws = sample_frame[sample_frame["ProviderName"] == "AWS"]
    assert at.sidebar.multiselect(key="f_provider").value == ["AWS"]
    assert _metric(at, "Month to date") == money(_cost(aws, AS_OF.replace(day=1), SAMPLE_END, "BilledCost"))


def test_explore_table_totals_match_pandas(app, sample_frame):
    at = app.run()
    at.switch_page("../pages/explore.py").run()
    assert not at.exception
    assert at.title[0].value == "Explore"
    table = at.dataframe[0].value
    in_range = sample_frame[(_days(sample_frame) >= RANGE_START) & (_days(sample_frame) < SAMPLE_END)]
    expected = in_range.groupby("ServiceName")["EffectiveCost"].sum().sort_values(ascending=False)
    assert table["Service"].iloc[0] == expected.index[0]
    assert table["Total"].sum() == pytest.approx(expected.sum(), abs=0.01)
    caption = next(c.value for c in at.caption if "in total" in c.value)
    assert f"${round(table['Total'].sum(), 2):,.2f} in total" in caption  # the rows add up to the cent
    assert ((table["Total"] * 100).round(6) % 1 == 0).all()  # as shown: whole cents
    at.selectbox(key="x_by").select("tag:team").run()
    by_team = at.dataframe[0].value.set_index("Tag: team")["Total"]
    untagged = in_range[_untagged(in_range) | ~in_range["Tags"].fillna("").str.lower().str.contains('"team"')]
    assert by_team["(untagged)"] == pytest.approx(untagged["EffectiveCost"].sum(), abs=0.01)
    assert at.get("download_button")


def test_tags_page_untagged_cost_and_policy(app, sample_frame):
    at = app.run()
    at.switch_page("../pages/tags.py").run()
    assert not at.exception
    in_range = sample_frame[(_days(sample_frame) >= RANGE_START) & (_days(sample_frame) < SAMPLE_END)]
    assert _metric(at, "Untagged cost") == money(float(in_range[_untagged(in_range)]["EffectiveCost"].sum()))
    violations = at.dataframe[0].value
    assert violations["cost"].is_monotonic_decreasing
    assert len(violations) > 0


def test_data_page_shows_what_is_loaded(app, sample_frame):
    at = app.run()
    at.switch_page("../pages/data.py").run()
    assert not at.exception
    assert _metric(at, "Rows") == f"{len(sample_frame):,}"
    assert _metric(at, "Providers") == "3"


def test_two_currencies_ask_for_a_choice_and_never_add_up(sample_frame, tmp_path, monkeypatch):
    from analysis.store.cache import FocusCache

    euro = sample_frame[sample_frame["ProviderName"] == "Google Cloud"].assign(BillingCurrency="EUR")
    usd = sample_frame[sample_frame["ProviderName"] != "Google Cloud"]
    cache = FocusCache(tmp_path / "cache")
    cache.add_source([usd, euro], "two-currencies")
    monkeypatch.setenv("FINOPS_CACHE_DIR", str(cache.root))
    monkeypatch.setenv("FINOPS_WORKSPACE", str(tmp_path / "workspace"))
    at = app_test().run()
    assert not at.exception
    currency = at.sidebar.selectbox(key="f_currency")
    assert currency.options == ["USD", "EUR"] and currency.value == "USD"
    mtd = AS_OF.replace(day=1), SAMPLE_END
    assert _metric(at, "Month to date") == money(_cost(usd, *mtd))
    currency.select("EUR").run()
    assert _metric(at, "Month to date") == money(_cost(euro, *mtd), "EUR")


def test_explore_groups_by_an_allocation_dimension(app, sample_frame):
    at = app.run()
    at.switch_page("../pages/explore.py").run()
    at.selectbox(key="x_by").select("alloc:Team").run()
    assert not at.exception
    table = at.dataframe[0].value.set_index("Team (allocation)")["Total"]
    in_range = sample_frame[(_days(sample_frame) >= RANGE_START) & (_days(sample_frame) < SAMPLE_END)]
    assert table.sum() == pytest.approx(float(in_range["EffectiveCost"].sum()), abs=0.05)
    # rule "Shared network account": untagged cost of that account goes to platform
    assert "platform" in table.index and "Unallocated" in table.index


def test_sidebar_owner_filter_narrows_the_kpis(app, sample_frame):
    app.query_params["alloc"] = "Team"
    app.query_params["owner"] = "payments"
    at = app.run()
    assert not at.exception
    assert at.sidebar.multiselect(key="f_owner").value == ["payments"]
    def team(text) -> str | None:
        tags = json.loads(text) if isinstance(text, str) and text.strip() else {}
        return next((v for k, v in tags.items() if k.lower() == "team"), None)

    payments = sample_frame[sample_frame["Tags"].map(team) == "payments"]
    # The Team tag rule comes first, so tagged payments cost is exactly the payments owner's direct cost.
    assert _metric(at, "Month to date") == money(_cost(payments, AS_OF.replace(day=1), SAMPLE_END))


def test_tags_policy_is_saved_from_the_page(app, tmp_path):
    at = app.run()
    at.switch_page("../pages/tags.py").run()
    policy = next(m for m in at.multiselect if m.label.startswith("Every resource must carry"))
    policy.set_value(["team", "cost_center"])
    next(b for b in at.button if b.label == "Save policy").click()
    at.run()
    assert not at.exception and not at.error
    assert next(s.value for s in at.success) == "Saved to tag_policy.yaml: team, cost\\_center."  # Markdown-escaped
    saved = (tmp_path / "workspace" / "tag_policy.yaml").read_text()
    assert "- team" in saved and "- cost_center" in saved
    at.switch_page("../pages/tags.py").run()  # read back from the file on the next visit
    assert next(m for m in at.multiselect if m.label.startswith("Every resource")).value == ["team", "cost_center"]


def test_a_link_to_a_rare_tag_value_filters_and_unknown_values_are_named(tmp_path, monkeypatch):
    from analysis.store.cache import Delivery, FocusCache

    days = pd.date_range("2026-10-01", periods=30, freq="D", tz="UTC")
    rows = 600  # more distinct build ids than the 500 values a filter lists
    start = days[np.arange(rows) % 30]
    frame = pd.DataFrame({
        "ChargePeriodStart": start, "ChargePeriodEnd": start + pd.Timedelta(days=1),
        "BilledCost": 1000.0 - np.arange(rows), "EffectiveCost": 1000.0 - np.arange(rows),
        "BillingCurrency": "USD", "ProviderName": "AWS", "ServiceName": "Amazon EC2",
        "Tags": [json.dumps({"build": f"b{i:04d}"}) for i in range(rows)],
    })
    FocusCache(tmp_path / "cache").load([Delivery("builds.csv", [frame], "x")])
    monkeypatch.setenv("FINOPS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("FINOPS_WORKSPACE", str(tmp_path / "workspace"))
    at = app_test()
    at.query_params.update({"tag": "build", "tagv": "b0599", "service": ["Amazon EC2", "Nope"],
                            "start": "2026-10-01", "end": "2026-10-30"})
    at.run()
    assert not at.exception
    assert at.sidebar.multiselect(key="f_tagv").value == ["b0599"]  # ranked last, still applied
    assert _metric(at, "Last 30 days") == money(1000.0 - 599)
    warning = at.sidebar.warning[0].value
    assert "Service 'Nope' is not in the data, so it is not applied" in warning.replace("\\", "") and "b0599" not in warning
    assert at.sidebar.multiselect(key="f_service").value == ["Amazon EC2"]


def test_a_policy_saved_by_someone_else_meanwhile_is_not_overwritten(app, tmp_path):
    from analysis.tags.policy import TagPolicy, load_policy, save_policy

    at = app.run()
    at.switch_page("../pages/tags.py").run()
    save_policy(tmp_path / "workspace", TagPolicy(required=["owner"]))  # another session saves first
    policy = next(m for m in at.multiselect if m.label.startswith("Every resource must carry"))
    policy.set_value(["team"])
    next(b for b in at.button if b.label == "Save policy").click()
    at.run()
    shown = at.error[0].value.replace("\\", "")  # as the Markdown renders
    assert "tag_policy.yaml was changed by someone else" in shown
    assert "Their change: 3 line(s) added, 0 removed (+# Required tag keys" in shown and "+- owner" in shown
    assert load_policy(tmp_path / "workspace").required == ["owner"]


def test_tags_policy_counts_every_violating_resource_not_only_the_listed(tmp_path, monkeypatch):
    from analysis.store.cache import Delivery, FocusCache

    start = pd.Timestamp("2026-10-01", tz="UTC")
    frame = pd.DataFrame({  # 300 untagged resources: more than the 200 the page lists
        "ChargePeriodStart": start, "ChargePeriodEnd": start + pd.Timedelta(days=1),
        "BilledCost": np.arange(1, 301) / 100, "EffectiveCost": np.arange(1, 301) / 100,
        "BillingCurrency": "USD", "ProviderName": "AWS", "ServiceName": "Amazon EC2",
        "ResourceId": [f"i-{n:04d}" for n in range(300)], "Tags": '{"app": "web"}',
    })
    FocusCache(tmp_path / "cache").load([Delivery("resources.csv", [frame], "r")])
    monkeypatch.setenv("FINOPS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("FINOPS_WORKSPACE", str(tmp_path / "workspace"))
    at = app_test().run()
    at.switch_page("../pages/tags.py").run()
    assert len(at.dataframe[-1].value) == 200
    text = next(m.value for m in at.markdown if "violate the policy" in m.value).replace("\\", "")
    assert "**300 resources** violate the policy, costing $451.50 in range; the 200 costliest are listed" in text


def test_removing_a_source_asks_first_and_times_read_plainly(tmp_path, monkeypatch, sample_frame):
    from analysis.store.cache import Delivery, FocusCache

    cache = FocusCache(tmp_path / "cache")
    cache.load([Delivery("first.csv", [sample_frame.head(500)], "a"), Delivery("second.csv", [sample_frame.tail(500)], "b")],
               keep_both=True)
    monkeypatch.setenv("FINOPS_CACHE_DIR", str(cache.root))
    monkeypatch.setenv("FINOPS_WORKSPACE", str(tmp_path / "workspace"))
    at = app_test().run()
    at.switch_page("../pages/data.py").run()
    sources = at.dataframe[1].value
    assert list(sources["Source"]) == ["first.csv", "second.csv"]
    assert all(v.endswith(" UTC") and "+00:00" not in v for v in sources["Added"])
    first = cache.sources()[0]
    remove = at.button(key=f"rm_{first.id}")
    assert remove.disabled  # nothing is removed on one click
    at.checkbox(key=f"rm_sure_{first.id}").check().run()
    at.button(key=f"rm_{first.id}").click().run()
    assert [s.name for s in FocusCache(cache.root).sources()] == ["second.csv"]


def test_overview_says_which_figures_follow_the_date_range(app, sample_frame):
    app.query_params.update({"start": "2026-07-01", "end": "2026-07-31"})
    at = app.run()
    caption = at.caption[0].value
    assert "the KPIs use their own windows up to that day" in caption
    assert _metric(at, "Last 30 days") == money(_cost(sample_frame, AS_OF - dt.timedelta(days=29), SAMPLE_END))


def test_link_dates_outside_the_data_are_a_notice_and_presets_set_the_range(app, sample_frame):
    app.query_params.update({"start": "2020-01-01", "end": "2020-01-31"})
    at = app.run()
    notice = at.sidebar.warning[0].value.replace("\\", "")
    assert "dates 2020-01-01 – 2020-01-31 are outside the data" in notice and "default range is shown" in notice
    assert at.sidebar.date_input(key="f_range").value == (RANGE_START, AS_OF)  # not a single day
    at.sidebar.selectbox(key="f_preset").select("Last month").run()
    assert at.sidebar.date_input(key="f_range").value == (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert at.query_params["start"] in ("2026-10-01", ["2026-10-01"])
    explore = at.switch_page("../pages/explore.py").run()
    october = in_range(sample_frame, dt.date(2026, 10, 1), dt.date(2026, 11, 1))
    assert f"${october['EffectiveCost'].sum():,.2f} in total" in next(c.value for c in explore.caption if "in total" in c.value)


def test_a_half_picked_range_keeps_the_previous_one(app, sample_frame):
    at = app.run()
    before = _metric(at, "Last 30 days")
    at.sidebar.date_input(key="f_range").set_value((dt.date(2026, 9, 1),)).run()  # the first click only
    assert any("Pick the last day too" in c.value for c in at.sidebar.caption)
    assert at.query_params["start"] in (RANGE_START.isoformat(), [RANGE_START.isoformat()])  # URL unchanged
    assert _metric(at, "Last 30 days") == before


def test_explore_draws_weeks_and_days_as_areas_and_marks_a_partial_month(app):
    import json as _json

    at = app.run()
    at.switch_page("../pages/explore.py").run()
    chart = at.get("vega_lite_chart")[0].proto
    spec = _json.loads(chart.spec)
    assert spec["mark"]["type"] == "bar" and spec["encoding"]["opacity"]["condition"]["value"] == 1.0
    import pyarrow as pa

    tables = [pa.ipc.open_stream(d.data.data).read_all() for d in chart.datasets]
    notes = {n for t in tables if "note" in t.column_names for n in t.column("note").to_pylist()}
    assert "partial: to 15 Nov" in notes  # the sample ends on 15 Nov: November is drawn paler, and said so
    at.selectbox(key="x_grain").select("week").run()
    spec = _json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert spec["mark"]["type"] == "area"  # not hundreds of hair-thin bars


def test_a_link_reproduces_each_pages_own_controls(app, sample_frame):
    app.query_params.update({"provider": "AWS", "group": "tag:team", "grain": "week", "top": "5"})
    at = app.run()
    at.switch_page("../pages/explore.py").run()
    assert (at.selectbox(key="x_by").value, at.selectbox(key="x_grain").value, at.number_input(key="x_top").value) \
        == ("tag:team", "week", 5)
    assert at.query_params["group"] in ("tag:team", ["tag:team"]) and at.query_params["provider"] in ("AWS", ["AWS"])
    aws = in_range(sample_frame[sample_frame["ProviderName"] == "AWS"])
    assert f"${aws['EffectiveCost'].sum():,.2f} in total" in next(c.value for c in at.caption if "in total" in c.value)

    forecast = app_test()
    forecast.query_params.update({"dimension": "ServiceName", "horizon": "14", "interval": "0.9", "fc_top": "3"})
    forecast.run()
    forecast.switch_page("../pages/forecast.py").run()
    assert (forecast.selectbox(key="fc_dimension").value, forecast.slider(key="fc_horizon").value,
            forecast.slider(key="fc_top").value) == ("ServiceName", 14, 3)
    assert any(m.label == "Forecast, next 14 days" for m in forecast.metric)

    anomalies = app_test()
    anomalies.query_params.update({"monitor": "ProviderName", "usage": "false", "group": "Nope"})
    anomalies.run()
    anomalies.switch_page("../pages/anomalies.py").run()
    assert anomalies.selectbox(key="an_level").value == "ProviderName" and not anomalies.checkbox(key="an_usage").value
    assert "group" not in anomalies.query_params  # another page's control is not carried along


def test_a_link_value_a_page_cannot_show_is_a_notice(app):
    app.query_params.update({"grain": "fortnight"})
    at = app.run()
    at.switch_page("../pages/explore.py").run()
    assert at.selectbox(key="x_grain").value == "month"
    assert "Grain 'fortnight' from the link is not available here" in at.warning[0].value.replace("\\", "")


def test_tags_page_warns_about_one_key_written_two_ways(tmp_path, monkeypatch):
    from analysis.store.cache import Delivery, FocusCache

    start = pd.date_range("2026-10-01", periods=4, freq="D", tz="UTC")
    frame = pd.DataFrame({"ChargePeriodStart": start, "ChargePeriodEnd": start + pd.Timedelta(days=1),
                          "BilledCost": 1.0, "EffectiveCost": 1.0, "BillingCurrency": "USD", "ProviderName": "AWS",
                          "ResourceId": ["a", "b", "c", "d"],
                          "Tags": ['{"cost-center": "1"}', '{"costcenter": "2"}', '{"team": "x"}', None]})
    FocusCache(tmp_path / "cache").load([Delivery("keys.csv", [frame], "k")])
    monkeypatch.setenv("FINOPS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("FINOPS_WORKSPACE", str(tmp_path / "workspace"))
    at = app_test().run()
    at.switch_page("../pages/tags.py").run()
    warning = next(w.value for w in at.warning if "written in different ways" in w.value).replace("\\", "")
    assert "**cost-center**, **costcenter**" in warning


def test_explore_can_leave_other_out_of_the_chart(app):
    import json as _json

    import pyarrow as pa

    at = app.run()
    at.switch_page("../pages/explore.py").run()
    at.toggle(key="x_other").set_value(False).run()
    chart = at.get("vega_lite_chart")[0].proto
    series = {s for d in chart.datasets for s in pa.ipc.open_stream(d.data.data).read_all().column("series").to_pylist()}
    assert "Other" not in series and len(series) == 10
    assert "The chart shows the 10 largest" in next(c.value for c in at.caption if "largest" in c.value)
    assert _json.loads(chart.spec)["mark"]["type"] == "bar"
