"""Workbook writing speed: `python -m bench.workbook [--rows N]`.

Times `analysis.reports.excel.view_workbook` on one table of N rows (text, integer, money and date columns,
default 100,000) and prints one JSON line: rows, seconds (wall and CPU) and the workbook's size.
"""

from __future__ import annotations

import argparse
import json
import time

import pandas as pd

from analysis.reports.excel import TableSpec, view_workbook


def measure(rows: int) -> dict:
    frame = pd.DataFrame({"service": [f"service-{i % 500}" for i in range(rows)], "quantity": range(rows),
                          "cost": [1.5 + (i % 97) / 7 for i in range(rows)],
                          "day": pd.date_range("2020-01-01", periods=rows, freq="h")})
    wall, cpu = time.perf_counter(), time.process_time()
    data = view_workbook("Bench", [], [], [("Rows", frame, TableSpec(money=["cost"]), [])], "USD")
    return {"rows": rows, "seconds": round(time.perf_counter() - wall, 2),
            "cpu_seconds": round(time.process_time() - cpu, 2), "bytes": len(data)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    print(json.dumps(measure(parser.parse_args().rows)))


if __name__ == "__main__":
    main()
