"""`python -m analysis export --focus OUT_DIR [--month YYYY-MM ...] [--force]`: the cache as FOCUS 1.2 Parquet."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from analysis.export.focus import ExportError, export_focus
from analysis.store.cache import FocusCache


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("export", help="write the cache as FOCUS 1.2 Parquet, one file per billing month")
    parser.add_argument("--focus", type=Path, required=True, metavar="OUT_DIR",
                        help="folder for focus-YYYY-MM.parquet files (created if needed)")
    parser.add_argument("--month", action="append", default=[], metavar="YYYY-MM",
                        help="export only this billing month; repeat it for several (default: every month)")
    parser.add_argument("--force", action="store_true", help="overwrite files that already exist")
    parser.add_argument("--cache", type=Path, default=argparse.SUPPRESS, help="cache folder (default: data/cache)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """One line per file, then the JSON summary last; exit 2 with a plain message on bad input."""
    try:
        result = export_focus(FocusCache(args.cache), args.focus, args.month, force=args.force)
    except ExportError as error:
        print(f"Not exported: {error}", file=sys.stderr)
        return 2
    for f in result.files:
        print(f"Wrote {f['path']}: {f['rows']:,} rows")
    print(json.dumps(result.summary()))
    return 0
