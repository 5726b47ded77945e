"""alerts.yaml: the shipped example is valid, mistakes are named by item and field, credentials are refused
without being echoed, and the holiday calendar under `holidays:` is left to its own reader."""

import pytest
import yaml

from analysis.alerts.config import AlertsError, AlertsStore, parse_alerts
from tests.conftest import ROOT

HOOK = {"name": "ops", "webhook": {"format": "slack", "url_secret": "OPS_HOOK"}}


def parsed(**fields) -> object:
    return parse_alerts(yaml.safe_dump({"channels": [HOOK], **fields}))


def test_the_shipped_example_is_valid_and_routes_monitors_and_owners():
    config = AlertsStore(ROOT / "data" / "workspace").config()
    assert [m.name for m in config.monitors] == ["Total spend", "Services"]
    assert config.monitor("Services").by == ("ServiceName",) and config.monitor("Total spend").by == ()
    assert {r.owner for r in config.budgets} == {"finance@example.com", "platform-leads@example.com"}
    assert config.resend_growth == 0.2


def test_the_holiday_calendar_is_accepted_as_it_is():
    config = parsed(holidays={"country": "GB", "dates": ["2026-08-03"], "anything": [1, 2]})
    assert config.holidays == {"country": "GB", "dates": ["2026-08-03"], "anything": [1, 2]}


@pytest.mark.parametrize(("fields", "message"), [
    ({"monitors": [{"name": "Svc", "channels": ["nope"]}]},
     "alerts.yaml, monitor 'Svc', field channels: no channel is named 'nope' (channels: ops)"),
    ({"monitors": [{"name": "Svc", "channels": ["ops"], "sensitivity": 2}]},
     "alerts.yaml, monitor 'Svc', field sensitivity: Input should be less than or equal to 1"),
    ({"monitors": [{"name": "Svc", "channels": ["ops"], "metric": "Cost"}]},
     "alerts.yaml, monitor 'Svc', field metric: unknown metric 'Cost'"),
    ({"monitors": [{"name": "Svc", "channels": ["ops"], "scope": {"ResourceId": "i-1"}}]},
     "alerts.yaml, monitor 'Svc', field scope: 'ResourceId' is not a sidebar filter"),
    ({"monitors": [{"name": "A", "channels": ["ops"]}, {"name": "a", "channels": ["ops"]}]},
     "alerts.yaml, monitor 'a', field name: two monitors are named 'a'"),
    ({"budgets": [{"owner": "x@example.com", "channels": ["mail"]}]},
     "alerts.yaml, owner 'x@example.com', field channels: no channel is named 'mail'"),
    ({"resend_growth": -1}, "alerts.yaml, field resend_growth"),
    ({"app_url": "ftp://x"}, "alerts.yaml, field app_url"),
])
def test_mistakes_name_the_item_and_the_field(fields, message):
    with pytest.raises(AlertsError) as error:
        parsed(**fields)
    assert message in str(error.value)


def test_a_channel_is_a_webhook_or_an_email_with_addresses():
    with pytest.raises(AlertsError, match="channel 'both', give exactly one of 'webhook' or 'email'"):
        parse_alerts(yaml.safe_dump({"channels": [{**HOOK, "name": "both", "email": {"to": ["a@example.com"]}}]}))
    with pytest.raises(AlertsError, match=r"channel 'mail', field email.to: 'finance' is not an email address"):
        parse_alerts(yaml.safe_dump({"channels": [{"name": "mail", "email": {"to": ["finance"]}}]}))


@pytest.mark.parametrize("channel", [
    {"name": "leak", "webhook": {"format": "slack", "url": "https://hooks.slack.com/services/T0/B0/XyZsecret"}},
    {"name": "leak", "webhook": {"format": "slack", "url_secret": "https://hooks.slack.com/services/T0/B0/XyZsecret"}},
    {"name": "leak", "email": {"to": ["a@example.com"], "smtp": {"host": "mail", "password": "XyZsecret"}}},
    {"name": "leak", "email": {"to": ["a@example.com"], "smtp": {"host": "user:XyZsecret@mail"}}},
])
def test_a_credential_in_the_file_is_refused_without_being_echoed(channel):
    with pytest.raises(AlertsError) as error:
        parse_alerts(yaml.safe_dump({"channels": [channel]}))
    assert "alerts.yaml, channel 'leak', field" in str(error.value) and "XyZsecret" not in str(error.value)


def test_a_bad_file_is_not_saved(tmp_path):
    store = AlertsStore(tmp_path)
    with pytest.raises(AlertsError, match="YAML syntax error at line 1"):
        store.save("channels: [", store.read()[1])
    assert not store.path.exists()
