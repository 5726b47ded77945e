"""Sending alerts: a webhook POST (Slack, Teams or plain JSON) or an email with a text and an HTML part.

Text from the bill (service and account names, budget names) is data: escaped for HTML, for Slack's mrkdwn
(`&`, `<`, `>`, so no mention or link can be smuggled in) and for Teams' Markdown. Credentials (a webhook's
URL, an SMTP login) are read from the environment, else from the `[alerts]` section of the secrets file, and
never appear in a message, an error or a log: errors name the channel and what went wrong.
"""

from __future__ import annotations

import html
import json
import os
import re
import smtplib
import ssl
import tomllib
import urllib.error
import urllib.request
from email.message import EmailMessage
from pathlib import Path

from analysis.alerts.config import Channel
from analysis.alerts.find import Alert

SUBJECT = 68  # characters: with "Subject: " one line of 78, which mail programs show without folding quirks
TEST_NOTE = "This is a test alert: nothing happened. It checks that this channel reaches you."
_TEAMS_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!<>~|])")


class DeliveryError(RuntimeError):
    """A channel did not take the message; the message names the channel and why, never a credential."""


class NotConfigured(DeliveryError):
    """A channel's credential (a webhook URL, an SMTP login) is not set: nothing was tried."""


def secret(name: str, secrets_file: Path | None) -> str | None:
    """The value named `name`: the environment variable, else the key in the secrets file's `[alerts]`."""
    if os.environ.get(name):
        return os.environ[name]
    if secrets_file is None or not secrets_file.exists():
        return None
    try:
        value = tomllib.loads(secrets_file.read_text(encoding="utf-8")).get("alerts", {}).get(name)
    except (OSError, tomllib.TOMLDecodeError):
        return None
    return str(value) if value else None


def deliver(channel: Channel, address: str | None, alerts: list[Alert], secrets_file: Path | None,
            test: bool = False) -> None:
    """Send `alerts` as one message through `channel` (to `address` for email); DeliveryError when refused."""
    if channel.webhook is not None:
        _post(channel, alerts, secrets_file, test)
    else:
        _mail(channel, address or "", alerts, secrets_file, test)


# ----- webhooks -----------------------------------------------------------------------------------
def _post(channel: Channel, alerts: list[Alert], secrets_file: Path | None, test: bool) -> None:
    hook = channel.webhook
    url = secret(hook.url_secret, secrets_file)
    if not url:
        raise NotConfigured(f"channel {channel.name!r}: not configured ({hook.url_secret} is not set in the "
                            "environment or secrets.toml [alerts])")
    if not url.startswith(("https://", "http://")):
        raise DeliveryError(f"channel {channel.name!r}: {hook.url_secret} does not hold an http(s) URL")
    body = {"slack": slack_payload, "teams": teams_payload, "json": json_payload}[hook.format](alerts, test)
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "User-Agent": "finops-workbench"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            response.read()
    except urllib.error.HTTPError as error:
        raise DeliveryError(f"channel {channel.name!r}: the webhook answered HTTP {error.code}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DeliveryError(f"channel {channel.name!r}: the webhook cannot be reached ({_plain(reason)})") from None


def _plain(reason: object) -> str:
    """An OS error's words without addresses (a URL's host and path can carry a token)."""
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return type(reason).__name__ if not isinstance(reason, str) else "network error"


def slack_escape(text: str) -> str:
    """Bill text for Slack mrkdwn: `&`, `<`, `>` escaped, so it cannot mention anyone or make a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def teams_escape(text: str) -> str:
    """Bill text for Teams' Markdown: every formatting character escaped with a backslash."""
    return _TEAMS_SPECIAL.sub(r"\\\1", text)


def _heading(alerts: list[Alert], test: bool) -> str:
    count = f"{len(alerts)} alert{'s' if len(alerts) != 1 else ''}"
    return f"TEST: FinOps Workbench test alert ({count})" if test else f"FinOps Workbench: {count}"


def slack_payload(alerts: list[Alert], test: bool = False) -> dict:
    """A Slack incoming-webhook message: a fallback text and one section block per alert."""
    blocks: list[dict] = [{"type": "header", "text": {"type": "plain_text", "text": _heading(alerts, test)}}]
    if test:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": TEST_NOTE}})
    for alert in alerts:
        lines = [f"*{slack_escape(alert.title)}*", f"Where: {slack_escape(alert.where)}",
                 f"How much: {alert.impact:+,.2f} {slack_escape(alert.currency)}", f"When: {slack_escape(alert.when)}",
                 *(f"• {slack_escape(c)}" for c in alert.cause),
                 f"<{slack_escape(alert.link)}|Open in FinOps Workbench>"]
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}})
    return {"text": slack_escape(_heading(alerts, test) + ": " + "; ".join(a.title for a in alerts)), "blocks": blocks}


def teams_payload(alerts: list[Alert], test: bool = False) -> dict:
    """A Teams (Workflows) webhook message: one Adaptive Card, a block of facts and a link per alert."""
    body: list[dict] = [{"type": "TextBlock", "size": "Large", "weight": "Bolder", "text": _heading(alerts, test),
                         "wrap": True}]
    if test:
        body.append({"type": "TextBlock", "text": TEST_NOTE, "wrap": True})
    for alert in alerts:
        body += [{"type": "TextBlock", "weight": "Bolder", "text": teams_escape(alert.title), "wrap": True},
                 {"type": "FactSet", "facts": [
                     {"title": "Where", "value": teams_escape(alert.where)},
                     {"title": "How much", "value": teams_escape(f"{alert.impact:+,.2f} {alert.currency}")},
                     {"title": "When", "value": teams_escape(alert.when)},
                     *({"title": "Why" if i == 0 else "", "value": teams_escape(c)} for i, c in enumerate(alert.cause))]},
                 {"type": "ActionSet", "actions": [{"type": "Action.OpenUrl", "title": "Open in FinOps Workbench",
                                                    "url": alert.link}]}]
    card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
            "version": "1.4", "body": body}
    return {"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
                                                "content": card}]}


def json_payload(alerts: list[Alert], test: bool = False) -> dict:
    """A plain JSON document for any HTTP receiver."""
    return {"source": "finops-workbench", "test": test, "alerts": [
        {"key": alert.key, "title": alert.title, "where": alert.where, "impact": alert.impact,
         "currency": alert.currency, "when": alert.when, "root_cause": list(alert.cause), "link": alert.link,
         **alert.facts} for alert in alerts]}


# ----- email -----------------------------------------------------------------------------------
def email_message(alerts: list[Alert], sender: str, to: str, test: bool = False) -> EmailMessage:
    """The email: a plain-text part and an HTML part (bill text escaped) with the same content."""
    message = EmailMessage()
    subject = _heading(alerts, test) + (f": {' '.join(alerts[0].title.split())}" if alerts else "")
    message["Subject"] = subject if len(subject) <= SUBJECT else subject[:SUBJECT - 3] + "..."
    message["From"] = sender
    message["To"] = to
    text = [_heading(alerts, test), ""] + ([TEST_NOTE, ""] if test else [])
    parts = [f"<h2>{html.escape(_heading(alerts, test))}</h2>"] + ([f"<p>{TEST_NOTE}</p>"] if test else [])
    for alert in alerts:
        text += [alert.title, f"  Where: {alert.where}", f"  How much: {alert.impact:+,.2f} {alert.currency}",
                 f"  When: {alert.when}", *(f"  - {c}" for c in alert.cause), f"  Open: {alert.link}", ""]
        causes = "".join(f"<li>{html.escape(c)}</li>" for c in alert.cause)
        parts.append(f"<h3>{html.escape(alert.title)}</h3><p>Where: {html.escape(alert.where)}<br>"
                     f"How much: <b>{alert.impact:+,.2f} {html.escape(alert.currency)}</b><br>"
                     f"When: {html.escape(alert.when)}</p><ul>{causes}</ul>"
                     f'<p><a href="{html.escape(alert.link)}">Open in FinOps Workbench</a></p>')
    message.set_content("\n".join(text))
    message.add_alternative(f"<html><body>{''.join(parts)}</body></html>", subtype="html")
    return message


def _mail(channel: Channel, address: str, alerts: list[Alert], secrets_file: Path | None, test: bool) -> None:
    smtp = channel.email.smtp
    login = None
    if smtp.login:
        login = (secret(f"{smtp.login}_USER", secrets_file), secret(f"{smtp.login}_PASSWORD", secrets_file))
        if not all(login):
            raise NotConfigured(f"channel {channel.name!r}: not configured ({smtp.login}_USER and "
                                f"{smtp.login}_PASSWORD are not both set in the environment or secrets.toml [alerts])")
    where = f"channel {channel.name!r} ({smtp.host}:{smtp.port})"
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout) as server:
            if smtp.starttls:
                server.starttls(context=ssl.create_default_context())
            if login:
                server.login(*login)
            server.send_message(email_message(alerts, smtp.sender, address, test), to_addrs=[address])
    except smtplib.SMTPRecipientsRefused:
        raise DeliveryError(f"{where}: the mail server refused the address {address}") from None
    except smtplib.SMTPAuthenticationError:
        raise DeliveryError(f"{where}: the mail server refused the login") from None
    except smtplib.SMTPResponseException as error:
        raise DeliveryError(f"{where}: the mail server answered {error.smtp_code} for {address}") from None
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryError(f"{where}: the mail server cannot be reached ({_plain(error)})") from None
