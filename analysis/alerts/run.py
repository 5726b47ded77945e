"""One alert run: find what is new for each destination (a webhook, or one address of an email channel), send
it as one message, remember what was accepted.

Each destination sees what its access allows: an email address (or a webhook's `as:`) is looked up in
access.yaml (its email and domain grants; groups are not known for an address) and its alerts are found inside
that access, so a scoped recipient never receives another account's names or amounts. An address without
access receives nothing. Without an access file, and for a webhook without `as:`, the whole bill.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from analysis.access.acting import acting
from analysis.access.roles import OPERATOR, Access, Identity, resolve
from analysis.access.store import AccessStore
from analysis.alerts.config import FILE_NAME, AlertsConfig, AlertsError, Channel, Monitor
from analysis.alerts.find import Alert, anomaly_alerts, budget_alerts
from analysis.alerts.send import DeliveryError, NotConfigured, deliver
from analysis.alerts.state import due, load_sent, mark_sent
from analysis.anomalies.triage import load_triage
from analysis.budgets.model import Budget
from analysis.budgets.store import BudgetStore
from analysis.commandline import open_cache
from analysis.dimensions import TOTAL
from analysis.links import page_link
from analysis.query import Filters
from analysis.scope import Scope, describe, inside_any, scope_problems
from analysis.store.audit import record
from analysis.store.files import file_lock

SENT, NOTHING, FAILED, UNCONFIGURED, NO_ACCESS, DRY = ("sent", "nothing new", "failed", "not configured",
                                                       "no access", "would send")


@dataclass(frozen=True)
class Destination:
    """Where one message goes: a webhook channel, or one address of an email channel."""

    channel: Channel
    address: str | None = None

    @property
    def key(self) -> str:
        return self.channel.name if self.address is None else f"{self.channel.name}:{self.address}"

    @property
    def who(self) -> str | None:
        """Whose access the destination's alerts are computed with (None: the whole bill)."""
        return self.address or self.channel.as_


@dataclass
class Outcome:
    """What happened at one destination."""

    destination: Destination
    status: str
    alerts: list[Alert] = field(default_factory=list)
    detail: str = ""


def destinations(config: AlertsConfig, channels: tuple[str, ...] | None = None) -> list[Destination]:
    """The destinations of `channels` (default: every channel a monitor or an owner uses)."""
    used = channels if channels is not None else tuple(dict.fromkeys(
        [c for m in config.monitors for c in m.channels] + [c for r in config.budgets for c in r.channels]))
    out = []
    for name in used:
        channel = config.channel(name)
        out += [Destination(channel, a) for a in channel.email.to] if channel.email else [Destination(channel)]
    return out


def access_of(destination: Destination, workspace: Path) -> Access:
    """The destination's access: the operator's (whole bill) without an address or without an access file."""
    access_file, _ = AccessStore(workspace).access()
    if destination.who is None or access_file is None:
        return OPERATOR
    return resolve(access_file, Identity(email=destination.who, email_verified=True, groups=()))


def run_alerts(config: AlertsConfig, workspace: Path, cache: Path, since: dt.date | None = None,
               currency: str | None = None, secrets_file: Path | None = None, dry_run: bool = False) -> list[Outcome]:
    """Send what is new to every destination; a CommandError or ValueError naming the problem (nothing sent) on
    bad input: every alert is found before the first is sent. Runs take turns (a second one waits, then finds nothing new), so an overlapping scheduled run sends nothing twice."""
    with file_lock(workspace / ".alerts_run.lock"):
        return _run(config, workspace, cache, since, currency, secrets_file, dry_run)


def _run(config: AlertsConfig, workspace: Path, cache: Path, since: dt.date | None, currency: str | None,
         secrets_file: Path | None, dry_run: bool) -> list[Outcome]:
    outcomes: list[Outcome] = []
    by_view: dict[tuple, list[tuple[Destination, Access]]] = defaultdict(list)
    for destination in destinations(config):
        access = access_of(destination, workspace)
        if access.role == "none":
            outcomes.append(Outcome(destination, NO_ACCESS, detail=f"{destination.who} has no grant in access.yaml"))
        else:
            by_view[access.scopes].append((destination, access))
    check_monitors(config, workspace, cache, currency)
    sent = load_sent(workspace)
    todo: list[tuple[Destination, list[Alert]]] = []  # everything is found before anything is sent
    for group in by_view.values():
        with acting(group[0][1], workspace):
            found = _find(config, workspace, cache, since, currency, {d.channel.name for d, _ in group},
                          group[0][1])
        for destination, _ in group:
            mine = [a for a in found if destination.channel.name in _channels(config, a.source)]
            todo.append((destination, [a for a in mine if due(sent, a.key, destination.key, a.impact,
                                                                config.resend_growth)]))
    return outcomes + [_send(destination, new, workspace, secrets_file, dry_run) for destination, new in todo]


def _channels(config: AlertsConfig, source: str) -> tuple[str, ...]:
    kind, _, name = source.partition(":")
    if kind == "monitor":
        return config.monitor(name).channels
    return next(r.channels for r in config.budgets if r.owner == name)


def _find(config: AlertsConfig, workspace: Path, cache: Path, since: dt.date | None, currency: str | None,
          channels: set[str], access: Access) -> list[Alert]:
    """The alerts of the monitors and owners routed to `channels`, on the rows `access` sees."""
    monitors = [m for m in config.monitors if channels & set(m.channels)]
    routes = [r for r in config.budgets if channels & set(r.channels)]
    budgets = BudgetStore(workspace).budgets()[0] if routes else []
    owned = {r.owner: [b for b in budgets if b.owner.casefold() == r.owner and inside_any(access.scopes, b.scope)]
             for r in routes}
    opened = open_cache(cache, currency, _scopes(monitors, [b for bs in owned.values() for b in bs]), None,
                        (workspace / "allocation.yaml",))
    last = opened.span[1]
    start = since or last - dt.timedelta(days=6)
    triage = load_triage(workspace)
    restriction = None if access.whole_bill else access.scopes
    alerts = [a for m in monitors
              for a in anomaly_alerts(opened.q, config, m, opened.currency, last, start, restriction, triage)]
    return alerts + [a for owner, bs in owned.items() for a in budget_alerts(opened.q, config, owner, bs,
                                                                               opened.currency, last)]


def _dimension(monitor: Monitor) -> Scope:
    """The monitor's dimension as a scope without values: what must exist in the data, and what needs rules."""
    return () if monitor.dimension == TOTAL else ((monitor.dimension, ()),)


def _scopes(monitors: list[Monitor], budgets: list[Budget]) -> list[Scope]:
    return [m.scope + _dimension(m) for m in monitors] + [b.scope for b in budgets]


def check_monitors(config: AlertsConfig, workspace: Path, cache: Path, currency: str | None) -> None:
    """AlertsError naming the monitor and field when its dimension or scope is not in the data (on the whole
    bill: a recipient's view may well hold none of it)."""
    opened = open_cache(cache, currency, _scopes(list(config.monitors), []), None, (workspace / "allocation.yaml",))
    for monitor in config.monitors:
        for name, scope in (("dimension", _dimension(monitor)), ("scope", monitor.scope)):
            problems = scope_problems(opened.q, scope, opened.allocation)
            if problems:
                raise AlertsError(f"alerts.yaml, monitor {monitor.name!r}, field {name}: {'; '.join(problems)}")


def _send(destination: Destination, alerts: list[Alert], workspace: Path, secrets_file: Path | None,
          dry_run: bool) -> Outcome:
    if not alerts:
        return Outcome(destination, NOTHING)
    if dry_run:
        return Outcome(destination, DRY, alerts)
    try:
        deliver(destination.channel, destination.address, alerts, secrets_file)
    except NotConfigured as error:
        return Outcome(destination, UNCONFIGURED, alerts, str(error))
    except DeliveryError as error:
        record("alert", destination.key, ok=False, detail=f"{len(alerts)} alert(s) not sent: {error}",
               folder=workspace)
        return Outcome(destination, FAILED, alerts, str(error))
    mark_sent(workspace, destination.key, [(a.key, a.impact, a.source) for a in alerts])
    record("alert", destination.key, detail=f"sent {len(alerts)}: " + "; ".join(a.title for a in alerts),
           folder=workspace)
    return Outcome(destination, SENT, alerts)


def send_test(config: AlertsConfig, monitor_name: str, workspace: Path, secrets_file: Path | None) -> list[Outcome]:
    """A clearly labelled test message (no figures from the bill) to each destination of a monitor's channels;
    recorded in the audit trail, not in what was sent."""
    monitor = config.monitor(monitor_name)
    link = page_link(config.app_url, "anomalies", Filters(values=monitor.scope), monitor.metric,
                     {"monitor": monitor.dimension})
    alert = Alert(key="test", source=f"monitor:{monitor.name}", title=f"Test of the monitor {monitor.name}",
                  where=describe(monitor.scope), impact=0.0, currency="", when=dt.date.today().isoformat(),
                  cause=("no event: this message only checks the channel",), link=link, facts={"kind": "test"})
    return _send_test(alert, destinations(config, monitor.channels), f"monitor {monitor.name}", workspace,
                      secrets_file)


def send_owner_test(config: AlertsConfig, owner: str, workspace: Path, secrets_file: Path | None) -> list[Outcome]:
    """The same test message to each destination of the channels a budget owner's alerts go to."""
    route = next((r for r in config.budgets if r.owner == owner), None)
    if route is None:
        raise AlertsError(f"{FILE_NAME}: no budget owner {owner!r}")
    alert = Alert(key="test", source=f"owner:{owner}", title=f"Test of the budget alerts of {owner}",
                  where="their budgets", impact=0.0, currency="", when=dt.date.today().isoformat(),
                  cause=("no budget crossed a threshold: this message only checks the channel",),
                  link=page_link(config.app_url, "budgets", Filters(), "EffectiveCost", {}), facts={"kind": "test"})
    return _send_test(alert, destinations(config, route.channels), f"budget owner {owner}", workspace, secrets_file)


def _send_test(alert: Alert, targets: list[Destination], what: str, workspace: Path, secrets_file: Path | None) -> list[Outcome]:
    outcomes = []
    for destination in targets:
        try:
            deliver(destination.channel, destination.address, [alert], secrets_file, test=True)
        except NotConfigured as error:
            outcomes.append(Outcome(destination, UNCONFIGURED, [alert], str(error)))
            continue
        except DeliveryError as error:
            record("alert", destination.key, ok=False, detail=f"test alert not sent: {error}", folder=workspace)
            outcomes.append(Outcome(destination, FAILED, [alert], str(error)))
            continue
        record("alert", destination.key, detail=f"test alert of {what}", folder=workspace)
        outcomes.append(Outcome(destination, SENT, [alert]))
    return outcomes
