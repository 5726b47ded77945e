"""What a user's scope costs: `python -m bench.scope [--rows N] [--repeat R]`.

Runs the Overview and Explore workload of `bench.query` on the N-row sample cache (default 2,000,000) as the
operator (no restriction) and as users restricted to part of the bill, interleaved so that both see the same
machine state, and prints per view the median over all queries and the ratio to the operator's. Views:
`whole bill` (a grant of `{}`), `one account` (a column of the daily rollup), `account or team tag` (a union of
two scopes) and `team by allocation rule` (an `alloc:` scope, which needs the line items rolled up on the fly).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from analysis.allocation.queries import with_rules
from analysis.allocation.rules import load_rules
from analysis.query import local_queries
from analysis.store.cache import FocusCache
from analysis.store.workspace import SHIPPED_WORKSPACE
from bench.query import ensure_cache, workload


def views(q) -> dict:
    """The operator's queries and restricted ones, keyed by a label."""
    rules = load_rules(SHIPPED_WORKSPACE / "allocation.yaml")
    ruled = with_rules(q, rules)
    accounts = q.values("SubAccountName")
    team = f"alloc:{rules.dimensions[0].name}"
    owner = next(v for v in ruled.values(team) if not v.startswith("("))
    return {
        "operator": q,
        "whole bill": q.restricted(((),)),
        "one account": q.restricted(((("SubAccountName", (accounts[0],)),),)),
        "account or team tag": q.restricted(((("SubAccountName", (accounts[1],)),), (("tag:team", ("payments",)),))),
        "team by allocation rule": ruled.restricted((((team, (owner,)),),)),
    }


def measure(rows: int, repeat: int) -> dict:
    q = local_queries(FocusCache(ensure_cache(rows)))
    period = q.period()
    works = {label: workload(view, period) for label, view in views(q).items()}
    for work in works.values():  # warm each view's first query (files opened, statistics read)
        work[0][1]()
    timings: dict[str, list[float]] = {label: [] for label in works}
    for _ in range(repeat):
        for label, work in works.items():
            for _, run in work:
                started = time.perf_counter()
                run()
                timings[label].append((time.perf_counter() - started) * 1000)
    base = statistics.median(timings["operator"])
    return {"rows": rows, "repeat": repeat, "p50_ms": {k: round(statistics.median(v), 1) for k, v in timings.items()},
            "vs_operator": {k: round(statistics.median(v) / base, 2) for k, v in timings.items() if k != "operator"}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps(measure(args.rows, args.repeat)))


if __name__ == "__main__":
    main()
