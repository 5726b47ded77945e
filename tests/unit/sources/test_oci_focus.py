"""OCI FOCUS reports load as FOCUS 1.2: totals to the cent against the raw file, Oracle's columns kept as x_,
1.0-preview names and values read as 1.2, tags queryable, bad input named, the command as a process."""

from __future__ import annotations

import csv
import gzip
import io
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from analysis.focus.loader import FocusLoadError, load_focus_paths
from analysis.query import Filters, local_queries
from analysis.sources import native_format
from analysis.sources.oci_focus import convert
from analysis.store.cache import FocusCache
from analysis.store.load import deliveries
from tests.conftest import ROOT

FOLDER = ROOT / "tests" / "fixtures" / "oci" / "FOCUS Reports"
REPORT = FOLDER / "2024" / "08" / "16" / "0001000001600001-00001.csv.gz"
ORACLE_COLUMNS = ("ReferenceNumber", "CompartmentId", "CompartmentName", "OverageFlag", "UnitPriceOverage",
                  "BilledQuantityOverage", "CostOverage", "AttributedUsage", "AttributedCost", "BackReferenceNumber")


def _records() -> list[dict[str, str]]:
    """Independent: the report's rows as the csv module reads them, every value text."""
    with gzip.open(REPORT, "rt", encoding="utf-8", newline="") as text:
        return list(csv.DictReader(text))


def _raw() -> pd.DataFrame:
    return pd.DataFrame(_records(), dtype="string")


def _total(records: list[dict[str, str]], column: str, keep=lambda r: True) -> Decimal:
    return sum((Decimal(r[column]) for r in records if r[column] and keep(r)), Decimal(0))


def _write(frame: pd.DataFrame, path: Path) -> Path:
    path.write_text(frame.to_csv(index=False))
    return path


def test_the_report_loads_every_row_with_both_costs_to_the_cent():
    records = _records()
    billed, effective = _total(records, "BilledCost"), _total(records, "EffectiveCost")
    assert billed == effective == Decimal("2.228591129051230065")
    (loaded,) = load_focus_paths([FOLDER])  # the bucket's folder layout, gzipped CSV
    frame = loaded.frame
    assert loaded.focus_version_guess == "OCI FOCUS report" and len(frame) == len(records) == 20
    assert Decimal(str(round(frame["BilledCost"].sum(), 12))) == pytest.approx(billed, abs=Decimal("0.005"))
    assert frame["BilledCost"].sum() == pytest.approx(float(billed), abs=1e-12)
    assert frame["EffectiveCost"].sum() == pytest.approx(float(effective), abs=1e-12)
    assert frame["ListCost"].sum() == pytest.approx(float(_total(records, "ListCost")), abs=1e-12)
    # by service category, against the raw file
    raw_compute = _total(records, "BilledCost", lambda r: r["ServiceCategory"] == "Compute")
    assert frame.groupby("ServiceCategory")["BilledCost"].sum()["Compute"] == pytest.approx(float(raw_compute))
    # Oracle's inclusive period end read as FOCUS's exclusive one; charge periods without seconds read
    assert frame["BillingPeriodEnd"].eq(pd.Timestamp("2024-09-01T00:00Z")).all()
    assert frame["BillingPeriodStart"].eq(pd.Timestamp("2024-08-01T00:00Z")).all()
    assert frame["ChargePeriodStart"].min() == pd.Timestamp("2024-08-16T00:00Z")
    assert frame["ChargePeriodEnd"].max() == pd.Timestamp("2024-08-17T00:00Z")  # the day's credit
    (inclusive,) = [f for f in loaded.findings if "last instant" in f.message and f.column == "BillingPeriodEnd"]
    assert "{" not in inclusive.message and "for example '2024-08-31T23:59:59.999Z'" in inclusive.message
    assert not [f for f in loaded.findings if f.severity != "info"]


def test_names_values_and_oracle_columns_in_focus_1_2():
    records = _records()
    (loaded,) = load_focus_paths([REPORT])
    frame = loaded.frame
    assert {"x_" + c for c in ORACLE_COLUMNS} <= set(frame.columns)
    assert not [c for c in frame.columns if c.casefold().startswith("oci_")]
    assert frame["x_CompartmentName"].tolist() == [r["oci_CompartmentName"] for r in records]
    assert set(frame["ProviderName"]) == set(frame["PublisherName"]) == set(frame["InvoiceIssuerName"]) == {"Oracle"}
    assert set(frame["RegionId"]) == {"eu-frankfurt-1"}  # Oracle's `Region`
    assert frame["ConsumedQuantity"].sum() == pytest.approx(float(_total(records, "ConsumedQuantity")))
    assert "x_UsageQuantity" in frame  # the 1.0-preview twin of ConsumedQuantity, kept
    assert frame["PricingCurrencyEffectiveCost"].sum() == pytest.approx(frame["EffectiveCost"].sum())  # `...Cost `
    assert set(frame["ServiceSubcategory"].dropna()) >= {"Virtual Machines", "Block Storage"}
    overage = frame[frame["x_OverageFlag"] == "true"]
    assert len(overage) == 1 and overage["x_CostOverage"].iloc[0] == "0.106250000000000000"
    correction = frame[frame["ChargeClass"] == "Correction"]
    assert len(correction) == 1 and correction["BilledCost"].iloc[0] == -0.02
    assert correction["x_BackReferenceNumber"].iloc[0] == frame["x_ReferenceNumber"].iloc[0]
    credit = frame[frame["ChargeCategory"] == "Credit"]
    assert credit["BilledCost"].tolist() == [-0.5]


def test_tags_queryable_and_totals_in_the_cache(tmp_path):
    records = _records()
    cache = FocusCache(tmp_path / "cache")
    cache.load(deliveries(load_focus_paths([REPORT])))
    q = local_queries(cache)
    assert q.total(Filters()) == pytest.approx(float(_total(records, "EffectiveCost")), abs=0.005)
    assert q.total(Filters(), "BilledCost") == pytest.approx(float(_total(records, "BilledCost")), abs=0.005)
    data = _total(records, "EffectiveCost", lambda r: r["Tags"] not in ("", "{}")
                  and json.loads(r["Tags"]).get("Operations.team") == "data")
    assert data > 0
    assert q.total(Filters.of(**{"tag_operations.team": ["data"]})) == pytest.approx(float(data), abs=1e-9)
    owner = _total(records, "EffectiveCost", lambda r: "Zoë" in r["Tags"])
    assert q.total(Filters.of(**{"tag_operations.owner": ["Zoë"]})) == pytest.approx(float(owner), abs=1e-9)


def test_the_older_layout_with_preview_names_and_values(tmp_path):
    """The 2024 layout: 1.0-preview names only, ChargeSubcategory, no 1.0 columns; columns in another order."""
    raw = _raw()
    raw = raw.drop(columns=["ConsumedQuantity", "ConsumedUnit", "ChargeClass", "RegionName",
                            "PricingCurrencyEffectiveCost "])
    raw["ChargeSubcategory"] = ""
    raw.loc[0, "PricingCategory"] = "On-Demand"
    raw.loc[1, ["PricingCategory", "ChargeSubcategory"]] = ["Commitment-Based", "Used Commitment"]
    raw.loc[2, "ChargeSubcategory"] = "Refund"
    (loaded,) = load_focus_paths([_write(raw[list(reversed(raw.columns))], tmp_path / "older.csv")])
    frame = loaded.frame
    assert frame["ConsumedQuantity"].sum() == pytest.approx(pd.to_numeric(raw["UsageQuantity"]).sum())
    assert frame.loc[0, "PricingCategory"] == "Standard" and frame.loc[1, "PricingCategory"] == "Committed"
    assert frame.loc[1, "CommitmentDiscountStatus"] == "Used"
    assert frame.loc[2, "ChargeClass"] == "Correction" and frame["ChargeClass"].notna().sum() == 1
    assert frame["x_ChargeSubcategory"].fillna("").tolist()[:3] == ["", "Used Commitment", "Refund"]
    assert frame["BilledCost"].sum() == pytest.approx(float(_total(_records(), "BilledCost")), abs=1e-12)


def test_a_parquet_copy_with_typed_columns_loads_the_same(tmp_path):
    """Users keep the reports as Parquet (dates as timestamps, costs as doubles, the account as an integer)."""
    raw = _raw()
    typed = raw.assign(**{c: pd.to_datetime(raw[c], format="ISO8601", utc=True).dt.tz_localize(None)
                          for c in ("ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart", "BillingPeriodEnd")},
                       **{c: pd.to_numeric(raw[c]) for c in ("BilledCost", "EffectiveCost", "ListCost")},
                       BillingAccountId=pd.to_numeric(raw["BillingAccountId"]))
    path = tmp_path / "report.parquet"
    typed.to_parquet(path, index=False)
    (loaded,) = load_focus_paths([path])
    (from_csv,) = load_focus_paths([REPORT])
    assert loaded.frame["BilledCost"].sum() == pytest.approx(float(_total(_records(), "BilledCost")), abs=1e-12)
    for column in ("ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodEnd", "BillingAccountId", "ChargeClass"):
        assert loaded.frame[column].tolist() == from_csv.frame[column].tolist(), column


def test_a_time_that_does_not_exist_is_refused_like_a_foreign_form(tmp_path):
    raw = _raw()
    raw.loc[2, "ChargePeriodEnd"] = "2024-08-16T25:00Z"
    (problem,) = _refused(_write(raw, tmp_path / "no_such_hour.csv"))
    assert (problem.column, problem.rows) == ("ChargePeriodEnd", (4,))


def test_rows_convert_alone_so_batches_match_the_whole_file():
    raw = _raw()
    whole, _ = convert(raw, "whole.csv")
    parts = [convert(raw.iloc[:7], "a.csv")[0], convert(raw.iloc[7:].reset_index(drop=True), "b.csv")[0]]
    pd.testing.assert_frame_equal(pd.concat(parts, ignore_index=True), whole)


def test_detected_from_the_header_and_not_confused_with_other_focus_files():
    assert native_format(_raw().columns).name == "OCI FOCUS report"
    azure = pd.read_csv(ROOT / "tests" / "fixtures" / "azure" / "focuscost_synthetic.csv", nrows=0).columns
    assert native_format(azure).name == "Azure FocusCost export"
    plain = pd.read_csv(ROOT / "tests" / "fixtures" / "focus" / "focus_sample_1000.csv", nrows=0).columns
    assert native_format(plain) is None


def _refused(path: Path) -> list:
    with pytest.raises(FocusLoadError) as error:
        load_focus_paths([path])
    return [f for f in error.value.findings if f.severity == "error"]


def test_a_cost_holding_text_is_refused_naming_file_column_and_row(tmp_path):
    raw = _raw()
    raw.loc[4, "BilledCost"] = "n/a"
    (problem,) = _refused(_write(raw, tmp_path / "text_cost.csv"))
    assert (problem.file, problem.column, problem.rows) == ("text_cost.csv", "BilledCost", (6,))  # header = row 1
    assert "'n/a'" in problem.message


def test_a_date_in_a_form_oracle_never_writes_is_refused(tmp_path):
    raw = _raw()
    raw.loc[[3, 8], "ChargePeriodStart"] = ["08/16/2024 00:00", "16.08.2024"]
    (problem,) = _refused(_write(raw, tmp_path / "us_date.csv"))
    assert (problem.file, problem.column, problem.rows) == ("us_date.csv", "ChargePeriodStart", (5, 10))
    assert "2 dates" in problem.message and "'08/16/2024 00:00'" in problem.message


@pytest.mark.parametrize("column", ["ChargePeriodStart", "BilledCost", "EffectiveCost"])
def test_a_missing_required_column_is_refused_naming_it(tmp_path, column):
    problems = _refused(_write(_raw().drop(columns=[column]), tmp_path / "missing.csv"))
    assert [(p.file, p.column) for p in problems] == [("missing.csv", column)]
    assert "required column is missing" in problems[0].message


def _command(tmp_path: Path, path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis", "--cache", str(tmp_path / "cache"), "load", str(path)],
                          capture_output=True, text=True, cwd=ROOT, check=False)


def test_the_command_loads_it_with_the_json_summary_last(tmp_path):
    records = _records()
    done = _command(tmp_path, REPORT)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["rows"] == 20 and summary["providers"] == ["Oracle"] and summary["currencies"] == ["USD"]
    for column in ("BilledCost", "EffectiveCost"):
        assert summary["totals"]["USD"][column] == pytest.approx(float(_total(records, column)), abs=0.005)


def test_the_command_refuses_bad_input_without_a_traceback(tmp_path):
    raw = _raw()
    raw.loc[0, "EffectiveCost"] = "twelve"
    bad = tmp_path / "bad.csv.gz"
    with gzip.open(bad, "wt", encoding="utf-8", newline="") as out:
        out.write(raw.to_csv(index=False))
    done = _command(tmp_path, bad)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "bad.csv.gz" in done.stderr and "EffectiveCost" in done.stderr and "row 2" in done.stderr
    assert not (tmp_path / "cache" / "manifest.json").exists()


def test_stdin_free_csv_text_roundtrip_keeps_crlf_report_readable():
    """The fixture is written as Oracle writes it: gzip, CRLF line ends, no NULL tokens."""
    with gzip.open(REPORT, "rb") as packed:
        data = packed.read()
    assert data.count(b"\r\n") == 21 and b"NULL" not in data
    assert next(csv.reader(io.StringIO(data.decode()))).count("PricingCurrencyEffectiveCost ") == 1
