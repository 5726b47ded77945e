"""The Anomalies page: events match the detector on pandas-built daily series; triage is kept."""

import pandas as pd
import pytest
import yaml

from analysis.anomalies import detect_anomalies, group_events
from analysis.anomalies.holidays import load_holiday_settings
from tests.app.conftest import RANGE_START


def test_events_match_the_detector_and_triage_is_saved(app, sample_frame, tmp_path):
    at = app.run()
    at.switch_page("../pages/anomalies.py").run()
    assert not at.exception
    usage = sample_frame[sample_frame["ChargeCategory"] == "Usage"]
    daily = (usage.assign(date=usage["ChargePeriodStart"].dt.tz_localize(None).dt.normalize())
             .groupby(["date", "ServiceName"], as_index=False)["EffectiveCost"].sum()
             .rename(columns={"EffectiveCost": "cost"}))
    holidays = load_holiday_settings(tmp_path / "workspace").days(daily["date"].min(), daily["date"].max())
    events = group_events(detect_anomalies(daily, ("ServiceName",), min_impact=100, min_impact_pct=10,
                                           holidays=holidays), ("ServiceName",))
    events = events[events["end"] >= pd.Timestamp(RANGE_START)]
    top = events.loc[events["impact"].abs().idxmax()]
    table = at.dataframe[0].value
    assert len(table) == len(events)
    assert table["group"].iloc[0] == top["ServiceName"]
    assert table["impact"].iloc[0] == pytest.approx(top["impact"], abs=0.01)

    at.radio[0].set_value("investigating")
    at.text_area[0].input("Checking the CDN logs")
    next(b for b in at.button if b.label == "Save triage").click().run()
    saved = yaml.safe_load((tmp_path / "workspace" / "anomaly_triage.yaml").read_text())
    (entry,) = saved.values()
    assert entry["status"] == "investigating" and entry["comment"] == "Checking the CDN logs"
    assert at.dataframe[0].value["status"].iloc[0] == "investigating"


def test_a_stricter_threshold_shows_fewer_events(app):
    at = app.run()
    at.switch_page("../pages/anomalies.py").run()
    before = len(at.dataframe[0].value)
    at.number_input(key="an_min").set_value(3000.0)
    next(b for b in at.button if b.label == "Scan").click().run()
    after = at.dataframe[0].value if at.dataframe else []
    assert len(after) < before
    assert all(abs(v) >= 3000 for v in after["impact"]) if len(after) else True


def test_root_cause_can_break_down_by_resource(app):
    at = app.run()
    at.switch_page("../pages/anomalies.py").run()
    at.multiselect(key="an_dims").set_value(["ResourceName"]).run()
    assert not at.exception
    why = at.dataframe[-1].value
    assert why.columns[0] == "contributor" and why["share"].sum() == pytest.approx(1.0, abs=0.05)


def test_monitor_by_allocation_owner(app):
    at = app.run()
    at.switch_page("../pages/anomalies.py").run()
    at.selectbox(key="an_level").select("alloc:Team")
    next(b for b in at.button if b.label == "Scan").click().run()
    assert not at.exception
    groups = set(at.dataframe[0].value["group"]) if at.dataframe else set()
    owners = {"data", "finance-apps", "platform", "storefront", "payments", "ml", "security", "Unallocated"}
    assert groups and groups <= owners


def test_triage_saved_by_someone_else_meanwhile_is_not_overwritten(app, tmp_path):
    from analysis.anomalies.triage import load_triage, save_triage

    at = app.run()
    at.switch_page("../pages/anomalies.py").run()
    (event_id,) = [k for k in at.session_state["triage_seen"]]
    save_triage(tmp_path / "workspace", event_id, "expected", "planned, says finance")  # another session
    at.radio[0].set_value("resolved")
    at.text_area[0].input("my note")
    next(b for b in at.button if b.label == "Save triage").click().run()
    assert "was triaged by someone else since you opened it (now 'expected'" in at.error[0].value.replace("\\", "")
    assert load_triage(tmp_path / "workspace")[event_id].comment == "planned, says finance"
    assert at.text_area[0].value == "planned, says finance"  # the form now shows their triage
    at.text_area[0].input("my note")  # and a save made after seeing it goes through
    next(b for b in at.button if b.label == "Save triage").click().run()
    assert load_triage(tmp_path / "workspace")[event_id].comment == "my note"


def test_events_triaged_as_done_can_be_hidden(app, workspace):
    from analysis.anomalies.triage import save_triage

    at = app.run()
    at.switch_page("../pages/anomalies.py").run()
    before = at.dataframe[0].value
    (top,) = list(at.session_state["triage_seen"])
    save_triage(workspace, top, "resolved", "fixed the CDN config")
    at.toggle(key="an_hide_done").set_value(True).run()
    after = at.dataframe[0].value
    assert len(after) == len(before) - 1 and "resolved" not in set(after["status"])


def test_an_event_triaged_under_one_monitor_shows_under_the_others(app, tmp_path):
    """Triaged once under the service monitor (BigQuery, 7 Nov), the same event under the sub-account and
    region monitors shows that triage; other groups on overlapping days do not."""
    at = app.run()
    at.switch_page("../pages/anomalies.py").run()
    top = at.dataframe[0].value.iloc[0]
    assert (top["group"], f"{top['start']:%Y-%m-%d}") == ("BigQuery", "2026-11-07")
    at.radio[0].set_value("expected")
    at.text_area[0].input("Planned backfill")
    next(b for b in at.button if b.label == "Save triage").click().run()
    entry = next(iter(yaml.safe_load((tmp_path / "workspace" / "anomaly_triage.yaml").read_text()).values()))
    assert entry["scope"] == {"ServiceName": "BigQuery", "SubAccountName": "bigdata-warehouse",
                              "RegionId": "us-central1"}
    assert (entry["start"], entry["end"]) == ("2026-11-07", "2026-11-07")

    for level, group in (("SubAccountName", "bigdata-warehouse"), ("RegionId", "us-central1")):
        at.selectbox(key="an_level").set_value(level)
        next(b for b in at.button if b.label == "Scan").click().run()
        table = at.dataframe[0].value
        same = (table["group"] == group) & (table["start"] == pd.Timestamp("2026-11-07"))
        assert list(table.loc[same, "status"]) == ["expected · via BigQuery"]
        assert set(table.loc[~same, "status"]) == {"new"}  # us-east-1's drift spans 7 Nov too, and stays new
    at.session_state["an_event"] = "RegionId|us-central1|2026-11-07"  # as a shared link selects it
    at.run()
    assert at.radio[0].value == "expected" and at.text_area[0].value == "Planned backfill"
    assert any("Triaged under the Service monitor (BigQuery, from 2026-11-07)" in c.value.replace("\\", "")
               for c in at.caption)
