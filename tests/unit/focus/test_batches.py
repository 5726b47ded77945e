"""Large files are read, converted and checked in batches of rows: the result is the same as reading the
file whole, findings name the file's own rows, and the batches wait on disk (removed afterwards).

`BATCH_ROWS` is made small here so that fixture-sized files span several batches.
"""

import csv
import gc
import gzip
import json
from decimal import Decimal

import pandas as pd
import pyarrow.parquet as pq
import pytest

import analysis.focus.loader as focus_loader
from analysis.focus.loader import FocusLoadError, load_focus_file, load_focus_paths
from analysis.query import Filters, local_queries
from analysis.store.cache import FocusCache
from analysis.store.load import deliveries
from tests.fixture_paths import FIXTURES, SAMPLE_1000

CUR_PARQUET = FIXTURES / "aws" / "cur_legacy_parquet_2018-10-01.parquet"
CUR_CSV = FIXTURES / "aws" / "cur_legacy_anonymized.csv"
ROW = {"ChargePeriodStart": "2025-01-01", "ChargePeriodEnd": "2025-01-02", "BillingPeriodStart": "2025-01-01",
       "BillingPeriodEnd": "2025-02-01", "BilledCost": "1.25", "EffectiveCost": "1.25", "BillingCurrency": "USD",
       "ServiceName": "Compute"}


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(focus_loader, "BATCH_ROWS", 300)


def _write_csv(path, records):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(records[0]))
        writer.writeheader()
        writer.writerows(records)
    return path


def _cents(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


@pytest.mark.parametrize("path", [SAMPLE_1000, CUR_PARQUET, CUR_CSV], ids=["focus-csv", "cur-parquet", "cur-csv"])
def test_a_file_in_batches_loads_exactly_as_read_whole(path, monkeypatch):
    whole = load_focus_file(path)
    monkeypatch.setattr(focus_loader, "BATCH_ROWS", 300)
    batched = load_focus_file(path)
    assert whole.staged == () and len(batched.staged) >= 3
    assert batched.rows == whole.rows == len(whole.frame)
    pd.testing.assert_frame_equal(batched.frame, whole.frame)
    assert [str(f) for f in batched.findings if f.severity != "info"] == \
        [str(f) for f in whole.findings if f.severity != "info"]


def test_batches_reach_the_cache_with_the_files_totals(small_batches, tmp_path):
    raw = pq.read_table(CUR_PARQUET).to_pandas()
    expected = _cents(pd.to_numeric(raw["line_item_unblended_cost"]).sum())  # 247.14, computed on the raw file
    loaded = load_focus_paths([CUR_PARQUET])
    assert len(loaded[0].staged) == 13  # 3,685 rows in batches of 300
    cache = FocusCache(tmp_path / "cache")
    cache.load(deliveries(loaded))
    q = local_queries(cache)
    assert _cents(q.total(Filters(currency="USD"), "BilledCost")) == expected == Decimal("247.14")
    assert q.lines.count().execute() == 3685


def test_an_error_late_in_the_file_names_the_files_row_and_keeps_nothing(small_batches, tmp_path, monkeypatch):
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(focus_loader.tempfile, "tempdir", str(temporary))
    records = [dict(ROW) for _ in range(1000)]
    records[849]["BilledCost"] = "lots"  # spreadsheet row 851: in the third batch
    path = _write_csv(tmp_path / "late.csv", records)
    with pytest.raises(FocusLoadError) as caught:
        load_focus_file(path)
    (error,) = [f for f in caught.value.findings if f.severity == "error"]
    assert error.column == "BilledCost" and error.rows == (851,)
    assert "row 851" in error.message and "'lots'" in error.message
    assert list(temporary.iterdir()) == []  # the two batches staged before the error are gone


def test_a_warning_in_several_batches_is_reported_once_saying_it_recurs(small_batches, tmp_path):
    records = [dict(ROW) for _ in range(1000)]
    for position in (10, 11, 650, 990):
        records[position]["EffectiveCost"] = ""
    path = _write_csv(tmp_path / "gaps.csv", records)
    findings = [f for f in load_focus_file(path).findings if f.column == "EffectiveCost"]
    assert len(findings) == 1
    (finding,) = findings
    assert finding.rows == (12, 13)  # the first batch's rows, numbered as in the file
    assert "the same again further down the file (in 2 more batches of up to 300 rows)" in finding.message


def test_staged_batches_are_removed_once_loaded(small_batches):
    loaded = load_focus_file(SAMPLE_1000)
    folder = loaded.staged[0].parent
    assert folder.is_dir() and len(list(folder.glob("*.parquet"))) == 4
    del loaded
    gc.collect()
    assert not folder.exists()


def test_json_lines_and_json_arrays_load_like_csv(tmp_path):
    records = [dict(ROW, BilledCost=str(i), Tags={"team": f"t{i % 2}"}) for i in range(5)]
    lines = tmp_path / "bill.jsonl"
    lines.write_text("\n".join(json.dumps(r) for r in records) + "\n\n")
    array = tmp_path / "bill.json.gz"
    array.write_bytes(gzip.compress(json.dumps(records, indent=2).encode()))
    for path in (lines, array):
        frame = load_focus_file(path).frame
        assert frame["BilledCost"].sum() == 10
        assert json.loads(frame["Tags"].iloc[3]) == {"team": "t1"}


def test_json_lines_read_in_batches_number_their_rows(small_batches, tmp_path):
    records = [dict(ROW) for _ in range(700)]
    records[650]["ChargePeriodStart"] = "yesterday"
    path = tmp_path / "bill.ndjson"
    path.write_text("\n".join(json.dumps(r) for r in records))
    with pytest.raises(FocusLoadError) as caught:
        load_focus_file(path)
    (error,) = [f for f in caught.value.findings if f.severity == "error"]
    assert error.column == "ChargePeriodStart" and error.rows == (652,)


@pytest.mark.parametrize(("text", "message"), [
    ('{"BilledCost": 1}\n{"BilledCost": 2,\n', "bad.json: is not valid JSON (line 2, column"),
    ('{"BilledCost": 1}\n[1, 2]\n', "bad.json: line 2 is not a JSON object"),
    ("[1, 2, 3]", "bad.json: is a JSON array, but not of objects"),
])
def test_malformed_json_is_rejected_naming_the_file_and_line(tmp_path, text, message):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(FocusLoadError) as caught:
        load_focus_file(path)
    assert str(caught.value).startswith(message)


def test_a_folder_skips_delivery_manifests(tmp_path):
    _write_csv(tmp_path / "bill.csv", [ROW])
    (tmp_path / "report-Manifest.json").write_text(json.dumps({"reportKeys": ["bill.csv"]}))
    (loaded,) = load_focus_paths([tmp_path])
    assert loaded.path.name == "bill.csv"
