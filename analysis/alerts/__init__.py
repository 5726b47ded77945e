"""Alerts: anomaly events and budget thresholds delivered once to webhooks and email (`python -m analysis alerts`)."""
