"""Concurrent sessions: `python -m bench.concurrency [--rows N] [--rounds R]`.

Each session is a thread with its own cursor on the one DuckDB database (as the app's sessions are),
and runs the Overview queries (KPIs, spend by provider and by service category, top movers, tag
coverage) `--rounds` times. Prints the p50/p95 time of one Overview, for 1 session alone and for 8
sessions at once (and, for comparison, 8 sessions sharing one connection behind a lock), and the last
line as JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time

from analysis.query import local_queries
from analysis.store.cache import FocusCache
from bench.query import ensure_cache, workload

OVERVIEW = 5  # the first five queries of the workload are the Overview page's


def _session(q, period, rounds: int, out: list[float], start: threading.Barrier, lock: threading.Lock | None) -> None:
    own = q if lock else q.cursor()
    queries = workload(own, period)[:OVERVIEW]
    start.wait()
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _, run in queries:
            if lock:
                with lock:
                    run()
            else:
                run()
        out.append((time.perf_counter() - t0) * 1000)


def measure(q, period, sessions: int, rounds: int, shared: bool = False) -> dict:
    """p50/p95 (ms) of one Overview per session, with `sessions` sessions running at once, each on its
    own cursor (or, `shared`, all on one connection behind a lock, as the app did before)."""
    times: list[float] = []
    start = threading.Barrier(sessions)
    lock = threading.Lock() if shared else None
    threads = [threading.Thread(target=_session, args=(q, period, rounds, times, start, lock))
               for _ in range(sessions)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    ordered = sorted(times)
    return {"sessions": sessions, "engine": "one locked connection" if shared else "a cursor each",
            "overviews": len(times), "p50_ms": round(statistics.median(ordered), 1),
            "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
            "overviews_per_s": round(len(times) / wall, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000, help="sample rows (default 2,000,000)")
    parser.add_argument("--rounds", type=int, default=10, help="Overviews per session (default 10)")
    args = parser.parse_args()
    q = local_queries(FocusCache(ensure_cache(args.rows)))
    period = q.period()
    for _, run in workload(q, period)[:OVERVIEW]:  # warm the file cache once
        run()
    results = [measure(q, period, 1, args.rounds), measure(q, period, 8, args.rounds),
               measure(q, period, 8, args.rounds, shared=True)]
    print(f"{'sessions':>8} {'engine':>22} {'overviews':>9} {'p50 ms':>8} {'p95 ms':>8} {'overviews/s':>12}")
    for r in results:
        print(f"{r['sessions']:>8} {r['engine']:>22} {r['overviews']:>9} {r['p50_ms']:>8} {r['p95_ms']:>8} "
              f"{r['overviews_per_s']:>12}")
    print(json.dumps({"rows": args.rows, "results": results}))


if __name__ == "__main__":
    main()
