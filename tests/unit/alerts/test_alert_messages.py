"""What an alert message says, and that text from a bill stays text in every format; the resend rule; where
credentials are read from."""

import json

from analysis.alerts.find import Alert
from analysis.alerts.send import (
    email_message,
    json_payload,
    secret,
    slack_payload,
    teams_escape,
    teams_payload,
)
from analysis.alerts.state import due, last_sent, load_sent, mark_sent

HOSTILE = "<!channel> *Bold* <https://evil.example|click> & <script>alert(1)</script> [x](https://evil.example)"
ALERT = Alert(key="anomaly|Svc|ServiceName|x|2026-11-01", source="monitor:Svc", title=f"Svc: spike of +1,234.56 USD in {HOSTILE}",
              where=f"Service: {HOSTILE}", impact=1234.56, currency="USD", when="2026-11-01 to 2026-11-01 (1 day)",
              cause=(f"{HOSTILE} · prod · us-east-1: +1,200.00 USD",), link="https://finops.example.com/anomalies?a=1&b=2",
              facts={"kind": "anomaly", "group": HOSTILE})


def test_slack_text_cannot_mention_or_link():
    payload = json.dumps(slack_payload([ALERT]))
    assert "<!channel>" not in payload and "<https://evil" not in payload and "<script>" not in payload
    assert "&lt;!channel&gt;" in payload
    assert "<https://finops.example.com/anomalies?a=1&amp;b=2|Open in FinOps Workbench>" in payload


def test_teams_text_is_escaped_markdown_and_the_link_is_a_button():
    card = teams_payload([ALERT])["attachments"][0]["content"]
    texts = [b["text"] for b in card["body"] if b["type"] == "TextBlock"]
    assert teams_escape("[x](https://evil.example)") in texts[1] and "[x](https" not in texts[1]
    (actions,) = [b for b in card["body"] if b["type"] == "ActionSet"]
    assert actions["actions"][0]["url"] == ALERT.link


def test_email_has_a_text_part_and_an_html_part_with_the_bill_text_escaped():
    message = email_message([ALERT], "finops@example.com", "ops@example.com", test=True)
    text = message.get_body(("plain",)).get_content()
    page = message.get_body(("html",)).get_content()
    assert HOSTILE in text and "+1,234.56 USD" in text and "test alert" in text
    assert "<script>" not in page and "&lt;script&gt;" in page and "&lt;!channel&gt;" in page
    assert message["Subject"].startswith("TEST: FinOps Workbench test alert (1 alert)")
    assert len(message["Subject"]) <= 68 and message["Subject"].endswith("...")


def test_json_carries_the_figures_as_numbers():
    (sent,) = json_payload([ALERT])["alerts"]
    assert sent["impact"] == 1234.56 and sent["group"] == HOSTILE and sent["link"] == ALERT.link


def test_an_alert_is_due_once_and_again_when_its_impact_grew_by_the_setting(tmp_path):
    assert due(load_sent(tmp_path), ALERT.key, "ops", 100.0, 0.2)
    mark_sent(tmp_path, "ops", [(ALERT.key, 100.0, "monitor:Svc")])
    sent = load_sent(tmp_path)
    assert not due(sent, ALERT.key, "ops", 100.0, 0.2) and not due(sent, ALERT.key, "ops", 119.99, 0.2)
    assert due(sent, ALERT.key, "ops", 120.0, 0.2) and due(sent, ALERT.key, "ops", -130.0, 0.2)
    assert due(sent, ALERT.key, "elsewhere", 100.0, 0.2)  # each destination on its own
    assert set(last_sent(tmp_path)) == {"monitor:Svc"}


def test_credentials_come_from_the_environment_else_the_secrets_file(tmp_path, monkeypatch):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[alerts]\nOPS_HOOK = "https://hooks.example.com/from-file"\n[other]\nOPS_MAIL = "no"\n')
    monkeypatch.delenv("OPS_HOOK", raising=False)
    monkeypatch.delenv("OPS_MAIL", raising=False)
    assert secret("OPS_HOOK", secrets) == "https://hooks.example.com/from-file"
    assert secret("OPS_MAIL", secrets) is None and secret("OPS_HOOK", tmp_path / "missing.toml") is None
    monkeypatch.setenv("OPS_HOOK", "https://hooks.example.com/from-env")
    assert secret("OPS_HOOK", secrets) == "https://hooks.example.com/from-env"
