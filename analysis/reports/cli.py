"""`python -m analysis report --xlsx OUT`: the monthly finance pack, for a scheduled job."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from analysis.dimensions import METRICS
from analysis.query import local_queries
from analysis.reports.pack import PackError, PackInputs, finance_pack, parse_month
from analysis.scope import ScopeError, parse_scope
from analysis.store.cache import FocusCache
from analysis.store.workspace import SHIPPED_WORKSPACE, workspace_folder


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("report", help="write the monthly finance pack (an Excel workbook)")
    parser.add_argument("--xlsx", type=Path, required=True, help="the workbook to write")
    parser.add_argument("--month", help="YYYY-MM (default: the last complete month before the one holding the "
                                        "data's last day)")
    parser.add_argument("--filter", action="append", default=[], metavar="DIM=VALUE",
                        help="keep only this part of the bill, as in a scope: ProviderName=AWS, tag:env=prod, "
                             "alloc:Team=platform; repeat it (values of one dimension are OR, dimensions AND)")
    parser.add_argument("--metric", default="EffectiveCost", help=f"one of {', '.join(METRICS)} (default EffectiveCost)")
    parser.add_argument("--rules", type=Path, default=None,
                        help="allocation rules (default: allocation.yaml in $FINOPS_WORKSPACE or data/workspace, "
                             "else the shipped sample rules, as the app uses)")
    parser.add_argument("--budgets", type=Path, default=None,
                        help="budget file (default: budgets.yaml in $FINOPS_WORKSPACE or data/workspace)")
    parser.add_argument("--currency", help="billing currency when the data holds several")
    parser.set_defaults(run=run)


def filters_scope(items: list[str]) -> tuple:
    """`["ProviderName=AWS", "ProviderName=Microsoft", "tag:env=prod"]` as a scope; ScopeError when an item is
    not written DIM=VALUE."""
    wanted: dict[str, list[str]] = {}
    for item in items:
        dimension, sep, value = item.partition("=")
        if not sep or not dimension.strip() or not value.strip():
            raise ScopeError(f"--filter {item!r} is not written DIM=VALUE (e.g. ProviderName=AWS)")
        wanted.setdefault(dimension.strip(), []).append(value.strip())
    return parse_scope(wanted)


def run(args: argparse.Namespace) -> int:
    """Write the pack; print a line for people and, last, one JSON line. Exit 2 on bad input or no data."""
    workspace = workspace_folder()
    try:
        scope = filters_scope(args.filter)
        month = parse_month(args.month) if args.month else None
        rules = args.rules or next((p for p in (workspace / "allocation.yaml", SHIPPED_WORKSPACE / "allocation.yaml")
                                    if p.exists()), None)
        inputs = PackInputs.from_workspace(workspace, rules=rules, budgets=args.budgets)
        cache = FocusCache(args.cache)
        q = local_queries(cache)
        if q.period() is None:
            raise PackError(f"the cache {args.cache} holds no data: load billing files first "
                            "(python -m analysis load FILES) or build the sample (python -m analysis sample)")
        pack = finance_pack(q, month, scope, args.metric, inputs, args.currency, cache.tag_keys())
    except (PackError, ScopeError) as error:
        print(f"No finance pack: {error}", file=sys.stderr)
        return 2
    for note in inputs.notes:
        print(note, file=sys.stderr)
    try:
        args.xlsx.write_bytes(pack.data)
    except OSError as error:
        print(f"No finance pack: cannot write {args.xlsx} ({error.strerror or error})", file=sys.stderr)
        return 2
    print(f"Wrote the finance pack of {pack.month} ({pack.metric}, {pack.currency}) to {args.xlsx}: "
          f"{len(pack.sheets)} sheets, {pack.charts} charts, month total {pack.totals[pack.metric]:,.2f}")
    print(json.dumps({"file": str(args.xlsx), **pack.summary()}))
    return 0
