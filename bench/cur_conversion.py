"""Loading a big legacy CUR month: `python -m bench.cur_conversion [--rows N] [--keep]`.

Writes a legacy AWS CUR month in its Parquet/Athena form (default 5,000,000 rows, all 124 columns of the real
export in tests/fixtures), then times `python -m analysis load FILE` in a child process (conversion to FOCUS,
checks, cache write and daily rollup) and reads that process's peak memory. Prints one JSON line: rows, file
size, seconds, peak memory, and whether the cache's BilledCost equals the file's own sum of
`line_item_unblended_cost` to the cent. Targets: at most 120 s and 2 GB on 2 cores.

The month is resampled from the real export's rows (so every column holds what AWS writes) with varied hours,
costs and usage drawn per row, ten times as many resources, messy tag spellings (`prod`, `Prod`, `production`),
and taxes, credits and a refund among the line items.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "aws" / "cur_legacy_parquet_2018-10-01.parquet"
OUT = ROOT / "bench" / "out"
CHUNK = 500_000
SCALED = ("line_item_usage_amount", "line_item_normalized_usage_amount", "line_item_unblended_cost",
          "line_item_blended_cost", "pricing_public_on_demand_cost", "reservation_effective_cost",
          "reservation_amortized_upfront_cost_for_usage", "reservation_recurring_fee_for_usage")
ENVIRONMENTS = np.array(["prod", "Prod", "production", "staging", "dev", "", "", ""])


def write_month(path: Path, rows: int, seed: int = 7) -> None:
    """A legacy CUR month of `rows` rows resampled from the fixture's usage rows (see the module docstring)."""
    rng = np.random.default_rng(seed)
    base = pq.read_table(FIXTURE)
    kinds = base["line_item_line_item_type"].to_numpy(zero_copy_only=False)
    usage = np.flatnonzero(kinds != "RIFee")
    month = np.datetime64("2018-10-01T00:00", "ms")
    with pq.ParquetWriter(path, base.schema, compression="snappy") as writer:
        writer.write_table(base.filter(pc.equal(base["line_item_line_item_type"], "RIFee")))  # the month's fees
        written = 0
        while written < rows:
            n = min(CHUNK, rows - written)
            part = base.take(pa.array(rng.choice(usage, n)))
            hours = rng.integers(0, 31 * 24, n).astype("timedelta64[h]")
            factor = rng.lognormal(0.0, 0.8, n)
            columns = {
                "identity_line_item_id": pa.array(np.char.add("li-", (written + np.arange(n)).astype(str))),
                "line_item_usage_start_date": pa.array(month + hours, pa.timestamp("ms", "UTC")),
                "line_item_usage_end_date": pa.array(month + hours + np.timedelta64(1, "h"), pa.timestamp("ms", "UTC")),
                "line_item_resource_id": pc.if_else(
                    pc.equal(part["line_item_resource_id"], ""), "",
                    pc.binary_join_element_wise(part["line_item_resource_id"],
                                                pa.array(rng.integers(0, 10, n).astype(str)), "-")),
                "resource_tags_user_environment": pa.array(rng.choice(ENVIRONMENTS, n)),
                "resource_tags_user_cost_center": pa.array(np.where(rng.random(n) < 0.7, np.char.add(
                    "CC-", rng.integers(100, 140, n).astype(str)), "")),
            }
            for name in SCALED:
                columns[name] = pc.multiply(part[name], pa.array(factor))
            special = rng.random(n)
            kind = np.where(special < 0.001, "Tax", np.where(special < 0.0015, "Credit", part[
                "line_item_line_item_type"].to_numpy(zero_copy_only=False)))
            kind[0] = "Refund" if written == 0 else kind[0]
            columns["line_item_line_item_type"] = pa.array(kind)
            negative = np.isin(kind, ["Credit", "Refund"])
            columns["line_item_unblended_cost"] = pc.if_else(pa.array(negative), pc.negate(
                columns["line_item_unblended_cost"]), columns["line_item_unblended_cost"])
            for name, values in columns.items():
                part = part.set_column(part.schema.get_field_index(name), name, values)
            writer.write_table(part.cast(base.schema))
            written += n


def measure(path: Path) -> dict:
    """Load `path` into a fresh cache in a child process: seconds, peak memory, and the totals reconciled."""
    expected = Decimal(str(pc.sum(pq.read_table(path, columns=["line_item_unblended_cost"])[0]).as_py()))
    cache = Path(tempfile.mkdtemp(prefix="bench-cur-cache-"))
    try:
        started = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-m", "analysis", "--cache", str(cache), "load", str(path)],
                                 cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = child.communicate()
        seconds = time.perf_counter() - started
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # this process's only child
        if child.returncode != 0:
            raise SystemExit(f"load failed ({child.returncode}): {err.strip()[-2000:]}")
        summary = json.loads(out.strip().splitlines()[-1])
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    billed = Decimal(str(summary["totals"]["USD"]["BilledCost"]))
    return {"rows": summary["rows"], "file_mb": round(path.stat().st_size / 1e6, 1), "seconds": round(seconds, 1),
            "peak_memory_gb": round(peak_kb / 1e6, 2), "billed_cost": float(billed),
            "file_unblended_cost": float(expected),
            "reconciles": abs(billed - expected) < Decimal("0.005")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the generated month in bench/out for reuse")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    path = OUT / f"cur-legacy-{args.rows}.parquet"
    if not path.exists():
        started = time.perf_counter()
        write_month(path.with_suffix(".tmp"), args.rows)
        path.with_suffix(".tmp").rename(path)
        print(f"wrote {path.name} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    try:
        print(json.dumps(measure(path)))
    finally:
        if not args.keep:
            path.unlink()


if __name__ == "__main__":
    main()
