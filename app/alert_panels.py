"""The Anomalies page's alert monitors (from alerts.yaml): whom each alerts and when it last sent, and for
admins a button that sends a test alert to a monitor's channels and says how each one answered."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from analysis.alerts.config import AlertsConfig, AlertsError, AlertsStore, Channel
from analysis.alerts.run import FAILED, SENT, send_owner_test, send_test
from analysis.alerts.state import last_sent
from analysis.scope import describe
from analysis.store.workspace import WorkspaceConflict, WorkspaceWriteError
from app.door import scope_label, workspace
from app.permits import can, refused, sees
from app.ui import md, utc_time

SECRETS = Path(".streamlit/secrets.toml")  # the app runs from the repository root
KINDS = {"slack": "Slack", "teams": "Teams", "json": "JSON"}


def recipients(channel: Channel) -> str:
    """Whom a channel reaches, in words: `ops (Slack webhook)`, `mail: a@example.com, b@example.com`."""
    if channel.webhook is not None:
        return f"{channel.name} ({KINDS[channel.webhook.format]} webhook)"
    return f"{channel.name}: {', '.join(channel.email.to)}"


def alert_monitors() -> None:
    """The monitors the user may see (inside their scopes), their recipients and last send; for admins a test
    button and the settings file's editor."""
    try:
        config = AlertsStore(workspace()).config()
        sent = last_sent(workspace())
    except AlertsError as error:  # an invalid alerts.yaml, an unreadable alerts_sent.json
        st.error(f"Alert settings cannot be read: {md(error)}", icon=":material/notifications_off:")
        if can("alerts"):
            with st.expander("Edit alerts.yaml", icon=":material/edit:", expanded=True):
                _editor()
        return
    monitors = [m for m in config.monitors if sees(m.scope)]
    with st.expander(f"Alert monitors ({len(monitors)})", icon=":material/notifications:"):
        if not monitors:
            st.caption("No alert monitor covers what you see. Monitors and their channels are set in "
                       "alerts.yaml in the workspace; `python -m analysis alerts` sends their new events daily.")
            return
        st.dataframe(pd.DataFrame([{
            "Monitor": m.name,
            "Watches": scope_label(m.dimension) + ("" if not m.scope else f" · {describe(m.scope)}"),
            "Alerts": "; ".join(recipients(config.channel(c)) for c in m.channels),
            "Last sent": utc_time(sent.get(f"monitor:{m.name}")) if sent.get(f"monitor:{m.name}") else "never",
        } for m in monitors]), hide_index=True, width="stretch", key="al_monitors")
        if can("alerts"):
            _test_form(config, [m.name for m in monitors])
    if can("alerts"):
        with st.expander("Edit alerts.yaml", icon=":material/edit:"):
            _editor()


def _editor() -> None:
    """alerts.yaml as text, saved through the workspace store: checked first (the holiday calendar too),
    refused when someone saved since it was read, a version kept, the save in the audit trail."""
    store = AlertsStore(workspace())
    text, token = store.read()
    edited = st.text_area("alerts.yaml", text, height=320, label_visibility="collapsed", key="al_text",
                          help="Channels, monitors, budget owners' channels and the holiday calendar. Credentials "
                               "never go here: name the environment variable or secrets.toml key instead.")
    if st.button("Save alert settings", icon=":material/save:", type="primary", key="al_save") and not refused(
            "alerts", "change the alert settings", "alerts.yaml"):
        try:
            store.save(edited, st.session_state.get("al_seen", token))
        except (AlertsError, WorkspaceConflict, WorkspaceWriteError) as error:
            st.error(f"Not saved: {md(error)}", icon=":material/block:")
        else:
            st.session_state.pop("al_seen", None)
            st.success("Alert settings saved; the next run of `python -m analysis alerts` uses them.",
                       icon=":material/check_circle:")
            return
    st.session_state["al_seen"] = token


def _test_form(config: AlertsConfig, names: list[str]) -> None:
    routes = {name: (send_test, name) for name in names} | {
        f"Budget alerts of {r.owner}": (send_owner_test, r.owner) for r in config.budgets}
    with st.form("al_test"):
        name = st.selectbox("Monitor or budget owner", list(routes), key="al_test_monitor")
        if not (st.form_submit_button("Send a test alert", icon=":material/send:")
                and not refused("alerts", "send test alerts", f"test alert of {name}")):
            return
    send, target = routes[name]
    for outcome in send(config, target, workspace(), SECRETS):
        where = md(outcome.destination.key)
        if outcome.status == SENT:
            st.success(f"Test alert sent to {where}.", icon=":material/check_circle:")
        elif outcome.status == FAILED:
            st.error(f"Not sent to {where}: {md(outcome.detail)}", icon=":material/error:")
        else:
            st.warning(f"Not sent to {where}: {md(outcome.detail)}", icon=":material/warning:")
