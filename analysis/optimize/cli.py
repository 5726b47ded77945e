"""`python -m analysis optimize [--month YYYY-MM]`: a month's commitment utilization, unused cost, coverage
and effective savings rate, and the savings opportunities of its last days."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math

import pandas as pd

from analysis.commandline import CommandError, fail, open_cache
from analysis.optimize.commitments import CommitmentView, Figure, commitment_view, month_filters
from analysis.optimize.opportunities import Assumptions, Found, find_opportunities


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("optimize", help="commitment utilization, unused cost, coverage and savings rate")
    parser.add_argument("--month", type=_month, default=None,
                        help="YYYY-MM (default: the last complete month before the one holding the data's last day)")
    parser.add_argument("--currency", help="billing currency when the data holds several")
    defaults = Assumptions()
    parser.add_argument("--discount", type=float, default=defaults.commitment_discount * 100, metavar="PCT",
                        help="discount a new commitment would get, in percent (default %(default)g)")
    parser.add_argument("--env-tag", default=None, metavar="KEY",
                        help="tag key naming the environment (default: env, environment or stage)")
    parser.add_argument("--lookback", type=int, default=None, metavar="DAYS",
                        help="days before the month's end (or the data's) the opportunities read (default: the "
                             "month's days)")
    parser.set_defaults(run=run)


def _month(text: str) -> str:
    try:
        return dt.date.fromisoformat(text + "-01").strftime("%Y-%m")
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM, got {text!r}") from error


def run(args: argparse.Namespace) -> int:
    """Print a table and, last, one JSON line; exit 2 with a message when the month has no data."""
    try:
        opened = open_cache(args.cache, args.currency, (), None)
    except CommandError as error:
        return fail(str(error))
    last = opened.span[1]
    month = args.month or (last.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    filters = month_filters(month, opened.currency)
    if not opened.q.filtered(filters).count().to_pandas():
        return fail(f"No billing data in {month} (the data runs from {opened.span[0]} to {last})")
    end = min(filters.end, last + dt.timedelta(days=1))
    if not 0 < args.discount < 100 or args.lookback is not None and not 7 <= args.lookback <= 366:
        return fail("--discount must be between 0 and 100 (percent) and --lookback between 7 and 366 days")
    view = commitment_view(opened.q, filters)
    lookback = args.lookback or (end - filters.start).days  # by default the month's days with data
    assume = Assumptions(lookback_days=lookback, commitment_discount=args.discount / 100,
                         environment_tag=args.env_tag, idle_days=min(Assumptions.idle_days, lookback))
    found = find_opportunities(opened.q, filters, end, assume)
    _print_table(view, month, opened.currency)
    _print_opportunities(found)
    print(json.dumps(as_json(view, found, month)))
    return 0


def as_json(view: CommitmentView, found: Found, month: str) -> dict:
    """The command's last line: the month's figures, null with a note where one cannot be computed."""
    return {
        "month": month, "effective_savings_rate": _number(view.savings_rate.value, 6),
        "utilization": _number(view.utilization.value, 6), "unused_cost": _number(view.unused_cost.value, 2),
        "commitments": [{"id": r.CommitmentDiscountId, "type": r.type, "provider": r.provider,
                         "utilization": _number(r.utilization, 6), "used_cost": _number(r.used_cost, 2),
                         "unused_cost": _number(r.unused_cost, 2)} for r in view.commitments.itertuples()],
        "opportunities": [{"kind": o.kind, "scope": o.scope, "monthly_savings": _number(o.monthly_savings, 2)}
                          for o in found.opportunities],
        "notes": [*view.notes, *found.notes]}


def _number(value: object, digits: int) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else round(float(value), digits)


def _print_table(view: CommitmentView, month: str, currency: str) -> None:
    def show(figure: Figure, fmt: str) -> str:
        return "n/a" if figure.value is None else format(figure.value, fmt)

    print(f"Commitment discounts, {month} ({currency})")
    if len(view.commitments):
        table = view.commitments[["name", "type", "provider", "basis", "utilization", "used_cost", "unused_cost"]]
        table = table.assign(utilization=_percent(table["utilization"]))
        print(table.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    print(f"Utilization (cost-based): {show(view.utilization, '.1%')}   unused cost: {show(view.unused_cost, ',.2f')}")
    print(f"Coverage of eligible usage (in {view.coverage.basis}): {show(view.coverage.share, '.1%')}")
    print(f"Effective savings rate: {show(view.savings_rate, '.2%')}")
    if len(view.savings):
        columns = ["ProviderName", "list_cost", "effective_cost", "negotiated_savings", "commitment_savings",
                   "total_savings", "savings_rate"]
        table = view.savings[columns].assign(savings_rate=_percent(view.savings["savings_rate"]))
        print(table.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    for note in view.notes:
        print(f"Note: {note}")


def _print_opportunities(found: Found) -> None:
    start, end = found.window
    print(f"Opportunities from {start} to {end - dt.timedelta(days=1)} (monthly estimates)")
    if found.opportunities:
        table = found.table()[["kind", "title", "monthly_savings"]]
        print(table.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    for note in found.notes:
        print(f"Note: {note}")


def _percent(values: pd.Series) -> pd.Series:
    return values.map(lambda v: "n/a" if pd.isna(v) else f"{v:.1%}")
