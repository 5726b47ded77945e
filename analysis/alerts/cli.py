"""`python -m analysis alerts [--since DATE] [--dry-run]`: send new anomaly and budget alerts (a daily job)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from analysis.access.acting import command_access
from analysis.alerts.config import FILE_NAME, AlertsStore
from analysis.alerts.run import DRY, FAILED, NO_ACCESS, SENT, UNCONFIGURED, Outcome, run_alerts
from analysis.commandline import CommandError, fail
from analysis.store.workspace import workspace_folder


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("alerts", help="send new anomaly and budget alerts to the channels of alerts.yaml")
    parser.add_argument("--since", type=dt.date.fromisoformat, default=None,
                        help="anomaly events ending on or after this day (default: the data's last 7 days)")
    parser.add_argument("--dry-run", action="store_true", help="say what would be sent; send and remember nothing")
    parser.add_argument("--currency", help="billing currency when the data holds several")
    parser.add_argument("--secrets", type=Path, default=Path(".streamlit/secrets.toml"),
                        help="TOML file whose [alerts] section may hold the credentials alerts.yaml names "
                             "(default: .streamlit/secrets.toml; the environment is read first)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print what went where, then one JSON line; exit 0 when every channel took its messages, 1 when one
    failed (it is named), 2 on a bad alerts.yaml or data, 3 for a user who is not an admin."""
    workspace = workspace_folder()
    if not command_access(args.as_user, args.groups, workspace).may("alerts"):
        print("Refused: only an admin may send alerts (they go out on everyone's behalf). Nothing sent.",
              file=sys.stderr)
        return 3
    try:
        config = AlertsStore(workspace).config()
        outcomes = run_alerts(config, workspace, args.cache, args.since, args.currency, args.secrets, args.dry_run)
    except (ValueError, CommandError) as error:  # alerts.yaml (and its holidays), budgets, triage, access: named
        return fail(f"Alerts not sent: {error}")
    if not outcomes:
        print(f"No channels in use: {workspace / FILE_NAME} routes no monitor or budget owner to a channel.")
    for outcome in outcomes:
        _print(outcome)
    print(json.dumps({"destinations": [{"channel": o.destination.channel.name, "to": o.destination.address,
                                        "status": o.status, "alerts": [a.key for a in o.alerts],
                                        "problem": o.detail or None} for o in outcomes]}))
    return 1 if any(o.status == FAILED for o in outcomes) else 0


def _print(outcome: Outcome) -> None:
    """One line for the destination, then the alerts sent, to be sent, or not sent (problems on stderr)."""
    where = outcome.destination.key
    count = f"{len(outcome.alerts)} alert{'s' if len(outcome.alerts) != 1 else ''}"
    lines = {SENT: f"sent {count} to {where}", DRY: f"would send {count} to {where} (dry run)",
             FAILED: f"FAILED: {count} not sent to {where}: {outcome.detail}",
             UNCONFIGURED: f"skipped {where}: {outcome.detail}; {count} waiting",
             NO_ACCESS: f"skipped {where}: {outcome.detail}"}
    stream = sys.stderr if outcome.status in (FAILED, UNCONFIGURED, NO_ACCESS) else sys.stdout
    print(lines.get(outcome.status, f"nothing new for {where}"), file=stream)
    if outcome.status in (SENT, DRY, FAILED):
        for alert in outcome.alerts:
            print(f"  - {alert.title} ({alert.when})", file=stream)
