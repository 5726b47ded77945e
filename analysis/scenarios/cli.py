"""`python -m analysis scenario FILE [--months N]`: a scenario's months against the baseline."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from analysis.commandline import CommandError, fail, open_cache
from analysis.scenarios.engine import run as run_scenario
from analysis.scenarios.model import MAX_MONTHS, ScenarioError, lever_label, parse_scenario
from analysis.scope import ScopeError, describe, parse_scope, scope_problems


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("scenario", help="project a what-if scenario against the baseline forecast")
    parser.add_argument("file", type=Path, help="a scenario YAML file")
    parser.add_argument("--months", type=int, choices=range(1, MAX_MONTHS + 1), metavar=f"1-{MAX_MONTHS}",
                        help="months to project (overrides the file's months)")
    parser.add_argument("--rules", type=Path, default=None,
                        help="allocation rules for alloc: scopes (default: the workspace's, else the shipped ones)")
    parser.add_argument("--scope", default="", help="report only this part of the bill, written "
                        "'ServiceCategory=Compute; ProviderName=AWS|Microsoft' (default: the whole bill)")
    parser.add_argument("--currency", help="billing currency when the data holds several")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the monthly table and, last, one JSON line; exit 2 with a message on bad input."""
    try:
        scenario = parse_scenario(args.file.read_text(encoding="utf-8"), args.file.name)
        shown = parse_scope(args.scope)
    except OSError as error:
        return fail(f"Cannot read the scenario file {args.file}: {error.strerror or error}")
    except ScenarioError as error:
        return fail(f"Invalid scenario: {error}")
    except ScopeError as error:
        return fail(f"Invalid --scope: {error}")
    try:
        opened = open_cache(args.cache, args.currency, (shown, *(lever.scope for lever in scenario.levers)),
                            args.rules, (args.file.parent.parent / "allocation.yaml",))
    except CommandError as error:
        return fail(str(error))
    q, currency, span, dimensions = opened.q, opened.currency, opened.span, opened.allocation
    problems = [f"{lever_label(i, lever)}, field scope: {p}" for i, lever in enumerate(scenario.levers)
                for p in scope_problems(q, lever.scope, dimensions)]
    problems += [f"--scope: {p}" for p in scope_problems(q, shown, dimensions)]
    if problems:
        return fail(f"Invalid scenario {scenario.name!r} in {args.file.name}: " + "; ".join(problems))
    try:
        result = run_scenario(q, scenario, span[1], args.months, currency, shown)
    except ScenarioError as error:
        return fail(f"Invalid scenario in {args.file.name}: {error}")
    for warning in result.warnings:
        print(f"Warning: {warning}", file=sys.stderr)
    table = result.table()[["month", "baseline", "baseline_lower", "baseline_upper", "scenario", "scenario_lower",
                            "scenario_upper", "delta", "scenario_cumulative"]]
    print(f"{scenario.name}: {scenario.metric} in {currency} for {describe(shown)}, from the data's last day "
          f"{span[1]}; 80% intervals")
    print(table.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    print(json.dumps(result.as_json()))
    return 0

