"""What there is to say: anomaly events of the configured monitors and budget thresholds crossed, as alerts.

Both are computed on whatever the query layer serves in the calling context: a recipient's alerts are found
inside `acting(their access)`, so they hold only that recipient's rows (names and amounts of other accounts
never enter them). An event triaged as expected or resolved (on the Anomalies page, in the same view) is left out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from analysis.alerts.config import AlertsConfig, Monitor
from analysis.anomalies.holidays import parse_holiday_settings
from analysis.anomalies.monitor import root_cause, scan
from analysis.anomalies.triage import Triage, event_id, find_triage, view_key
from analysis.budgets.evaluate import evaluate
from analysis.budgets.model import Budget
from analysis.dimensions import TOTAL, label
from analysis.links import page_link
from analysis.query import CostQueries, Filters
from analysis.query.costs import Restriction
from analysis.scope import describe, scoped

DAY = dt.timedelta(days=1)
QUIET = ("expected", "resolved")  # triage statuses that silence an event


@dataclass(frozen=True)
class Alert:
    """One thing to tell: what, where, how much, why, and a link to see it in the app."""

    key: str  # stable across runs: `anomaly|<monitor>|<event id>` or `budget|<name>|<period>|<threshold>`
    source: str  # `monitor:<name>` or `budget:<owner>`: what sent it
    title: str
    where: str
    impact: float  # the amount the resend rule compares: the event's impact, the budget's actual or forecast
    currency: str
    when: str
    cause: tuple[str, ...]
    link: str
    facts: dict = field(default_factory=dict, compare=False)  # the figures as numbers, for JSON webhooks


def anomaly_alerts(q: CostQueries, config: AlertsConfig, monitor: Monitor, currency: str, last_day: dt.date,
                   since: dt.date, restriction: Restriction | None, triage: dict[str, Triage]) -> list[Alert]:
    """The monitor's events that end on or after `since`, not triaged as expected or resolved, with their
    root cause (the top three contributors on the event's largest day) and a link to the event."""
    filters = scoped(Filters(end=last_day + DAY, currency=currency), monitor.scope)
    events, _ = scan(q, filters, monitor.metric, monitor.by, monitor.sensitivity, monitor.min_impact,
                     monitor.min_impact_pct, monitor.usage_only, parse_holiday_settings(config.holidays))
    view = view_key(restriction)
    first_day = q.period()[0] if len(events) else last_day
    alerts = []
    for _, event in events[events["end"] >= pd.Timestamp(since)].iterrows() if len(events) else ():
        group = str(event[monitor.dimension]) if monitor.by else TOTAL
        start, end = event["start"].date(), event["end"].date()
        eid = event_id(monitor.dimension, group, start, view)
        found = find_triage(triage, eid, {monitor.dimension: group} if monitor.by else {}, start, end)
        if found and found.triage.status in QUIET:
            continue
        why = root_cause(q, filters, monitor.metric, monitor.by, group if monitor.by else None,
                         event["peak_day"], monitor.usage_only).head(3)
        dims = [c for c in why.columns if c not in ("actual", "expected", "delta", "share")]
        cause = tuple(f"{' · '.join(str(r[d]) for d in dims)}: {r['delta']:+,.2f} {currency} "
                      f"({r['actual']:,.2f} against {r['expected']:,.2f} expected)" for _, r in why.iterrows())
        impact = round(float(event["impact"]), 2)
        where = describe(monitor.scope) + (f" · {label(monitor.dimension)}: {group}" if monitor.by else "")
        days = int(event["days"])
        link = page_link(config.app_url, "anomalies",
                         Filters(start=max(start - 30 * DAY, first_day), end=last_day + DAY, values=filters.values, currency=currency),
                         monitor.metric, {"monitor": monitor.dimension, "sensitivity": monitor.sensitivity,
                                          "min_impact": monitor.min_impact, "min_pct": monitor.min_impact_pct,
                                          "usage": monitor.usage_only, "event": eid})
        alerts.append(Alert(
            key=f"anomaly|{monitor.name}|{eid}", source=f"monitor:{monitor.name}",
            title=f"{monitor.name}: {event['kind']} of {impact:+,.2f} {currency} in {group}",
            where=where, impact=impact, currency=currency,
            when=f"{start} to {end} ({days} day{'s' if days != 1 else ''}), largest on {event['peak_day']:%Y-%m-%d}",
            cause=cause, link=link,
            facts={"kind": "anomaly", "monitor": monitor.name, "group": group, "event": eid, "type": event["kind"],
                   "start": str(start), "end": str(end), "metric": monitor.metric,
                   "root_cause": [{**{d: str(r[d]) for d in dims}, "delta": round(float(r["delta"]), 2)}
                                  for _, r in why.iterrows()]}))
    return alerts


def budget_alerts(q: CostQueries, config: AlertsConfig, owner: str, budgets: list[Budget], currency: str,
                  as_of: dt.date) -> list[Alert]:
    """One alert per threshold crossed (actual or forecast, as the budgets package judges) in the current
    period of each budget `owner` owns."""
    alerts = []
    for budget in budgets:
        status = evaluate(q, budget, as_of, currency=currency)
        for threshold in budget.alerts:
            if str(threshold) not in status.alerts:
                continue
            value = status.actual if threshold.on == "actual" else status.forecast
            link = page_link(config.app_url, "budgets", Filters(currency=currency), budget.metric,
                             {"as_of": as_of, "budget": budget.name})
            alerts.append(Alert(
                key=f"budget|{budget.name}|{status.period.key}|{threshold}", source=f"budget:{owner}",
                title=f"Budget {budget.name}: {threshold} crossed ({threshold.on} {value:,.2f} {currency} of "
                      f"{status.amount:,.2f})",
                where=describe(budget.scope), impact=round(value, 2), currency=currency,
                when=f"period {status.period.key}, as of {as_of}",
                cause=((f"amount {status.amount:,.2f} {currency}; actual to date {status.actual:,.2f}; forecast "
                        f"for the period end {status.forecast:,.2f} (80% interval {status.lower:,.2f} to "
                        f"{status.upper:,.2f}); status {status.status}"),),
                link=link,
                facts={"kind": "budget", "budget": budget.name, "owner": owner, "period": status.period.key,
                       "threshold": str(threshold), "amount": round(status.amount or 0, 2),
                       "actual": round(status.actual, 2), "forecast": round(status.forecast, 2),
                       "status": status.status}))
    return alerts
