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


def test_a_triage_is_found_from_other_monitors_only_on_overlapping_days_and_a_matching_scope(tmp_path):
    from analysis.anomalies.triage import find_triage

    saved = event_id("ServiceName", "EC2", dt.date(2026, 3, 2))
    save_triage(tmp_path, saved, "expected", "migration", days=(dt.date(2026, 3, 2), dt.date(2026, 3, 4)),
                scope={"ServiceName": "EC2", "RegionId": "us-east-1"})
    items = load_triage(tmp_path)
    total = find_triage(items, "(total)|Total|2026-03-03", {}, dt.date(2026, 3, 3), dt.date(2026, 3, 9))
    assert total.triage.comment == "migration" and total.via == saved
    region = find_triage(items, "x", {"RegionId": "us-east-1"}, dt.date(2026, 3, 1), dt.date(2026, 3, 2))
    assert region.via == saved
    assert find_triage(items, "x", {"RegionId": "eu-west-1"}, dt.date(2026, 3, 2), dt.date(2026, 3, 2)) is None
    assert find_triage(items, "x", {"ProviderName": "AWS"}, dt.date(2026, 3, 2), dt.date(2026, 3, 2)) is None
    assert find_triage(items, "x", {}, dt.date(2026, 3, 5), dt.date(2026, 3, 8)) is None  # the day after
    own = find_triage(items, saved, {"ServiceName": "EC2"}, dt.date(2026, 3, 2), dt.date(2026, 3, 4))
    assert own.via is None
