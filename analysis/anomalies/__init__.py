"""Anomalies: the detection engine, detection and explanation, monitors over the query layer, triage."""

from analysis.anomalies.detect import detect_anomalies, expected_band, explain_anomaly, group_events

__all__ = ["detect_anomalies", "expected_band", "explain_anomaly", "group_events"]
