"""`python -m analysis sync`: bring every source in sources.yaml up to date, for a scheduled run."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from analysis.commandline import fail
from analysis.store.cache import FocusCache
from analysis.store.workspace import workspace_folder
from analysis.sync.run import sync
from analysis.sync.sources import FILE_NAME, SourcesError, parse_sources


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("sync", help="read what changed at every configured source (sources.yaml)")
    parser.add_argument("--sources", type=Path, default=workspace_folder() / FILE_NAME,
                        help="sources file (default: sources.yaml in $FINOPS_WORKSPACE or data/workspace)")
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="sync only this source (repeatable)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """One line per source, then a JSON line; exit 1 when a source failed (the others still synced), 2 on a
    bad sources file."""
    try:
        sources = parse_sources(args.sources.read_text(encoding="utf-8"), args.sources.name)
    except OSError as error:
        return fail(f"Cannot read the sources file {args.sources}: {error.strerror or error}")
    except SourcesError as error:
        return fail(str(error))
    unknown = [n for n in args.only if n.casefold() not in {s.name.casefold() for s in sources}]
    if unknown:
        return fail(f"No source named {unknown[0]!r} in {args.sources} (sources: "
                    f"{', '.join(s.name for s in sources) or 'none'})")
    chosen = [s for s in sources if not args.only or s.name.casefold() in {n.casefold() for n in args.only}]
    if not [s for s in chosen if s.enabled]:
        return fail(f"No enabled source in {args.sources}: add one (see the README, 'Syncing sources')")
    report = sync(FocusCache(args.cache), chosen,
                  progress=lambda what, share: print(f"[{share:4.0%}] {what}", file=sys.stderr))
    for result in report.results:
        print(result)
    print(json.dumps(report.summary()))
    return 0 if report.ok else 1
