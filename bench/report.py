"""Finance pack timing: `python -m bench.report [--cache DIR] [--month YYYY-MM]`.

Times, on a cache (default: a fresh sample cache made with `python -m analysis sample`, as bench/pages.py
does), the whole scheduled command `python -m analysis report --xlsx OUT` as a new process (imports, queries,
every forecast fitted, the workbook written), then `finance_pack` in this process twice: the first call
(models fitted) and a second one (models remembered, as the page does on a second click). The rules, budgets
and triage are the shipped workspace's. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from analysis.query import local_queries
from analysis.reports.pack import PackInputs, finance_pack
from analysis.store.cache import FocusCache

ROOT = Path(__file__).resolve().parents[1]
WORKSPACE = ROOT / "data" / "workspace"


def measure(cache: Path, month: str | None = None) -> dict:
    out = Path(tempfile.mkdtemp(prefix="bench-report-")) / "pack.xlsx"
    args = [sys.executable, "-m", "analysis", "--cache", str(cache), "report", "--xlsx", str(out)]
    args += ["--month", month] if month else []
    started = time.perf_counter()
    done = subprocess.run(args, cwd=ROOT, env=dict(os.environ, FINOPS_WORKSPACE=str(WORKSPACE)), capture_output=True,
                          text=True, check=True)
    command = time.perf_counter() - started
    result = json.loads(done.stdout.strip().splitlines()[-1])
    source = FocusCache(cache)
    q = local_queries(source)
    rows = q.summary()["rows"]
    timings = []
    for _ in range(2):
        started = time.perf_counter()
        pack = finance_pack(q, month, inputs=PackInputs.from_workspace(WORKSPACE), tag_labels=source.tag_keys())
        timings.append(time.perf_counter() - started)
    return {"cache": str(cache), "rows": rows, "month": result["month"], "sheets": len(result["sheets"]),
            "charts": result["charts"], "bytes": out.stat().st_size, "command_s": round(command, 1),
            "pack_s": round(timings[0], 1), "pack_again_s": round(timings[1], 1),
            "totals": pack.summary()["totals"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, help="cache folder (default: a fresh sample cache)")
    parser.add_argument("--month", help="YYYY-MM (default: the pack's default month)")
    args = parser.parse_args()
    cache = args.cache
    if cache is None:
        cache = Path(tempfile.mkdtemp(prefix="bench-report-cache-")) / "cache"
        subprocess.run([sys.executable, "-m", "analysis", "--cache", str(cache), "sample"], cwd=ROOT, check=True,
                       capture_output=True)
    result = measure(cache, args.month)
    print(f"{result['rows']:,} rows, month {result['month']}: the command {result['command_s']} s; the pack in "
          f"process {result['pack_s']} s, again {result['pack_again_s']} s ({result['sheets']} sheets, "
          f"{result['charts']} charts, {result['bytes']:,} bytes)")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
