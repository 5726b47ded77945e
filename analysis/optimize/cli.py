"""`python -m analysis optimize [--month YYYY-MM]`: a month's commitment utilization, unused cost, coverage
and effective savings rate."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math

import pandas as pd

from analysis.commandline import CommandError, fail, open_cache
from analysis.optimize.commitments import CommitmentView, Figure, commitment_view, month_filters

NO_OPPORTUNITIES = "opportunities: not computed yet (only the commitment figures are built)"


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("optimize", help="commitment utilization, unused cost, coverage and savings rate")
    parser.add_argument("--month", type=_month, default=None,
                        help="YYYY-MM (default: the last complete month before the one holding the data's last day)")
    parser.add_argument("--currency", help="billing currency when the data holds several")
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
    view = commitment_view(opened.q, filters)
    _print_table(view, month, opened.currency)
    print(json.dumps(as_json(view, month)))
    return 0


def as_json(view: CommitmentView, month: str) -> dict:
    """The command's last line: the month's figures, null with a note where one cannot be computed."""
    return {
        "month": month, "effective_savings_rate": _number(view.savings_rate.value, 6),
        "utilization": _number(view.utilization.value, 6), "unused_cost": _number(view.unused_cost.value, 2),
        "commitments": [{"id": r.CommitmentDiscountId, "type": r.type, "provider": r.provider,
                         "utilization": _number(r.utilization, 6), "used_cost": _number(r.used_cost, 2),
                         "unused_cost": _number(r.unused_cost, 2)} for r in view.commitments.itertuples()],
        "opportunities": [], "notes": [*view.notes, NO_OPPORTUNITIES]}


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


def _percent(values: pd.Series) -> pd.Series:
    return values.map(lambda v: "n/a" if pd.isna(v) else f"{v:.1%}")
