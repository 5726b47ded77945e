"""Query-layer benchmark: `python -m bench.query --rows N`.

Generates (or reuses) an N-row sample cache under bench/out/, then, each path in its own process
so that peak memory is its own: the engine path (cold open + first Overview, then warm Overview
and Explore queries, p50/p95) and the naive path (pandas reads all the Parquet, then groups by).
The last printed line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from analysis.query import local_queries

OUT = Path(__file__).resolve().parent / "out"


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ensure_cache(rows: int) -> Path:
    """The N-row sample cache under bench/out/, generated in a process of its own when missing, so that
    this process (and the measuring processes it starts, which inherit its peak memory on Linux) stays small."""
    from analysis.store.cache import FocusCache

    root = OUT / f"cache-{rows}"
    cache = FocusCache(root)
    if cache.sources():
        print(f"reusing {root} ({cache.sources()[0].summary['rows']:,} rows)", file=sys.stderr)
        return root
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "analysis", "--cache", str(root), "sample", "--rows", str(rows)],
                   check=True, capture_output=True)
    print(f"generated {cache.sources()[0].summary['rows']:,} rows in {time.perf_counter() - started:.1f} s",
          file=sys.stderr)
    return root


def workload(q, period):
    """The Overview and Explore queries a user triggers, as (name, callable) pairs."""
    from analysis.query import Filters
    from analysis.visibility.overview import kpis, top_movers

    last = period[1]
    start = last.replace(day=1).replace(month=1) if last.month > 6 else last.replace(year=last.year - 1, day=1)
    f = Filters(start=start, end=None)
    aws = f.with_values("ProviderName", ["AWS"])
    return [
        ("overview.kpis", lambda: kpis(q, f)),
        ("overview.by_provider", lambda: q.series(f, "EffectiveCost", "month", ("ProviderName",))),
        ("overview.by_category", lambda: q.series(f, "EffectiveCost", "month", ("ServiceCategory",))),
        ("overview.movers", lambda: top_movers(q, f)),
        ("overview.tag_coverage", lambda: q.tag_coverage(f)),
        ("explore.service_month", lambda: q.series(f, "BilledCost", "month", ("ServiceName",))),
        ("explore.team_week", lambda: q.series(aws, "EffectiveCost", "week", ("tag:team",))),
        ("explore.account_service_day", lambda: q.series(aws, "EffectiveCost", "day", ("SubAccountName", "ServiceName"))),
        ("explore.resource_month", lambda: q.breakdown(aws, ("ResourceId",), limit=50)),
    ]


def _allocation_workload(q, period):
    """The same Overview/Showback questions answered through the shipped allocation rules."""
    from analysis.allocation.queries import allocation, owner_breakdown, rule_coverage, with_rules
    from analysis.allocation.rules import load_rules
    from analysis.query import Filters

    rules = load_rules(Path(__file__).resolve().parents[1] / "data" / "workspace" / "allocation.yaml")
    ruled = with_rules(q, rules)
    last = period[1]
    f = Filters(start=last.replace(day=1).replace(month=1) if last.month > 6 else last.replace(year=last.year - 1, day=1))
    return [
        ("allocation.showback_team", lambda: allocation(ruled, f, rules, "Team")),
        ("allocation.showback_costcenter", lambda: allocation(ruled, f, rules, "CostCenter")),
        ("allocation.rule_coverage", lambda: rule_coverage(ruled, f, rules, "Team")),
        ("allocation.owner_services", lambda: owner_breakdown(ruled, f, rules, "Team", "data", "ServiceName")),
    ]


def _timed(work, repeat: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {name: [] for name, _ in work}
    for _ in range(repeat):
        for name, run in work:
            t0 = time.perf_counter()
            run()
            timings[name].append((time.perf_counter() - t0) * 1000)
    return timings


def _engine(root: Path, repeat: int) -> dict:
    from analysis.store.cache import FocusCache

    started = time.perf_counter()
    q = local_queries(FocusCache(root))
    period = q.period()
    work = workload(q, period)
    work[0][1]()
    cold = time.perf_counter() - started
    timings = _timed(work, repeat)
    allocation = _timed(_allocation_workload(q, period), repeat)
    every = sorted(t for ts in timings.values() for t in ts)
    allocated = sorted(t for ts in allocation.values() for t in ts)
    return {
        "allocation_p50_ms": round(statistics.median(allocated), 1),
        "cold_s": round(cold, 3),
        "warm_p50_ms": round(statistics.median(every), 1),
        "warm_p95_ms": round(every[int(0.95 * (len(every) - 1))], 1),
        "per_query_p50_ms": {name: round(statistics.median(ts), 1) for name, ts in {**timings, **allocation}.items()},
        "peak_rss_mb": round(_peak_rss_mb(), 1),
    }


def _pandas(root: Path) -> dict:
    """The naive way: read every Parquet file with pandas, then group by month and provider."""
    import pandas as pd

    from analysis.store.cache import FocusCache

    files = [root / f for s in FocusCache(root).sources() for f in s.files]
    started = time.perf_counter()
    frame = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    month = pd.to_datetime(frame["ChargeDate"]).dt.to_period("M")
    frame.groupby([month, "ProviderName"])["EffectiveCost"].sum()
    return {"pandas_ms": round((time.perf_counter() - started) * 1000, 1), "pandas_peak_rss_mb": round(_peak_rss_mb(), 1)}


def _child(path: str, root: Path, repeat: int) -> dict:
    args = [sys.executable, "-m", "bench.query", "--child", path, "--root", str(root), "--repeat", str(repeat)]
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=10, help="warm repetitions of the workload")
    parser.add_argument("--skip-pandas", action="store_true", help="skip the naive path (it needs ~GBs at 50M rows)")
    parser.add_argument("--child", choices=["engine", "pandas"], help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_engine(args.root, args.repeat) if args.child == "engine" else _pandas(args.root)))
        return
    root = ensure_cache(args.rows)
    engine = _child("engine", root, args.repeat)
    for name, ms in engine.pop("per_query_p50_ms").items():
        print(f"{name:32s} p50 {ms:8.1f} ms")
    naive = {"pandas_ms": None, "pandas_peak_rss_mb": None} if args.skip_pandas else _child("pandas", root, 1)
    from analysis.store.cache import FocusCache

    rows = sum(s.summary["rows"] for s in FocusCache(root).sources())
    ratio = round(naive["pandas_ms"] / engine["warm_p50_ms"], 1) if naive["pandas_ms"] else None
    allocation_ratio = round(engine["allocation_p50_ms"] / engine["warm_p50_ms"], 2)
    print(f"allocation p50 {engine['allocation_p50_ms']} ms = {allocation_ratio} x the warm p50 without rules")
    print(json.dumps({"rows": rows, "cold_s": engine["cold_s"], "warm_p50_ms": engine["warm_p50_ms"],
                      "warm_p95_ms": engine["warm_p95_ms"], "pandas_ms": naive["pandas_ms"],
                      "ratio_vs_pandas": ratio, "peak_rss_mb": engine["peak_rss_mb"],
                      "pandas_peak_rss_mb": naive["pandas_peak_rss_mb"],
                      "allocation_p50_ms": engine["allocation_p50_ms"], "allocation_ratio": allocation_ratio}))


if __name__ == "__main__":
    main()
