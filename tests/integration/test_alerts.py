"""`python -m analysis alerts` against real local servers: an HTTP server for the webhooks and an SMTP server
(aiosmtpd) for email, both started by the tests on free loopback ports; what arrived is checked against the
query layer."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from contextlib import ExitStack
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from analysis.__main__ import main
from analysis.anomalies.monitor import root_cause, scan
from analysis.anomalies.triage import event_id, save_triage
from analysis.budgets.evaluate import evaluate
from analysis.budgets.model import parse_budgets
from analysis.query import Filters, local_queries
from analysis.query.acting import viewing_as
from tests.access_files import write_scoped_access
from tests.conftest import ROOT, SAMPLE_END
from tests.servers import free_port, smtp_receiver, webhook_receiver

pytestmark = pytest.mark.integration
SINCE = dt.date(2026, 9, 1)
TOKEN = "T0KEN-s3cr3t-9f8e7d"  # in every webhook URL: it must never be printed or logged
PASSWORD = "pa55-w0rd-1a2b3c"
BUDGETS = """budgets:
- name: AWS this month
  scope: {ProviderName: AWS}
  period: month
  amount: 1000
  alerts: [{actual: 80}]
  owner: ops@example.com
"""


@pytest.fixture
def ws(tmp_path, monkeypatch):
    folder = tmp_path / "workspace"
    shutil.copytree(ROOT / "data" / "workspace", folder, ignore=shutil.ignore_patterns(".history", "audit.jsonl"))
    (folder / "budgets.yaml").write_text(BUDGETS)
    monkeypatch.setenv("FINOPS_WORKSPACE", str(folder))
    return folder


def hook(port: int) -> str:
    return f"http://127.0.0.1:{port}/hooks/{TOKEN}"


def configure(ws, channels: list[dict], monitor_channels: list[str], owner_channels: list[str] = ()) -> None:
    config = {"app_url": "https://finops.example.com", "channels": channels,
              "monitors": [{"name": "Services", "dimension": "ServiceName", "channels": monitor_channels}]}
    if owner_channels:
        config["budgets"] = [{"owner": "ops@example.com", "channels": list(owner_channels)}]
    (ws / "alerts.yaml").write_text(yaml.safe_dump(config, sort_keys=False))


def mail_channel(port: int, to: list[str], login: bool = False) -> dict:
    smtp = {"host": "127.0.0.1", "port": port, "from": "finops@example.com"} | ({"login": "TEST_SMTP"} if login else {})
    return {"name": "mail", "email": {"to": to, "smtp": smtp}}


def alerts(sample_cache, capsys, *extra: str) -> tuple[int, str, str]:
    code = main(["--cache", str(sample_cache.root), "alerts", "--since", str(SINCE), *extra])
    out, err = capsys.readouterr()
    return code, out, err


def expected_events(sample_cache, restriction=None):
    """The monitor's events since SINCE, straight from the query layer (the Anomalies page's defaults)."""
    with viewing_as(restriction) if restriction else ExitStack():
        q = local_queries(sample_cache)
    filters = Filters(end=SAMPLE_END, currency="USD")
    events, _ = scan(q, filters, "EffectiveCost", ("ServiceName",), 0.5, 100.0, 10.0, True)
    return q, filters, events[events["end"] >= str(SINCE)]


def test_each_new_alert_reaches_webhooks_and_email_once(sample_cache, sample_frame, ws, monkeypatch, tmp_path):
    with webhook_receiver() as plain, webhook_receiver() as slack, smtp_receiver(login=("bot", PASSWORD)) as smtp:
        env = {"PATH": "/usr/bin:/bin", "FINOPS_WORKSPACE": str(ws), "HOOK_JSON": hook(plain.port),
               "HOOK_SLACK": hook(slack.port), "TEST_SMTP_USER": "bot", "TEST_SMTP_PASSWORD": PASSWORD}
        configure(ws, [{"name": "json-hook", "webhook": {"format": "json", "url_secret": "HOOK_JSON"}},
                       {"name": "slack-hook", "webhook": {"format": "slack", "url_secret": "HOOK_SLACK"}},
                       mail_channel(smtp.port, ["ops@example.com"], login=True)],
                  ["json-hook", "slack-hook", "mail"], ["json-hook"])

        def run() -> subprocess.CompletedProcess:
            return subprocess.run([sys.executable, "-m", "analysis", "--cache", str(sample_cache.root), "alerts",
                                   "--since", str(SINCE)], cwd=ROOT, env=env, capture_output=True, text=True,
                                  timeout=300, check=False)

        first = run()
        assert first.returncode == 0, first.stderr
        assert len(plain) == 1 and len(slack) == 1 and len(smtp) == 1
        second = run()
        assert second.returncode == 0, second.stderr
        assert len(plain) == 1 and len(slack) == 1 and len(smtp) == 1  # nothing the second time
        assert second.stdout.count("nothing new for") == 3
    for text in (first.stdout, first.stderr, second.stdout, second.stderr, (ws / "audit.jsonl").read_text()):
        assert TOKEN not in text and PASSWORD not in text

    q, filters, events = expected_events(sample_cache)
    path, body = plain[0]
    assert path == f"/hooks/{TOKEN}" and body["test"] is False
    anomalies = {a["event"]: a for a in body["alerts"] if a["kind"] == "anomaly"}
    assert len(anomalies) == len(events) > 0
    for _, event in events.iterrows():
        eid = event_id("ServiceName", event["ServiceName"], event["start"].date())
        sent = anomalies[eid]
        assert sent["impact"] == round(float(event["impact"]), 2)  # how much, to the cent
        assert sent["group"] == event["ServiceName"] and sent["start"] == str(event["start"].date())
        why = root_cause(q, filters, "EffectiveCost", ("ServiceName",), event["ServiceName"], event["peak_day"])
        assert sent["root_cause"][0]["delta"] == round(float(why.iloc[0]["delta"]), 2)
        assert sent["root_cause"][0]["SubAccountName"] == why.iloc[0]["SubAccountName"]
        link = urlsplit(sent["link"])
        params = parse_qs(link.query)
        assert link.netloc == "finops.example.com" and link.path == "/anomalies"
        assert params["monitor"] == ["ServiceName"] and params["event"] == [eid] and params["currency"] == ["USD"]
        assert params["start"][0] <= str(event["start"].date()) and params["end"] == [str(SAMPLE_END - dt.timedelta(1))]

    (budget,) = [a for a in body["alerts"] if a["kind"] == "budget"]
    days = sample_frame["ChargePeriodStart"].dt.date
    november = sample_frame[(days >= dt.date(2026, 11, 1)) & (days < SAMPLE_END)]
    assert budget["actual"] == pytest.approx(november.loc[november["ProviderName"] == "AWS", "EffectiveCost"].sum(),
                                             abs=0.01)
    assert budget["threshold"] == "actual 80%" and budget["period"] == "2026-11"

    _, message = smtp[0]
    assert message["To"] == "ops@example.com"
    text = message.get_body(("plain",)).get_content()
    page = message.get_body(("html",)).get_content()
    top = events.iloc[0]
    assert f"{top['impact']:+,.2f} USD" in text and f"{top['impact']:+,.2f} USD" in page
    assert top["ServiceName"] in text and "https://finops.example.com/anomalies?" in text
    assert len(slack[0][1]["blocks"]) == 1 + len(events)


def test_an_event_is_sent_again_when_its_impact_grew_by_the_setting(sample_cache, ws, monkeypatch, capsys):
    with webhook_receiver() as plain:
        monkeypatch.setenv("HOOK_JSON", hook(plain.port))
        configure(ws, [{"name": "json-hook", "webhook": {"format": "json", "url_secret": "HOOK_JSON"}}], ["json-hook"])
        assert alerts(sample_cache, capsys)[0] == 0
        sent = json.loads((ws / "alerts_sent.json").read_text())
        grown, barely, *_ = [k for k in sent["sent"] if k.startswith("anomaly|")]
        for key, growth in ((grown, 1.25), (barely, 1.1)):  # as if sent when the impact was smaller
            entry = sent["sent"][key]["json-hook"]
            entry["impact"] = round(entry["impact"] / growth, 2)
        (ws / "alerts_sent.json").write_text(json.dumps(sent))
        code, _, _ = alerts(sample_cache, capsys)
        assert code == 0 and len(plain) == 2
        assert [a["key"] for a in plain[1][1]["alerts"]] == [grown]


def test_an_event_triaged_as_expected_is_not_sent(sample_cache, ws, monkeypatch, capsys):
    _, _, events = expected_events(sample_cache)
    top = events.iloc[0]
    quiet = event_id("ServiceName", top["ServiceName"], top["start"].date())
    save_triage(ws, quiet, "expected", "planned load test", days=(top["start"].date(), top["end"].date()),
                scope={"ServiceName": top["ServiceName"]})
    with webhook_receiver() as plain:
        monkeypatch.setenv("HOOK_JSON", hook(plain.port))
        configure(ws, [{"name": "json-hook", "webhook": {"format": "json", "url_secret": "HOOK_JSON"}}], ["json-hook"])
        assert alerts(sample_cache, capsys)[0] == 0
    sent = {a.get("event") for a in plain[0][1]["alerts"]}
    assert quiet not in sent and len(sent) == len(events) - 1


def test_a_failing_channel_is_named_the_others_get_theirs_and_it_is_sent_later(sample_cache, ws, monkeypatch,
                                                                                  capsys):
    down = free_port()  # nothing listens here
    monkeypatch.setenv("HOOK_DOWN", hook(down))
    with webhook_receiver() as plain, smtp_receiver(refuse=("bob@example.com",)) as smtp:
        monkeypatch.setenv("HOOK_JSON", hook(plain.port))
        channels = [{"name": "json-hook", "webhook": {"format": "json", "url_secret": "HOOK_JSON"}},
                    {"name": "down-hook", "webhook": {"format": "teams", "url_secret": "HOOK_DOWN"}},
                    mail_channel(smtp.port, ["ops@example.com", "bob@example.com"])]
        configure(ws, channels, ["json-hook", "down-hook", "mail"])
        code, out, err = alerts(sample_cache, capsys)
        assert code == 1
        assert "channel 'down-hook': the webhook cannot be reached" in err
        assert "the mail server refused the address bob@example.com" in err
        assert TOKEN not in out + err
        assert len(plain) == 1 and [to for to, _ in smtp] == ["ops@example.com"]
        sent = json.loads((ws / "alerts_sent.json").read_text())["sent"]
        places = {place for destinations in sent.values() for place in destinations}
        assert places == {"json-hook", "mail:ops@example.com"}  # nothing marked sent that was not

    with webhook_receiver() as plain, webhook_receiver() as teams, smtp_receiver() as smtp:
        monkeypatch.setenv("HOOK_JSON", hook(plain.port))
        monkeypatch.setenv("HOOK_DOWN", hook(teams.port))  # the server is up now
        configure(ws, [*channels[:2], mail_channel(smtp.port, ["ops@example.com", "bob@example.com"])],
                  ["json-hook", "down-hook", "mail"])
        code, out, err = alerts(sample_cache, capsys)
        assert code == 0, err
        assert not plain and [to for to, _ in smtp] == ["bob@example.com"]
        (card,) = teams
        assert card[1]["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"


def test_a_scoped_recipient_gets_only_alerts_inside_their_scope(sample_cache, sample_frame, ws, monkeypatch,
                                                                 capsys):
    account = write_scoped_access(ws, sample_frame)
    others = set(sample_frame["SubAccountName"].unique()) - {account}
    with smtp_receiver() as smtp, webhook_receiver() as plain:
        monkeypatch.setenv("HOOK_JSON", hook(plain.port))
        as_carol = {"name": "carol-hook", "webhook": {"format": "json", "url_secret": "HOOK_JSON"},
                    "as": "carol@example.com"}
        configure(ws, [mail_channel(smtp.port, ["carol@example.com", "nobody@elsewhere.org", "admin@example.com"]),
                       as_carol], ["mail", "carol-hook"], ["mail", "carol-hook"])
        (ws / "access.yaml").write_text((ws / "access.yaml").read_text()
                                        + "  - who: {email: admin@example.com}\n    role: admin\n")
        code, _, err = alerts(sample_cache, capsys)
    assert code == 0, err
    assert "skipped mail:nobody@elsewhere.org: nobody@elsewhere.org has no grant in access.yaml" in err
    mails = dict(smtp)
    assert set(mails) == {"carol@example.com", "admin@example.com"}
    carol = (("SubAccountName", (account,)),)
    _, _, events = expected_events(sample_cache, (carol,))
    assert len(events) > 0
    hooked = plain[0][1]["alerts"]
    assert sorted(a["impact"] for a in hooked) == sorted(round(float(i), 2) for i in events["impact"])
    for message in (mails["carol@example.com"], json.dumps(hooked)):
        text = message if isinstance(message, str) else \
            message.get_body(("plain",)).get_content() + message.get_body(("html",)).get_content()
        assert not [name for name in others if name in text]
        assert "AWS this month" not in text  # a budget reaching beyond her scope: another team's name and amount
        for _, event in events.iterrows():
            assert f"{event['impact']:+,.2f} USD in {event['ServiceName']}" in text
    admin = mails["admin@example.com"].get_body(("plain",)).get_content()
    assert "AWS this month" in admin and len([n for n in others if n in admin]) > 0


def test_a_dry_run_sends_and_remembers_nothing(sample_cache, ws, monkeypatch, capsys):
    with webhook_receiver() as plain:
        monkeypatch.setenv("HOOK_JSON", hook(plain.port))
        configure(ws, [{"name": "json-hook", "webhook": {"format": "json", "url_secret": "HOOK_JSON"}}], ["json-hook"])
        code, out, _ = alerts(sample_cache, capsys, "--dry-run")
    assert code == 0 and "would send" in out and "to json-hook (dry run)" in out
    assert not plain and not (ws / "alerts_sent.json").exists()


def test_bad_settings_are_named_and_nothing_is_sent(sample_cache, ws, capsys, monkeypatch):
    with webhook_receiver() as plain:
        monkeypatch.setenv("HOOK_JSON", hook(plain.port))
        channel = {"name": "json-hook", "webhook": {"format": "json", "url_secret": "HOOK_JSON"}}
        configure(ws, [channel], ["json-hoook"])
        code, _, err = alerts(sample_cache, capsys)
        assert code == 2 and "monitor 'Services', field channels: no channel is named 'json-hoook'" in err
        (ws / "alerts.yaml").write_text(yaml.safe_dump({"channels": [
            {"name": "leaky", "webhook": {"format": "slack", "url_secret": f"https://hooks.slack.com/{TOKEN}"}}]}))
        code, _, err = alerts(sample_cache, capsys)
        assert code == 2 and "channel 'leaky', field webhook.url_secret" in err and TOKEN not in err
        configure(ws, [channel], ["json-hook"])
        config = yaml.safe_load((ws / "alerts.yaml").read_text())
        config["monitors"][0]["scope"] = {"ProviderName": "Oracle"}
        (ws / "alerts.yaml").write_text(yaml.safe_dump(config))
        code, _, err = alerts(sample_cache, capsys)
        assert code == 2 and "monitor 'Services', field scope: ProviderName: no cost has the value 'Oracle'" in err
        assert not plain and not (ws / "alerts_sent.json").exists()


def test_only_an_admin_sends_alerts(sample_cache, sample_frame, ws, capsys):
    write_scoped_access(ws, sample_frame)
    code = main(["--cache", str(sample_cache.root), "--as", "carol@example.com", "alerts"])
    assert code == 3 and "only an admin may send alerts" in capsys.readouterr().err


def test_budget_figures_match_the_budgets_package(sample_cache, ws, monkeypatch, capsys):
    with webhook_receiver() as plain:
        monkeypatch.setenv("HOOK_JSON", hook(plain.port))
        configure(ws, [{"name": "json-hook", "webhook": {"format": "json", "url_secret": "HOOK_JSON"}}],
                  ["json-hook"], ["json-hook"])
        assert alerts(sample_cache, capsys)[0] == 0
    (budget,) = [a for a in plain[0][1]["alerts"] if a["kind"] == "budget"]
    status = evaluate(local_queries(sample_cache), parse_budgets(BUDGETS)[0], SAMPLE_END - dt.timedelta(1), currency="USD")
    assert budget["forecast"] == round(status.forecast, 2) and budget["status"] == status.status == "over"


def test_two_runs_at_once_send_each_alert_once(sample_cache, ws):
    with webhook_receiver() as plain:
        configure(ws, [{"name": "json-hook", "webhook": {"format": "json", "url_secret": "HOOK_JSON"}}], ["json-hook"])
        env = {"PATH": "/usr/bin:/bin", "FINOPS_WORKSPACE": str(ws), "HOOK_JSON": hook(plain.port)}
        runs = [subprocess.Popen([sys.executable, "-m", "analysis", "--cache", str(sample_cache.root), "alerts",
                                  "--since", str(SINCE)], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
                for _ in range(2)]
        outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0]
    assert len(plain) == 1 and sorted(o.count("nothing new for json-hook") for o in outputs) == [0, 1]


def test_an_unreadable_record_of_sends_is_named_and_nothing_is_sent(sample_cache, ws, monkeypatch, capsys):
    with webhook_receiver() as plain:
        monkeypatch.setenv("HOOK_JSON", hook(plain.port))
        configure(ws, [{"name": "json-hook", "webhook": {"format": "json", "url_secret": "HOOK_JSON"}}], ["json-hook"])
        (ws / "alerts_sent.json").write_text('{"sent": {"anomaly|')  # cut off
        code, _, err = alerts(sample_cache, capsys)
    assert code == 2 and "alerts_sent.json cannot be read" in err and not plain
