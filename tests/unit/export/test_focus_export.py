"""FOCUS out: a cache loaded from real fixtures of four providers, exported as FOCUS 1.2 Parquet.

The expected numbers are computed here from the cache's own Parquet files (pyarrow, Decimal), not by the
export code: rows and BilledCost/EffectiveCost per billing month and currency, to the cent, and the tags.
"""

import json
import subprocess
import sys
from collections import Counter
from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from analysis.export.focus import ExportError, export_focus
from analysis.focus.loader import load_focus_paths
from analysis.focus.schema import COLUMNS, MANDATORY
from analysis.store.cache import FocusCache
from analysis.store.load import deliveries
from tests.conftest import ROOT
from tests.fixture_paths import FIXTURES

LOADED = [FIXTURES / "aws" / "cur_legacy_parquet_2018-10-01.parquet", FIXTURES / "azure" / "ea_anonymized.csv",
          FIXTURES / "gcp" / "billing_export_standard.parquet",
          next((FIXTURES / "oci" / "FOCUS Reports").rglob("*.csv.gz"))]
MONTHS = ["2018-10", "2023-09", "2024-03", "2024-08"]
CENT = Decimal("0.01")
TYPES = {"string": pa.string(), "json": pa.string(), "decimal": pa.decimal128(38, 18),
         "datetime": pa.timestamp("us", tz="UTC")}


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> FocusCache:
    cache = FocusCache(tmp_path_factory.mktemp("cache"))
    cache.load(deliveries(load_focus_paths(LOADED)))
    return cache


@pytest.fixture(scope="module")
def exported(cache, tmp_path_factory):
    out = tmp_path_factory.mktemp("focus")
    return out, export_focus(cache, out)


def _cache_lines(cache: FocusCache) -> pa.Table:
    tables = [pq.read_table(f) for f in cache.line_files()]
    return pa.concat_tables(tables, promote_options="permissive")


def _month(table: pa.Table) -> list[str]:
    start = pc.coalesce(table["BillingPeriodStart"], table["ChargePeriodStart"])
    return pc.strftime(start, format="%Y-%m").to_pylist()


def _sums(table: pa.Table) -> dict:
    """{(month, currency): [rows, BilledCost, EffectiveCost]} with exact Decimal sums, rounded to the cent."""
    out: dict = {}
    months = _month(table)
    for m, currency, billed, effective in zip(months, table["BillingCurrency"].to_pylist(),
                                             table["BilledCost"].to_pylist(), table["EffectiveCost"].to_pylist()):
        entry = out.setdefault((m, currency), [0, Decimal(0), Decimal(0)])
        entry[0] += 1
        entry[1] += Decimal(str(billed or 0))
        entry[2] += Decimal(str(effective or 0))
    return {k: [rows, billed.quantize(CENT), effective.quantize(CENT)] for k, (rows, billed, effective) in out.items()}


def _tags(table: pa.Table, month: str) -> Counter:
    keep = [m == month for m in _month(table)]
    values = table.filter(pa.array(keep))["Tags"].to_pylist()
    return Counter(json.dumps(json.loads(v), sort_keys=True) if v else None for v in values)


def test_one_file_per_billing_month_in_focus_names_and_types(exported):
    out, result = exported
    assert sorted(p.name for p in out.iterdir()) == [f"focus-{m}.parquet" for m in MONTHS]
    assert [f["month"] for f in result.files] == MONTHS
    for path in out.iterdir():
        schema = pq.read_schema(path)
        assert set(MANDATORY) <= set(schema.names)
        extras = [n for n in schema.names if n not in COLUMNS]
        assert all(n.startswith("x_") for n in extras), extras
        assert not {"x_Source", "x_Tagged", "ChargeDate"} & set(schema.names)
        assert not [n for n in schema.names if n.startswith("x_tag_")]
        for name in schema.names:
            if name in COLUMNS:
                assert schema.field(name).type == TYPES[COLUMNS[name].kind], name
    azure = pq.read_schema(out / "focus-2023-09.parquet")
    assert "x_MeterId" in azure.names  # a provider's own column is kept


def test_rows_and_costs_per_month_and_currency_equal_the_cache_to_the_cent(cache, exported):
    out, result = exported
    expected = _sums(_cache_lines(cache))
    written = _sums(pa.concat_tables([pq.read_table(p) for p in sorted(out.iterdir())], promote_options="permissive"))
    assert written == expected
    assert result.rows == sum(v[0] for v in expected.values())
    for currency, totals in result.totals.items():
        billed = sum(v[1] for (m, c), v in expected.items() if c == currency)
        assert Decimal(str(totals["BilledCost"])).quantize(CENT) == billed


def test_tags_are_json_objects_equal_to_the_cached_tags(cache, exported):
    out, _ = exported
    lines = _cache_lines(cache)
    for month in MONTHS:
        table = pq.read_table(out / f"focus-{month}.parquet")
        values = [json.loads(v) for v in table["Tags"].to_pylist() if v is not None]
        assert all(isinstance(v, dict) for v in values)
        assert _tags(table, month) == _tags(lines, month)
    assert sum(_tags(lines, m)[None] for m in MONTHS) < lines.num_rows  # some rows are tagged


def test_month_filter_and_no_overwrite_without_force(cache, tmp_path):
    result = export_focus(cache, tmp_path, ["2024-03"])
    assert [p.name for p in tmp_path.iterdir()] == ["focus-2024-03.parquet"]
    expected = _sums(_cache_lines(cache))
    assert result.rows == sum(v[0] for (m, _), v in expected.items() if m == "2024-03")
    before = (tmp_path / "focus-2024-03.parquet").read_bytes()
    with pytest.raises(ExportError, match="already exists; use --force"):
        export_focus(cache, tmp_path, ["2024-03", "2023-09"])
    assert [p.name for p in tmp_path.iterdir()] == ["focus-2024-03.parquet"]  # nothing written, not even 2023-09
    assert (tmp_path / "focus-2024-03.parquet").read_bytes() == before
    export_focus(cache, tmp_path, ["2024-03"], force=True)
    assert pq.read_table(tmp_path / "focus-2024-03.parquet").num_rows == result.rows
    with pytest.raises(ExportError, match=r"No billing month 2030-01 .* 4 months, 2018-10 to 2024-08"):
        export_focus(cache, tmp_path, ["2030-01"])


def test_the_export_loads_back_with_the_same_totals(cache, exported, tmp_path):
    out, result = exported
    fresh = FocusCache(tmp_path / "cache")
    fresh.load(deliveries(load_focus_paths([out])))
    assert _sums(_cache_lines(fresh)) == _sums(_cache_lines(cache))
    assert fresh.manifest()["sources"][0]["summary"]["rows"] + sum(
        s["summary"]["rows"] for s in fresh.manifest()["sources"][1:]) == result.rows


def test_command_prints_the_json_summary_last_and_refuses_bad_input(cache, tmp_path):
    run = lambda *args: subprocess.run([sys.executable, "-m", "analysis", "export", *args], cwd=ROOT,
                                       capture_output=True, text=True, timeout=120, check=False)
    done = run("--focus", str(tmp_path / "out"), "--month", "2023-09", "--cache", str(cache.root))
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    expected = _sums(_cache_lines(cache))
    [(key, (rows, billed, _))] = [(k, v) for k, v in expected.items() if k[0] == "2023-09"]
    assert summary["files"] == [str(tmp_path / "out" / "focus-2023-09.parquet")]
    assert summary["rows"] == rows
    assert Decimal(str(summary["totals"][key[1]]["BilledCost"])).quantize(CENT) == billed
    again = run("--focus", str(tmp_path / "out"), "--month", "2023-09", "--cache", str(cache.root))
    assert again.returncode == 2 and "already exists" in again.stderr and "Traceback" not in again.stderr
    empty = run("--focus", str(tmp_path / "out2"), "--cache", str(tmp_path / "nothing"))
    assert empty.returncode == 2 and "is empty" in empty.stderr and "Traceback" not in empty.stderr
    assert not (tmp_path / "nothing").exists() and not (tmp_path / "out2").exists()
    blocked = tmp_path / "file"
    blocked.write_text("")
    unwritable = run("--focus", str(blocked / "sub"), "--cache", str(cache.root))
    assert unwritable.returncode == 2 and "Cannot write to" in unwritable.stderr
    assert "Traceback" not in unwritable.stderr
