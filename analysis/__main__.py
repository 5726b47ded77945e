"""Command line: `python -m analysis load|sample|budgets|scenario|report ...` (see `--help`)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from analysis.access.acting import AccessRefused, acting, command_access
from analysis.alerts import cli as alerts_cli
from analysis.budgets import cli as budgets_cli
from analysis.export import cli as export_cli
from analysis.focus.limits import LoadLimits
from analysis.focus.loader import FocusLoadError, load_focus_paths
from analysis.optimize import cli as optimize_cli
from analysis.query import local_queries
from analysis.reports import cli as reports_cli
from analysis.scenarios import cli as scenarios_cli
from analysis.store.audit import as_user, audit_to, record
from analysis.store.cache import DEFAULT_CACHE, CacheError, FocusCache
from analysis.store.load import deliveries
from analysis.store.workspace import SHIPPED_WORKSPACE, workspace_folder
from analysis.sync import cli as sync_cli
from analysis.sync.locations import LocationError
from analysis.sync.run import fetch_paths


def _limits(args: argparse.Namespace) -> LoadLimits:
    return LoadLimits(earliest=args.earliest, latest=args.latest, max_abs_amount=args.max_amount,
                      max_tag_columns=args.max_tag_columns, memory_limit=args.memory_limit)


def _load(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="finops-load-") as folder:
        try:
            paths = fetch_paths(args.paths, Path(folder))  # s3:// locations downloaded first
        except LocationError as error:
            print(f"Rejected: {error}\nNothing changed.", file=sys.stderr)
            return 2
        return _load_paths(args, paths)


def _load_paths(args: argparse.Namespace, paths: list[Path]) -> int:
    limits = _limits(args)
    try:
        loaded = load_focus_paths(paths, limits=limits)
    except FocusLoadError as error:
        print(f"Rejected: {error}\nNothing changed.", file=sys.stderr)
        return 2
    for item in loaded:
        for finding in item.findings:
            print(f"{finding.severity}: {finding}")
    try:
        result = FocusCache(args.cache).load(deliveries(loaded), kind="cli", replace_all=args.replace,
                                             keep_both=args.keep_both, dry_run=args.dry_run, limits=limits)
    except CacheError as error:
        print(f"Rejected: {error}", file=sys.stderr)
        return 2
    for message in result.messages():
        print(message)
    summary = result.summary
    verb = "Checked (dry run, nothing changed)" if args.dry_run else "Loaded"
    print(f"{verb}: {len(loaded)} file{'s' if len(loaded) != 1 else ''}, {summary['rows']:,} rows"
          + (", replacing the whole cache" if args.replace else ""))
    print(json.dumps({"files": len(loaded), **summary, "replaced": [r.__dict__ for r in result.replaced],
                      "dry_run": args.dry_run}))
    return 0


def _sample(args: argparse.Namespace) -> int:
    from analysis.sample import generate_sample

    started = time.perf_counter()
    cache = FocusCache(args.cache)
    source = cache.add_source(
        generate_sample(args.rows), "Embedded sample (generated)", kind="sample", replace_all=True
    )
    seconds = time.perf_counter() - started
    print(f"Wrote {source.summary['rows']:,} sample rows to {args.cache} in {seconds:.1f} s")
    print(json.dumps({"files": len(source.files), **source.summary}))
    return 0


def _publish(args: argparse.Namespace) -> int:
    import tomllib

    from analysis.store.snowflake import SnowflakeConnectionError, connect, publish

    try:
        settings = tomllib.loads(args.secrets.read_text())["snowflake"]
    except (OSError, KeyError, tomllib.TOMLDecodeError) as error:
        print(f"No usable [snowflake] section in {args.secrets}: {error}", file=sys.stderr)
        return 2
    try:
        conn = connect(**settings)
    except SnowflakeConnectionError as error:
        print(error, file=sys.stderr)
        return 2
    with conn:
        rows = publish(FocusCache(args.cache), conn)
    print(json.dumps({"rows": rows, "tables": ["focus_lines", "focus_daily"]}))
    return 0


def _allocate(args: argparse.Namespace) -> int:
    import tempfile

    from analysis.allocation.queries import allocation
    from analysis.allocation.rules import RulesError, load_rules
    from analysis.allocation.split import load_metric_tables
    from analysis.query import Filters
    from analysis.rounding import round_parts

    try:
        rules = load_rules(args.rules)
        metrics = load_metric_tables(rules, args.rules.parent)
    except (OSError, RulesError) as error:
        print(f"Invalid rules: {error}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as folder:
        cache = FocusCache(args.cache)
        if args.data:
            try:
                loaded = load_focus_paths(args.data)
            except FocusLoadError as error:
                print(f"Rejected: {error}", file=sys.stderr)
                return 2
            cache = FocusCache(folder)
            cache.add_source((f for item in loaded for f in item.frames()), "allocate --data")
        q = local_queries(cache)
        currencies = q.currencies()
        filters = Filters(currency=args.currency or (currencies[0] if currencies else None))
        by_owner: dict[str, dict[str, float]] = {}
        try:
            for dimension in rules.dimensions:
                long = allocation(q, filters, rules, dimension.name, "EffectiveCost", metrics)
                totals = long.groupby("owner")["cost"].sum().sort_values(ascending=False)
                by_owner[dimension.name] = dict(zip(totals.index, map(float, round_parts(totals.to_numpy()))))
                if dimension is rules.dimensions[0]:  # the primary dimension gives the two totals below
                    allocated = float(totals.sum())
                    unallocated = float(totals.get(dimension.unallocated, 0.0))
        except RulesError as error:
            print(f"Invalid rules: {error}", file=sys.stderr)
            return 2
        source = q.total(filters, "EffectiveCost")
    print(json.dumps({"source_total": round(source, 2), "allocated_total": round(allocated, 2),
                      "unallocated": round(unallocated, 2), "by_owner": by_owner}))
    return 0 if abs(allocated - source) < 0.01 else 1


def _forecast(args: argparse.Namespace) -> int:
    from analysis.forecast.report import forecast_view
    from analysis.query import Filters

    q = local_queries(FocusCache(args.cache))
    currencies = q.currencies()
    filters = Filters(currency=args.currency or (currencies[0] if currencies else None))
    try:
        view = forecast_view(q, filters, args.metric, args.by, args.level, args.top, args.fiscal_year_start)
    except ValueError as error:
        print(f"No forecast: {error}", file=sys.stderr)
        return 2
    if view is None:
        print("No forecast: the cache holds no spend", file=sys.stderr)
        return 2
    if view.note:
        print(view.note, file=sys.stderr)
    span = view.cumulative.iloc[args.horizon - 1]
    table = view.projections[["kind", "period", "actual", "forecast", "lower", "upper"]]
    print(f"{args.metric} in {filters.currency}; method: {view.method}; {args.level:.0%} intervals")
    print(table.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    money = lambda v: round(float(v), 2)
    parts = {}
    if args.by:
        sums = view.parts[view.parts["day"] < span.name + dt.timedelta(days=1)].groupby("series", sort=False)
        parts = {k: money(v) for k, v in sums["forecast"].sum().items()}
    print(json.dumps({
        "currency": filters.currency, "metric": args.metric, "method": view.method, "level": args.level,
        "first_day": str(view.total.index[0].date()), "horizon_days": args.horizon,
        "next_days": {"forecast": money(span["forecast"]), "lower": money(span["lower"]), "upper": money(span["upper"])},
        "periods": [{"kind": r.kind, "period": r.period, "actual": money(r.actual), "forecast": money(r.forecast),
                     "lower": money(r.lower), "upper": money(r.upper)} for r in table.itertuples()],
        "by": args.by, "parts": parts}))
    return 0


ADMIN_COMMANDS = ("load", "sample", "sync", "publish-snowflake")  # change what the cache holds


def main(argv: list[str] | None = None) -> int:
    first = argparse.ArgumentParser(add_help=False)
    first.add_argument("--workspace", type=Path)
    given = first.parse_known_args(argv)[0].workspace
    if given is not None:  # before the commands read their defaults from it
        os.environ["FINOPS_WORKSPACE"] = str(given)
    parser = argparse.ArgumentParser(prog="python -m analysis", description=__doc__)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="cache folder (default: data/cache)")
    parser.add_argument("--workspace", type=Path, default=None,
                        help="workspace folder: rules, budgets, access (default: $FINOPS_WORKSPACE or data/workspace)")
    parser.add_argument("--as", dest="as_user", metavar="EMAIL",
                        help="run as this user, with the role and scope access.yaml gives them (default: the "
                             "operator, with full access)")
    parser.add_argument("--groups", default="", metavar="G1,G2", help="with --as: the user's groups")
    commands = parser.add_subparsers(dest="command", required=True)
    load = commands.add_parser("load", help="validate FOCUS CSV/Parquet files or folders and add them to the cache")
    load.add_argument("--dry-run", action="store_true", help="run every check of a real load; change nothing")
    load.add_argument("--replace", action="store_true",
                      help="replace everything in the cache (the sample included) with these files")
    load.add_argument("--keep-both", action="store_true",
                      help="add a delivery of a billing period already cached instead of replacing the older one")
    bounds = LoadLimits()
    load.add_argument("--earliest", type=dt.date.fromisoformat, default=bounds.earliest,
                      help=f"earliest date a file may hold (default {bounds.earliest})")
    load.add_argument("--latest", type=dt.date.fromisoformat, default=bounds.latest,
                      help=f"dates must be before this day (default {bounds.latest})")
    load.add_argument("--max-amount", type=float, default=bounds.max_abs_amount,
                      help=f"largest magnitude of one row's cost or unit price (default {bounds.max_abs_amount:g})")
    load.add_argument("--max-tag-columns", type=int, default=bounds.max_tag_columns,
                      help=f"tag keys that become columns; the rest stay in Tags (default {bounds.max_tag_columns})")
    load.add_argument("--memory-limit", default=bounds.memory_limit,
                      help=f"memory the cache engine may use while committing (default {bounds.memory_limit})")
    load.add_argument("paths", nargs="+", help="files, folders or s3://bucket/prefix locations")
    load.set_defaults(run=_load)
    sample = commands.add_parser("sample", help="(re)build the cache from the embedded sample generator")
    sample.add_argument("--rows", type=int, default=None, help="approximate rows (default: the sample size)")
    sample.set_defaults(run=_sample)
    alloc = commands.add_parser("allocate", help="validate allocation rules and apply them (for CI on a rules repo)")
    alloc.add_argument("--check", action="store_true", required=True, help="validate and report; change nothing")
    alloc.add_argument("--rules", type=Path, default=SHIPPED_WORKSPACE / "allocation.yaml")
    alloc.add_argument("--data", type=Path, nargs="*", help="FOCUS files or folders (default: the cache)")
    alloc.add_argument("--currency", help="billing currency when the data holds several")
    alloc.set_defaults(run=_allocate)
    budgets_cli.add_parser(commands)
    scenarios_cli.add_parser(commands)
    optimize_cli.add_parser(commands)
    reports_cli.add_parser(commands)
    export_cli.add_parser(commands)
    sync_cli.add_parser(commands)
    alerts_cli.add_parser(commands)
    snow = commands.add_parser("publish-snowflake", help="copy the cache into Snowflake (focus_lines, focus_daily)")
    snow.add_argument("--secrets", type=Path, default=Path(".streamlit/secrets.toml"),
                      help="TOML file with a [snowflake] section (default: .streamlit/secrets.toml)")
    snow.set_defaults(run=_publish)
    fc = commands.add_parser("forecast", help="forecast the next days and project months, quarters and the fiscal year")
    fc.add_argument("--horizon", type=int, default=30, help="days ahead for the next-days total (1-90, default 30)")
    fc.add_argument("--level", type=float, default=0.8, help="interval level (default 0.8)")
    fc.add_argument("--metric", default="EffectiveCost", help="cost column (default EffectiveCost)")
    fc.add_argument("--by", help="also forecast this dimension's top values (e.g. ServiceName), reconciled")
    fc.add_argument("--top", type=int, default=5, help="values forecast on their own with --by (default 5)")
    fc.add_argument("--fiscal-year-start", type=int, default=1, help="first month of the fiscal year (1-12)")
    fc.add_argument("--currency", help="billing currency when the data holds several")
    fc.set_defaults(run=_forecast)
    args = parser.parse_args(argv)
    if args.command == "forecast" and not 1 <= args.horizon <= 90:
        parser.error(f"--horizon must be from 1 to 90 days, got {args.horizon}")
    reads_cache = args.command in ("forecast", "publish-snowflake") or (args.command == "allocate" and not args.data)
    if reads_cache and not FocusCache(args.cache).sources():
        print(f"The cache in {args.cache} is empty: load billing files first "
              "(python -m analysis load FILES) or build the sample (python -m analysis sample).", file=sys.stderr)
        return 2
    workspace = workspace_folder()
    try:
        access = command_access(args.as_user, args.groups, workspace)
        if args.command in ADMIN_COMMANDS and not access.may("load"):
            with audit_to(workspace), as_user(access.who):
                record("refused", args.command, ok=False, detail=f"the {access.role} role may not change the cache")
            raise AccessRefused(f"{access.who} may not run {args.command}: it changes the cache, which only an "
                                "admin may do")
    except AccessRefused as error:
        print(f"Refused: {error}. Nothing changed.", file=sys.stderr)
        return 3
    with acting(access, workspace):
        return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
