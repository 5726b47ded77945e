"""FOCUS out: the cache (any source) written back as FOCUS 1.2 Parquet, one file per billing month.

Each file holds the FOCUS 1.2 columns in their spec types: date-times as UTC timestamps, decimals as
Parquet decimals (`DECIMAL(38, 18)`, taken from each value's shortest decimal form, so `0.1` stays
`0.1`), strings, and `Tags` (and `SkuPriceDetails`) as JSON object text. Every Mandatory column is
written; a Conditional or Recommended column only when the exported months hold a value in it. The
only other columns are the providers' `x_` columns; the cache's helpers (`ChargeDate`, `x_Source`,
`x_Tagged`, the `x_tag_*` copies of `Tags`) are left out.

The billing month of a row is the UTC month of its `BillingPeriodStart`, or of its `ChargePeriodStart`
when the row names no billing period. The rows go from the cache's Parquet files to the output
through DuckDB (`COPY ... TO`), never through pandas whole; each file is written under a temporary
name, fsynced, then renamed into place, and an existing file is replaced only with `force`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import ibis
import ibis.expr.types as ir

from analysis.focus.schema import (
    COLUMNS,
    COST_COLUMNS,
    CUSTOM_PREFIX,
    DATE_COLUMN,
    SOURCE_COLUMN,
    TAG_PREFIX,
    TAGGED_COLUMN,
)
from analysis.query import local_queries
from analysis.store.cache import FocusCache
from analysis.store.files import fsync

DECIMAL = ibis.dtype("decimal(38, 18)")
TYPES = {"string": ibis.dtype("string"), "json": ibis.dtype("string"), "decimal": DECIMAL,
         "datetime": ibis.dtype("timestamp('UTC')")}
OURS = (DATE_COLUMN, SOURCE_COLUMN, TAGGED_COLUMN)  # the cache's helper columns, never exported
MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


class ExportError(ValueError):
    """An export that cannot be done (no data, an unknown month, an unwritable folder); nothing written."""


@dataclass
class ExportResult:
    """What an export wrote: one entry per file, rows and totals per currency (summed from the files)."""

    files: list[dict] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(f["rows"] for f in self.files)

    @property
    def totals(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, Decimal]] = {}
        for f in self.files:
            for currency, sums in f["totals"].items():
                into = out.setdefault(currency, {})
                for column, value in sums.items():
                    into[column] = into.get(column, Decimal(0)) + Decimal(str(value))
        return {c: {k: float(round(v, 6)) for k, v in sums.items()} for c, sums in sorted(out.items())}

    def summary(self) -> dict:
        return {"files": [f["path"] for f in self.files], "rows": self.rows, "totals": self.totals}


def file_name(month: str) -> str:
    return f"focus-{month}.parquet"


def export_focus(cache: FocusCache, out_dir: Path, months: list[str] | None = None, *, force: bool = False,
                 memory_limit: str = "1GB") -> ExportResult:
    """Write the cache's line items as FOCUS 1.2 Parquet, `out_dir/focus-YYYY-MM.parquet` per billing month.

    `months` (YYYY-MM) limits the export; by default every month the cache holds is written.
    Raises ExportError, having written nothing, when the cache is empty, a month is malformed or not in
    the cache, a file exists and `force` is not given, or the folder cannot be written.
    """
    if not cache.line_files():
        raise ExportError(f"The cache in {cache.root} is empty: load billing files first "
                          "(python -m analysis load FILES) or build the sample (python -m analysis sample).")
    bad = [m for m in months or [] if not MONTH.fullmatch(m)]
    if bad:
        raise ExportError(f"Not a month (YYYY-MM): {', '.join(bad)}.")
    q = local_queries(cache, memory_limit=memory_limit)
    con = q.backend
    con.raw_sql("SET TimeZone = 'UTC'")  # months and timestamps in UTC whatever the machine's zone
    lines = q.lines
    month = billing_month(lines)
    held = sorted(con.to_pyarrow(lines.select(month=month).distinct())["month"].to_pylist())
    unknown = [m for m in months or [] if m not in held]
    if unknown:
        raise ExportError(f"No billing month {', '.join(unknown)} in the cache {cache.root}; "
                          f"it holds {_span(held)}.")
    chosen = sorted(set(months)) if months else held
    targets = {m: Path(out_dir) / file_name(m) for m in chosen}
    existing = [str(p) for p in targets.values() if p.exists()]
    if existing and not force:
        raise ExportError(f"{', '.join(existing)} already exist{'s' if len(existing) == 1 else ''}; "
                          "use --force to overwrite. Nothing written.")
    try:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        probe = Path(out_dir) / f".focus-export-{os.getpid()}.probe"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise ExportError(f"Cannot write to {out_dir}: {error.strerror or error}. Nothing written.") from error
    columns = exported_columns(con, lines.filter(month.isin(chosen)))
    result = ExportResult()
    for m, path in targets.items():
        rows, totals = _write(con, focus_table(in_month(lines, m), columns), path)
        result.files.append({"path": str(path), "month": m, "rows": rows, "totals": totals})
    return result


def billing_month(t: ir.Table) -> ir.StringValue:
    """`YYYY-MM` of the row's billing period start, or of its charge period start when it has none."""
    start = t.BillingPeriodStart if "BillingPeriodStart" in t.columns else ibis.null("timestamp('UTC')")
    return start.fill_null(t.ChargePeriodStart).strftime("%Y-%m")


def in_month(t: ir.Table, month: str) -> ir.Table:
    """The rows of one billing month (as `billing_month`), as ranges the engine can match against the Parquet
    files' statistics, so that each month reads only its own files."""
    year, number = map(int, month.split("-"))
    start = ibis.literal(dt.datetime(year, number, 1, tzinfo=dt.UTC))
    end = ibis.literal(dt.datetime(year + number // 12, number % 12 + 1, 1, tzinfo=dt.UTC))
    charge = (t.ChargePeriodStart >= start) & (t.ChargePeriodStart < end)
    if "BillingPeriodStart" not in t.columns:
        return t.filter(charge)
    billing = t.BillingPeriodStart
    return t.filter(((billing >= start) & (billing < end)) | (billing.isnull() & charge))


def exported_columns(con: ibis.BaseBackend, lines: ir.Table) -> list[str]:
    """FOCUS 1.2 columns (every Mandatory one; the others when some row holds a value), then the
    providers' `x_` columns holding a value, in that order."""
    focus = [c for c in COLUMNS if c in lines.columns and not COLUMNS[c].mandatory]
    custom = sorted(c for c in lines.columns if c.startswith(CUSTOM_PREFIX) and c not in OURS
                    and not c.startswith(TAG_PREFIX))
    optional = [*focus, *custom]
    held: set[str] = set()
    if optional:
        counts = con.to_pyarrow(lines.aggregate(**{f"c{i}": lines[c].count() for i, c in enumerate(optional)}))
        held = {c for i, c in enumerate(optional) if counts[f"c{i}"][0].as_py()}
    return [c for c in COLUMNS if COLUMNS[c].mandatory or c in held] + [c for c in custom if c in held]


def focus_table(lines: ir.Table, columns: list[str]) -> ir.Table:
    """The line items as FOCUS 1.2 columns in their spec types (absent Mandatory columns as nulls)."""
    out = {}
    for name in columns:
        spec = COLUMNS.get(name)
        if spec is None:  # a provider's `x_` column, as it is
            out[name] = lines[name]
            continue
        target = TYPES[spec.kind]
        if name not in lines.columns:
            out[name] = ibis.null(target)
        elif spec.kind == "decimal":  # via the shortest text of the double: 0.1 -> 0.1, not 0.1000000000000000055
            out[name] = lines[name].cast("float64").cast("string").cast(target)
        else:
            out[name] = lines[name].cast(target)
    return lines.select(**out)


def _write(con: ibis.BaseBackend, table: ir.Table, path: Path) -> tuple[int, dict[str, dict[str, float]]]:
    """Stream one month to `path` (temporary name, fsync, rename); its rows and totals read back from it."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        con.to_parquet(table, tmp, compression="zstd")
        written = con.read_parquet(str(tmp))
        costs = [c for c in COST_COLUMNS if c in written.columns]
        sums = con.to_pyarrow(written.group_by("BillingCurrency").aggregate(
            rows=written.count(), **{c: written[c].sum() for c in costs})).to_pylist()
        fsync(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    fsync(path.parent)
    rows = sum(s["rows"] for s in sums)
    totals = {s["BillingCurrency"] or "": {c: float(s[c] or 0) for c in costs} for s in sums}
    return rows, totals


def _span(months: list[str]) -> str:
    if not months:
        return "no billing month"
    return months[0] if len(months) == 1 else f"{len(months)} months, {months[0]} to {months[-1]}"
