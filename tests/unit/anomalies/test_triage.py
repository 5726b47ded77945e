import datetime as dt

import pytest

from analysis.anomalies.triage import TriageError, event_id, load_triage, save_triage


def test_triage_round_trip_keeps_other_events(tmp_path):
    first = event_id("ServiceName", "BigQuery", dt.date(2026, 11, 7))
    second = event_id("(total)", "Total", dt.date(2026, 10, 2))
    save_triage(tmp_path, first, "investigating", " looking at it ")
    save_triage(tmp_path, second, "expected", "planned migration")
    items = load_triage(tmp_path)
    assert items[first].status == "investigating" and items[first].comment == "looking at it"
    assert items[second].status == "expected"


def test_a_bad_status_in_the_file_is_named(tmp_path):
    (tmp_path / "anomaly_triage.yaml").write_text("ServiceName|EC2|2026-01-01: {status: ignored}\n")
    with pytest.raises(TriageError, match="event 'ServiceName|EC2|2026-01-01', field status"):
        load_triage(tmp_path)
