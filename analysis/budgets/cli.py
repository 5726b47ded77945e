"""`python -m analysis budgets --check`: every budget on the cache, for a daily scheduled job."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

import pandas as pd

from analysis.budgets.evaluate import evaluate
from analysis.budgets.model import BudgetError, parse_budgets
from analysis.commandline import CommandError, fail, open_cache
from analysis.scope import scope_problems
from analysis.store.workspace import workspace_folder


def add_parser(commands: argparse._SubParsersAction) -> None:
    workspace = workspace_folder()
    parser = commands.add_parser("budgets", help="check every budget against actual and forecast spend")
    parser.add_argument("--check", action="store_true", required=True, help="evaluate and report; change nothing")
    parser.add_argument("--budgets", type=Path, default=workspace / "budgets.yaml",
                        help="budget file (default: budgets.yaml in $FINOPS_WORKSPACE or data/workspace)")
    parser.add_argument("--rules", type=Path, default=None,
                        help="allocation rules for alloc: scopes (default: allocation.yaml next to the budgets, "
                             "else the shipped sample rules)")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None,
                        help="the day to judge (default: the data's last day); its period is checked")
    parser.add_argument("--currency", help="billing currency when the data holds several")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print a table and, last, one JSON line; exit 1 when an alert threshold is crossed, 2 on bad input."""
    try:
        budgets = parse_budgets(args.budgets.read_text(encoding="utf-8"), args.budgets.name)
    except OSError as error:
        return fail(f"Cannot read the budget file {args.budgets}: {error.strerror or error}")
    except BudgetError as error:
        return fail(f"Invalid budgets: {error}")
    try:
        opened = open_cache(args.cache, args.currency, (b.scope for b in budgets), args.rules,
                            (args.budgets.parent / "allocation.yaml",))
    except CommandError as error:
        return fail(str(error))
    q, currency, span, dimensions = opened.q, opened.currency, opened.span, opened.allocation
    as_of = args.as_of or span[1]
    if not span[0] <= as_of <= span[1]:
        return fail(f"--as-of {as_of} is outside the data ({span[0]} to {span[1]})")
    problems = [f"budget {b.name!r}, field scope: {p}" for b in budgets for p in scope_problems(q, b.scope, dimensions)]
    if problems:
        return fail(f"Invalid budgets in {args.budgets.name}: " + "; ".join(problems))
    results = [evaluate(q, b, as_of, currency=currency) for b in budgets]
    table = pd.DataFrame([{**r.as_json(), "alerts": ", ".join(r.alerts) or "-"} for r in results])
    if len(table):
        print(f"Budgets as of {as_of} ({currency}, forecast interval 80%)")
        print(table.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    else:
        print(f"No budgets in {args.budgets}")
    print(json.dumps({"as_of": str(as_of), "currency": currency, "budgets": [r.as_json() for r in results]}))
    return 1 if any(r.alerts for r in results) else 0

