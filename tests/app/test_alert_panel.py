"""The Anomalies page's alert monitors: whom each alerts and when it last sent; an admin's test alert reaches a
real local HTTP server and SMTP server (a channel that is down is named); viewers get no test button and see only
monitors inside their scope; an alert's link opens the page on its event."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from analysis.alerts.config import parse_alerts
from analysis.alerts.find import anomaly_alerts
from analysis.alerts.state import FILE_NAME as SENT_FILE
from analysis.query import local_queries
from app.ui import money
from tests.app.conftest import app_test, button
from tests.app.test_sign_in import AUTH
from tests.conftest import SAMPLE_END
from tests.servers import free_port, smtp_receiver, webhook_receiver

ACCESS = """default_role: none
grants:
  - who: {group: finops-admins}
    role: admin
  - who: {email: vic@example.com}
    role: viewer
  - who: {email: carol@example.com}
    role: viewer
    scope: {SubAccountName: prod-payments}
"""


def plain(text: str) -> str:
    """Shown Markdown as read: without the escapes and word joiners `app.ui.md` adds."""
    return text.replace("\\", "").replace("\u2060", "")


def settings(smtp_port: int) -> dict:
    return {"app_url": "https://finops.example.com", "channels": [
        {"name": "ops-json", "webhook": {"format": "json", "url_secret": "PANEL_HOOK"}},
        {"name": "broken", "webhook": {"format": "slack", "url_secret": "PANEL_DOWN"}},
        {"name": "mail", "email": {"to": ["ops@example.com", "lead@example.com"],
                                   "smtp": {"host": "127.0.0.1", "port": smtp_port, "from": "finops@example.com"}}}],
        "monitors": [{"name": "Services", "dimension": "ServiceName", "channels": ["ops-json", "mail"]},
                     {"name": "Payments", "scope": {"SubAccountName": "prod-payments"}, "channels": ["broken"]},
                     {"name": "Data", "scope": {"SubAccountName": "data-platform"}, "channels": ["ops-json"]}],
        "budgets": [{"owner": "finance@example.com", "channels": ["ops-json"]}]}


@pytest.fixture
def page(app, workspace):
    """`open(user)`: the Anomalies page (as the operator without `user`), alerts.yaml pointing at `smtp_port`
    (`app` points the environment at the sample cache and the test's workspace)."""
    workspace.mkdir()
    (workspace / SENT_FILE).write_text(json.dumps({"sent": {"anomaly|Services|ServiceName|BigQuery|2026-11-07": {
        "ops-json": {"impact": 4762.38, "at": "2026-11-16T06:00:00+00:00", "source": "monitor:Services"}}}}))

    def open_page(smtp_port: int, user: dict | None = None):
        (workspace / "alerts.yaml").write_text(yaml.safe_dump(settings(smtp_port)))
        at = app_test()
        if user:
            (workspace / "access.yaml").write_text(ACCESS)
            at.secrets["auth"] = AUTH
            at.user = {"is_logged_in": True, "email_verified": True} | user
        at.run()
        return at.switch_page("../pages/anomalies.py").run()

    return open_page, workspace


def test_monitors_show_whom_they_alert_and_when_they_last_sent(page):
    open_page, _ = page
    at = open_page(2525)
    table = at.dataframe[0].value.set_index("Monitor")
    assert list(table.index) == ["Services", "Payments", "Data"]
    assert table.loc["Services", "Alerts"] == "ops-json (JSON webhook); mail: ops@example.com, lead@example.com"
    assert table.loc["Payments", "Alerts"] == "broken (Slack webhook)"
    assert table.loc["Services", "Last sent"] == "16 Nov 2026, 06:00 UTC" and table.loc["Data", "Last sent"] == "never"
    assert table.loc["Payments", "Watches"] == "Total spend · Sub-account: prod-payments"


def test_an_admin_sends_a_test_alert_and_sees_each_channel_answer(page, monkeypatch):
    open_page, workspace = page
    with webhook_receiver() as hook, smtp_receiver(refuse=("lead@example.com",)) as smtp:
        monkeypatch.setenv("PANEL_HOOK", f"http://127.0.0.1:{hook.port}/hook")
        at = open_page(smtp.port)
        at.selectbox(key="al_test_monitor").select("Services")
        button(at, "Send a test alert").click().run()
    ((_, body),) = hook
    assert body["test"] is True and body["alerts"][0]["title"] == "Test of the monitor Services"
    ((to, message),) = smtp
    assert to == "ops@example.com" and message["Subject"].startswith("TEST:")
    assert [plain(s.value) for s in at.success] == ["Test alert sent to ops-json.", "Test alert sent to mail:ops@example.com."]
    (error,) = at.error
    error = plain(error.value)
    assert "mail:lead@example.com" in error and "refused the address lead@example.com" in error
    trail = [json.loads(line) for line in (workspace / "audit.jsonl").read_text().splitlines()]
    assert [(e["action"], e["target"], e["ok"]) for e in trail] == [
        ("alert", "ops-json", True), ("alert", "mail:ops@example.com", True), ("alert", "mail:lead@example.com", False)]
    assert not json.loads((workspace / SENT_FILE).read_text())["sent"].get("test")  # a test is not an event sent


def test_an_admin_tests_a_budget_owner_s_route(page, monkeypatch):
    open_page, workspace = page
    with webhook_receiver() as hook:
        monkeypatch.setenv("PANEL_HOOK", f"http://127.0.0.1:{hook.port}/hook")
        at = open_page(2525)
        at.selectbox(key="al_test_monitor").select("Budget alerts of finance@example.com")
        button(at, "Send a test alert").click().run()
    ((_, body),) = hook
    assert body["test"] is True and body["alerts"][0]["title"] == "Test of the budget alerts of finance@example.com"
    assert body["alerts"][0]["link"].startswith("https://finops.example.com/budgets?")
    assert [plain(s.value) for s in at.success] == ["Test alert sent to ops-json."]
    trail = [json.loads(line) for line in (workspace / "audit.jsonl").read_text().splitlines()]
    assert trail[-1]["detail"] == "test alert of budget owner finance@example.com"


def test_a_channel_that_is_down_or_not_configured_is_named(page, monkeypatch):
    open_page, _ = page
    monkeypatch.setenv("PANEL_DOWN", f"http://127.0.0.1:{free_port()}/hook")
    at = open_page(2525)
    at.selectbox(key="al_test_monitor").select("Payments")
    button(at, "Send a test alert").click().run()
    (error,) = at.error
    assert "Not sent to broken: channel 'broken': the webhook cannot be reached" in plain(error.value)
    monkeypatch.delenv("PANEL_DOWN")
    button(at, "Send a test alert").click().run()
    assert "not configured (PANEL_DOWN is not set" in plain(at.warning[0].value)


def test_viewers_get_no_test_button_and_see_only_monitors_inside_their_scope(page):
    open_page, _ = page
    viewer = open_page(2525, {"email": "vic@example.com"})
    assert len(viewer.dataframe[0].value) == 3
    assert not {"Send a test alert", "Save alert settings"} & {b.label for b in viewer.button}
    assert not viewer.text_area  # the settings (channels, addresses) are an admin's
    carol = open_page(2525, {"email": "carol@example.com"})
    assert list(carol.dataframe[0].value["Monitor"]) == ["Payments"]
    admin = open_page(2525, {"email": "dana@example.com", "groups": ["finops-admins"]})
    assert {"Send a test alert", "Save alert settings"} <= {b.label for b in admin.button}


def test_an_admin_edits_alerts_yaml_and_a_bad_setting_is_named_and_not_saved(page):
    open_page, workspace = page
    at = open_page(2525)
    before = (workspace / "alerts.yaml").read_text()
    at.text_area(key="al_text").input(before + "holidays: {country: XX}\n")
    button(at, "Save alert settings").click().run()
    assert "alerts.yaml, holidays: field country" in plain(at.error[0].value)
    assert (workspace / "alerts.yaml").read_text() == before  # nothing written
    at.text_area(key="al_text").input(before.replace("name: Data", "name: Data team") + "holidays: {country: GB}\n")
    button(at, "Save alert settings").click().run()
    saved = yaml.safe_load((workspace / "alerts.yaml").read_text())
    assert saved["holidays"] == {"country": "GB"} and saved["monitors"][2]["name"] == "Data team"
    assert any("Alert settings saved" in s.value for s in at.success)
    assert list((workspace / ".history").glob("alerts*"))  # the previous version is kept
    at.run()
    assert "Data team" in list(at.dataframe[0].value["Monitor"])


def test_an_invalid_alerts_yaml_is_named_and_an_admin_can_mend_it_on_the_page(page):
    open_page, workspace = page
    at = open_page(2525)
    (workspace / "alerts.yaml").write_text("monitors: [{name: X, channels: [nowhere]}]\n")
    at.run()
    assert "Alert settings cannot be read" in at.error[0].value
    at.text_area(key="al_text").input("monitors: []\n")
    button(at, "Save alert settings").click().run()
    assert (workspace / "alerts.yaml").read_text() == "monitors: []\n"


def test_an_alerts_link_opens_the_page_on_its_event(app, sample_cache):
    config = parse_alerts(yaml.safe_dump({"app_url": "https://finops.example.com", "channels": [
        {"name": "ops", "webhook": {"format": "json", "url_secret": "X"}}], "monitors": [
        {"name": "AWS services", "dimension": "ServiceName", "scope": {"ProviderName": "AWS"}, "channels": ["ops"]}]}))
    alerts = anomaly_alerts(local_queries(sample_cache), config, config.monitors[0], "USD", SAMPLE_END - dt.timedelta(1),
                            dt.date(2026, 9, 1), None, {})
    alert = alerts[-1]  # not the largest: the link, not the default, selects it
    params = parse_qs(urlsplit(alert.link).query)
    app.query_params.update({k: v if len(v) > 1 else v[0] for k, v in params.items()})
    at = app.run()
    at.switch_page("../pages/anomalies.py").run()
    assert not at.warning, [w.value for w in at.warning]
    assert at.selectbox(key="an_level").value == "ServiceName" and at.session_state["f_provider"] == ["AWS"]
    assert at.session_state["an_event"] == alert.facts["event"]
    impact = next(m for m in at.metric if m.label == "Impact (actual − expected)").value
    assert impact == money(alert.impact, "USD")
