"""Google Cloud billing exports load as FOCUS 1.2: the BigQuery export as Parquet, JSON lines and flattened
CSV, Google's FOCUS export, and the old JSON file export. Totals to the cent against the raw files (read
with pyarrow, json and csv, not the converter), credits netted on their row and kept by type, charge
categories, tags queryable, bad input named by file, column and rows, rows converted alone, the command as
a process."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from analysis.focus.loader import FocusLoadError, LoadedFile, load_focus_paths, normalize_frame
from analysis.query import Filters, local_queries
from analysis.sources import native_format
from analysis.sources.gcp import convert_bigquery, convert_focus_export
from analysis.store.cache import FocusCache
from analysis.store.load import deliveries
from tests.conftest import ROOT

FOLDER = ROOT / "tests" / "fixtures" / "gcp"
PARQUET = FOLDER / "billing_export_standard.parquet"
JSONL = FOLDER / "billing_export_standard.jsonl"
CSV = FOLDER / "billing_export_standard.csv"
FOCUS = FOLDER / "focus_export.parquet"
LEGACY = FOLDER / "legacy_file_export_2014-01-15.json"
CENT = Decimal("0.005")


# ----- the raw files, read without the converter ------------------------------------------------------
def _records() -> list[dict]:
    """Independent: the Parquet export's rows as pyarrow reads them (nested records as dicts)."""
    return pq.read_table(PARQUET).to_pylist()


def _json_lines() -> list[dict]:
    return [json.loads(line) for line in JSONL.read_text(encoding="utf-8").splitlines()]


def _net(record: dict) -> Decimal:
    """cost plus the credits (negative), in Decimal from the values as written."""
    credits = record["credits"]
    credits = json.loads(credits) if isinstance(credits, str) else credits
    return Decimal(str(record["cost"])) + sum((Decimal(str(c["amount"])) for c in credits or []), Decimal(0))


def _as_json_read(records: list[dict]) -> pd.DataFrame:
    """JSON objects as the loader reads a JSON file: top-level keys as text columns, nested values as JSON text."""
    def cell(value: object) -> str | None:
        return None if value is None else json.dumps(value) if isinstance(value, (dict, list)) else str(value)

    keys = list(dict.fromkeys(k for r in records for k in r))
    return pd.DataFrame({k: pd.Series([cell(r.get(k)) for r in records], dtype="string") for k in keys})


def _converted(convert, raw: pd.DataFrame, name: str) -> pd.DataFrame:
    """A frame converted and checked as the loader does with a file's table."""
    frame, found = convert(raw, name)
    assert not [f for f in found if f.severity == "error"], found
    checked, findings = normalize_frame(frame, name)
    assert not [f for f in findings if f.severity == "error"], findings
    return checked


def _load(path: Path) -> LoadedFile:
    (loaded,) = load_focus_paths([path])
    return loaded


# ----- BigQuery export -----------------------------------------------------------------------------
def test_the_parquet_export_loads_every_row_with_billed_and_effective_cost_to_the_cent():
    records = _records()
    expected = sum((_net(r) for r in records), Decimal(0))
    assert expected == Decimal("6.9100") and len(records) == 13
    loaded = _load(PARQUET)
    frame = loaded.frame
    assert loaded.focus_version_guess == "Google Cloud BigQuery billing export" and len(frame) == 13
    for column in ("BilledCost", "EffectiveCost"):
        assert Decimal(str(round(frame[column].sum(), 10))) == pytest.approx(expected, abs=CENT)
        assert frame[column].sum() == pytest.approx(float(expected), abs=1e-9)
    gross = sum((Decimal(str(r["cost"])) for r in records), Decimal(0))
    at_list = sum((Decimal(str(r["cost_at_list"])) for r in records), Decimal(0))
    assert frame["ContractedCost"].sum() == pytest.approx(float(gross), abs=1e-9)  # 14.0350
    assert frame["ListCost"].sum() == pytest.approx(float(at_list), abs=1e-9)  # 14.1316: one contract price
    assert set(frame["ProviderName"]) == set(frame["InvoiceIssuerName"]) == {"Google Cloud"}
    assert set(frame["BillingAccountId"]) == {"012345-6789AB-CDEF01"} and set(frame["BillingCurrency"]) == {"USD"}
    by_project = frame.groupby("SubAccountId")["BilledCost"].sum()
    shop = sum((_net(r) for r in records if r["project"] and r["project"]["id"] == "shop-prod-4821"), Decimal(0))
    assert by_project["shop-prod-4821"] == pytest.approx(float(shop), abs=1e-9)
    assert frame.loc[frame["SubAccountId"].eq("data-lab-7730"), "SubAccountName"].eq("data-lab").all()
    # the invoice month in Pacific time, end exclusive; usage times in UTC
    assert frame["BillingPeriodStart"].eq(pd.Timestamp("2024-03-01T08:00Z")).all()
    assert frame["BillingPeriodEnd"].eq(pd.Timestamp("2024-04-01T07:00Z")).all()  # daylight saving from March 10
    assert frame.loc[0, "ChargePeriodStart"] == pd.Timestamp("2024-03-10T14:00Z")
    assert frame.loc[0, ["RegionId", "RegionName", "AvailabilityZone"]].tolist() == ["us-central1", "Iowa",
                                                                                    "us-central1-a"]
    assert frame.loc[0, ["ConsumedQuantity", "ConsumedUnit", "PricingQuantity", "PricingUnit"]].tolist() == [
        3600, "Seconds", 1, "Hours"]  # Google's units `seconds`, `hour` in FOCUS's unit format
    assert frame.loc[[0, 4, 8, 10], "ServiceSubcategory"].tolist() == ["Virtual Machines", "Object Storage",
                                                                       "Relational Databases", "Other (Other)"]
    categories = frame.groupby("ServiceCategory")["BilledCost"].sum().round(4).to_dict()
    assert categories == {"Analytics": 0.0, "Compute": 4.76, "Databases": 0.8034, "Networking": 0.12,
                          "Other": 0.5266, "Storage": 0.7}


def test_json_lines_and_flattened_csv_give_the_same_charges_as_parquet():
    lines = _json_lines()
    assert sum((_net(r) for r in lines), Decimal(0)) == Decimal("6.9100")
    with CSV.open(encoding="utf-8", newline="") as text:
        rows = list(csv.DictReader(text))
    assert sum((_net({"cost": r["cost"], "credits": r["credits"]}) for r in rows), Decimal(0)) == Decimal("6.9100")
    assert rows[12]["cost"] == "-3.4E-3" and lines[2]["usage_start_time"] == "2024-02-29T23:00:00-08:00"
    parquet = _load(PARQUET).frame
    from_json, from_csv = (_load(path) for path in (JSONL, CSV))
    assert from_json.focus_version_guess == from_csv.focus_version_guess == "Google Cloud BigQuery billing export"
    from_json, from_csv = from_json.frame, from_csv.frame
    for frame in (from_json, from_csv):
        assert len(frame) == 13
        for column in ("BilledCost", "EffectiveCost", "ListCost", "ConsumedQuantity", "PricingQuantity"):
            pd.testing.assert_series_equal(frame[column], parquet[column], check_exact=False, atol=1e-12)
        for column in ("ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart", "ChargeCategory", "ChargeClass",
                       "SubAccountId", "ServiceName", "ServiceCategory", "RegionId", "SkuId", "Tags",
                       "CommitmentDiscountId", "CommitmentDiscountStatus", "PricingCategory"):
            pd.testing.assert_series_equal(frame[column], parquet[column])
    # the start written with a zone offset is the same instant as the typed one
    assert from_json.loc[2, "ChargePeriodStart"] == parquet.loc[2, "ChargePeriodStart"] == pd.Timestamp(
        "2024-03-01T07:00Z")


def test_charge_categories_from_cost_type_and_commitment_fees():
    frame = _load(PARQUET).frame
    raw = _records()
    assert [r["cost_type"] for r in raw].count("regular") == 10
    assert frame["ChargeCategory"].value_counts().to_dict() == {"Usage": 9, "Adjustment": 2, "Purchase": 1, "Tax": 1}
    fee = frame.loc[3]
    assert raw[3]["sku"]["description"].startswith("Commitment v1")
    assert (fee["ChargeCategory"], fee["ChargeFrequency"], fee["PricingCategory"]) == ("Purchase", "Recurring",
                                                                                       "Committed")
    assert (fee["CommitmentDiscountId"], fee["CommitmentDiscountCategory"]) == ("8512093574216400123", "Usage")
    assert fee["EffectiveCost"] == fee["BilledCost"] == 1.65  # billed monthly: nothing to amortize
    assert frame.loc[10, ["ChargeCategory", "ChargeFrequency", "BilledCost"]].tolist() == ["Tax", "One-Time", 0.53]
    adjustment, rounding = frame.loc[11], frame.loc[12]
    assert (adjustment["ChargeCategory"], adjustment["ChargeClass"]) == ("Adjustment", "Correction")
    assert adjustment["x_AdjustmentType"] == "SLA_VIOLATION"
    assert (rounding["ChargeCategory"], rounding["BilledCost"]) == ("Adjustment", -0.0034)
    assert pd.isna(rounding["ChargeClass"]) and pd.isna(rounding["SubAccountId"])
    assert pd.isna(frame.loc[10, "ConsumedQuantity"]) and pd.isna(frame.loc[10, "PricingCategory"])


def test_credits_are_netted_on_their_row_and_kept_by_type():
    frame = _load(PARQUET).frame
    raw = _records()
    assert frame.loc[0, "BilledCost"] == pytest.approx(2.5 - 0.5)  # sustained use discount
    assert frame.loc[5, "BilledCost"] == 0 and raw[5]["cost"] == 3.125  # free tier took it all
    assert frame.loc[9, "BilledCost"] == pytest.approx(1.0 - 0.2 - 0.15)  # two credits on one row
    by_type: dict[str, Decimal] = {}
    for record in raw:
        for credit in record["credits"]:
            by_type[credit["type"]] = by_type.get(credit["type"], Decimal(0)) + Decimal(str(credit["amount"]))
    kept = {column: frame[column].astype(float).sum() for column in
            ("x_CreditCommittedUse", "x_CreditSustainedUse", "x_CreditFreeTier", "x_CreditPromotion",
             "x_CreditsTotal")}
    assert kept["x_CreditCommittedUse"] == pytest.approx(float(by_type["COMMITTED_USAGE_DISCOUNT"]
                                                               + by_type["COMMITTED_USAGE_DISCOUNT_DOLLAR_BASE"]))
    assert kept["x_CreditSustainedUse"] == pytest.approx(float(by_type["SUSTAINED_USAGE_DISCOUNT"]))  # -0.70
    assert kept["x_CreditFreeTier"] == pytest.approx(float(by_type["FREE_TIER"]))  # -3.175
    assert kept["x_CreditPromotion"] == pytest.approx(float(by_type["PROMOTION"]))  # -0.40
    assert kept["x_CreditsTotal"] == pytest.approx(float(sum(by_type.values()))) == -7.125
    assert frame["x_CostBeforeCredits"].astype(float).sum() == pytest.approx(14.035)
    # usage covered by a committed use discount credit: committed pricing, the commitment named
    covered = frame.loc[[1, 2, 9]]
    assert covered["PricingCategory"].eq("Committed").all() and covered["CommitmentDiscountStatus"].eq("Used").all()
    assert covered["CommitmentDiscountCategory"].tolist() == ["Usage", "Usage", "Spend"]
    assert covered["CommitmentDiscountId"].tolist() == ["Committed Usage Discount: RAM",
                                                        "Committed Usage Discount: CPU", "CUD-DOLLAR-9F3A"]
    assert frame.loc[0, "PricingCategory"] == "Standard" and pd.isna(frame.loc[0, "CommitmentDiscountId"])


def test_tags_join_project_and_resource_labels_and_are_queryable(tmp_path):
    loaded = _load(PARQUET)
    frame = loaded.frame
    tags = [json.loads(t) if isinstance(t, str) else {} for t in frame["Tags"]]
    assert tags[1] == {"app": "web", "cost-center": "cc-100", "env": "prod", "team": "storefront"}
    assert tags[12] == {}  # the rounding error belongs to no project
    assert "x_SystemLabels" in frame and "compute.googleapis.com/cores" in frame.loc[0, "x_SystemLabels"]
    assert not any("compute.googleapis.com/cores" in t for t in tags)
    records = _records()

    def labels(record: dict) -> dict:
        project = record["project"] or {}
        return {x["key"]: x["value"] for x in (project.get("labels") or []) + record["labels"]}

    storefront = sum((_net(r) for r in records if labels(r).get("team") == "storefront"), Decimal(0))
    web = sum((_net(r) for r in records if labels(r).get("app") == "web"), Decimal(0))
    assert storefront == Decimal("4.9000") and web == Decimal("2.4200")
    cache = FocusCache(tmp_path / "cache")
    cache.load(deliveries([loaded]))
    q = local_queries(cache)
    assert q.total(Filters()) == pytest.approx(6.91, abs=1e-9)
    assert q.total(Filters.of(tag_team=["storefront"])) == pytest.approx(float(storefront), abs=1e-9)
    assert q.total(Filters.of(tag_app=["web"])) == pytest.approx(float(web), abs=1e-9)


@pytest.mark.parametrize(("convert", "raw"), [
    (convert_bigquery, lambda: _as_json_read(_json_lines())),
    (convert_focus_export, lambda: pq.read_table(FOCUS).to_pandas().assign(BillingPeriodEnd="2024-03-31 07:00:00 UTC")),
])
def test_rows_convert_alone_so_batches_match_the_whole_file(convert, raw):
    raw = raw()
    whole, _ = convert(raw, "whole")
    parts = [convert(raw.iloc[:4], "a")[0], convert(raw.iloc[4:].reset_index(drop=True), "b")[0]]
    pd.testing.assert_frame_equal(pd.concat(parts, ignore_index=True), whole)


def test_fields_may_be_absent_spelled_with_underscores_and_costs_written_as_text():
    """A detailed export reduced to a few columns: `service_description` spelling, costs and credit amounts as
    text (one in scientific notation), resource and price fields, no invoice month."""
    raw = pd.DataFrame({
        "billing_account_id": ["A-1", "A-1"],
        "service_description": ["Compute Engine", "Brand New Service"],
        "sku_id": ["S1", "S2"],
        "usage_start_time": ["2024-05-31 23:00:00.000000 UTC", "2024-06-01T01:00:00Z"],
        "cost": ["1.25e0", "0.5"],
        "credits": ['[{"amount": "-2.5E-1", "type": "SUSTAINED_USAGE_DISCOUNT"}]', "[]"],
        "resource": ['{"name": "web-1", "global_name": "//compute.googleapis.com/projects/p/zones/z/instances/1"}',
                     None],
        "price": ['{"effective_price": 0.031, "tier_start_amount": 0, "unit": "hour"}', None],
        "transaction_type": ["GOOGLE", "THIRD_PARTY_RESELLER"],
        "seller_name": ["Google", "Acme Data Inc."],
    }, dtype="string")
    assert native_format(raw.columns).name == "Google Cloud BigQuery billing export"
    converted, found = convert_bigquery(raw, "few.csv")
    assert [f.column for f in found] == ["invoice.month", "ServiceCategory"]  # both info: no month, unknown service
    frame = _converted(convert_bigquery, raw, "few.csv")
    assert frame["BilledCost"].tolist() == pytest.approx([1.0, 0.5])
    assert frame["ListCost"].tolist() == pytest.approx([1.25, 0.5])
    assert frame.loc[0, "ResourceId"] == "//compute.googleapis.com/projects/p/zones/z/instances/1"
    assert frame.loc[0, ["ResourceName", "ContractedUnitPrice"]].tolist() == ["web-1", 0.031]
    assert frame["ServiceCategory"].tolist() == ["Compute", "Other"]
    assert frame["PublisherName"].tolist() == ["Google Cloud", "Acme Data Inc."]  # a Marketplace seller
    assert frame["InvoiceIssuerName"].tolist() == ["Google Cloud"] * 2
    # no invoice month: the usage's month in Pacific time (23:00 UTC on May 31 is still May there)
    assert frame["BillingPeriodStart"].tolist() == [pd.Timestamp("2024-05-01T07:00Z")] * 2
    assert "SubAccountId" not in converted and "BillingCurrency" not in converted  # left to the loader to report


# ----- bad input ----------------------------------------------------------------------------------
def _csv_rows() -> pd.DataFrame:
    return pd.read_csv(CSV, dtype=str, keep_default_na=False)


def _refused(frame: pd.DataFrame, path: Path) -> list:
    frame.to_csv(path, index=False)
    with pytest.raises(FocusLoadError) as error:
        load_focus_paths([path])
    return [f for f in error.value.findings if f.severity == "error"]


def test_an_export_without_its_cost_column_is_refused_naming_it(tmp_path):
    (problem,) = _refused(_csv_rows().drop(columns=["cost"]), tmp_path / "no_cost.csv")
    assert (problem.file, problem.column) == ("no_cost.csv", "cost")


@pytest.mark.parametrize(("column", "written", "rows"), [
    ("cost", {4: "twelve"}, (6,)),  # header = row 1
    ("usage_start_time", {1: "03/10/2024 14:00", 7: "10 March 2024"}, (3, 9)),  # forms Google never writes
    ("credits", {0: '[{"amount": "half", "type": "PROMOTION"}]', 3: "not json"}, (2, 5)),
])
def test_a_value_that_cannot_be_read_is_refused_naming_file_column_and_rows(tmp_path, column, written, rows):
    raw = _csv_rows()
    for position, value in written.items():
        raw.loc[position, column] = value
    (problem,) = _refused(raw, tmp_path / "bad.csv")
    assert (problem.file, problem.column, problem.rows) == ("bad.csv", column, rows)
    assert all(str(value)[:20] in problem.message for value in written.values())


def test_a_bad_invoice_month_or_unknown_cost_type_loads_with_a_warning_naming_the_rows(tmp_path):
    rows = _csv_rows()
    rows.loc[0, "invoice.month"] = "2024-03"
    rows.loc[1, "cost_type"] = "surcharge"
    path = tmp_path / "odd.csv"
    rows.to_csv(path, index=False)
    loaded = _load(path)
    warned = {f.column: f.rows for f in loaded.findings if f.severity == "warning" and f.rows}
    assert warned == {"invoice.month": (2,), "cost_type": (3,)}
    assert loaded.frame.loc[0, "BillingPeriodStart"] == pd.Timestamp("2024-03-01T08:00Z")  # the usage's month
    assert loaded.frame.loc[1, "ChargeCategory"] == "Usage"


# ----- Google's FOCUS export -----------------------------------------------------------------------
def test_the_focus_export_loads_named_with_tags_category_and_totals():
    raw = pq.read_table(FOCUS).to_pylist()
    billed = sum((Decimal(str(r["BilledCost"])) for r in raw), Decimal(0))
    assert billed == Decimal("5.74") and len(raw) == 6
    loaded = _load(FOCUS)
    frame = loaded.frame
    assert loaded.focus_version_guess == "Google Cloud FOCUS export"
    assert frame["BilledCost"].sum() == frame["EffectiveCost"].sum() == pytest.approx(float(billed), abs=1e-9)
    assert frame["ServiceCategory"].tolist() == ["Compute", "Compute", "Compute", "Storage", "Compute", "Other"]
    assert set(frame["InvoiceIssuerName"]) == {"Google Cloud"}
    assert json.loads(frame.loc[3, "Tags"]) == {"bucket": "assets", "env": "prod", "team": "storefront"}
    assert frame["x_ServiceId"].tolist()[:2] == ["6F81-5844-456A"] * 2
    assert frame["ChargeCategory"].tolist() == ["Usage", "Usage", "Purchase", "Usage", "Usage", "Tax"]


def test_focus_1_0_view_values_are_read_as_1_2(tmp_path):
    """What Google's FOCUS 1.0 BigQuery view wrote, exported as CSV: `... UTC` timestamps, the month's last day
    as BillingPeriodEnd, lower-case values, Tags as key/value records, the billing account as SubAccountId."""
    frame = pq.read_table(FOCUS).to_pandas()
    text = frame.astype(object)
    for column in ("BillingPeriodStart", "ChargePeriodStart", "ChargePeriodEnd", "x_ExportTime"):
        text[column] = frame[column].dt.strftime("%Y-%m-%d %H:%M:%S UTC")
    text["BillingPeriodEnd"] = "2024-03-31 07:00:00 UTC"  # midnight starting March 31, Pacific
    text["ChargeCategory"] = frame["ChargeCategory"].str.lower()
    text["Tags"] = [json.dumps([{"key": x["Key"], "value": x["Value"], "x_type": "label"} for x in labels])
                    for labels in frame["x_Labels"]]
    text["SubAccountId"] = frame["BillingAccountId"]
    for column in ("x_Credits", "x_Labels", "x_ProjectLabels", "x_SystemLabels", "x_Project"):
        text[column] = [json.dumps(list(v) if not isinstance(v, dict) else v, default=str) for v in frame[column]]
    path = tmp_path / "focus_view.csv"
    text.to_csv(path, index=False)
    loaded = _load(path)
    out = loaded.frame
    assert loaded.focus_version_guess == "Google Cloud FOCUS export"
    assert out["BillingPeriodEnd"].eq(pd.Timestamp("2024-04-01T07:00Z")).all()
    assert out["ChargePeriodStart"].tolist() == frame["ChargePeriodStart"].tolist()
    assert out["ChargeCategory"].tolist() == ["Usage", "Usage", "Purchase", "Usage", "Usage", "Tax"]
    assert json.loads(out.loc[0, "Tags"]) == {"app": "web"}
    assert out["SubAccountId"].tolist() == ["shop-prod-4821"] * 4 + ["data-lab-7730", "shop-prod-4821"]
    assert out["BilledCost"].sum() == pytest.approx(5.74, abs=1e-9)


# ----- the old JSON file export --------------------------------------------------------------------
def test_the_legacy_file_export_loads_with_services_skus_and_utc_days():
    items = json.loads(LEGACY.read_text(encoding="utf-8"))
    expected = sum((Decimal(i["cost"]["amount"]) for i in items), Decimal(0))
    assert expected == Decimal("126.993265") and len(items) == 33
    loaded = _load(LEGACY)  # a JSON array
    assert loaded.focus_version_guess == "Google Cloud billing file export (legacy JSON)"
    frame = loaded.frame
    for column in ("BilledCost", "EffectiveCost"):
        assert Decimal(str(round(frame[column].sum(), 10))) == pytest.approx(expected, abs=CENT)
    # days in Pacific time (-08:00) stored as UTC
    assert frame["ChargePeriodStart"].eq(pd.Timestamp("2014-01-14T08:00Z")).all()
    assert frame["ChargePeriodEnd"].eq(pd.Timestamp("2014-01-15T08:00Z")).all()
    assert frame["BillingPeriodStart"].eq(pd.Timestamp("2014-01-01T08:00Z")).all()
    first = frame.loc[0]
    assert (first["ServiceName"], first["ChargeDescription"], first["SkuId"]) == (
        "BigQuery", "Analysis", "com.google.cloud/services/big-query/Analysis")
    assert (first["ConsumedQuantity"], first["ConsumedUnit"]) == (316965650432, "B")
    assert set(frame["SubAccountId"]) == {"215053207240"} and set(frame["BillingCurrency"]) == {"USD"}
    by_service = frame.groupby("ServiceName")["BilledCost"].sum()
    compute = sum((Decimal(i["cost"]["amount"]) for i in items if "/compute-engine/" in i["lineItemId"]), Decimal(0))
    assert by_service["Compute Engine"] == pytest.approx(float(compute), abs=1e-9)
    assert set(frame["ServiceCategory"]) == {"Analytics", "Databases", "Storage", "Compute"}


def test_each_format_is_detected_from_its_header_and_no_other_file_is_taken_for_google():
    assert native_format(pq.read_schema(PARQUET).names).name == "Google Cloud BigQuery billing export"
    assert native_format(_csv_rows().columns).name == "Google Cloud BigQuery billing export"
    assert native_format(pq.read_schema(FOCUS).names).name == "Google Cloud FOCUS export"
    others = {
        "focus/focus_sample_1000.csv": None, "azure/focuscost_synthetic.csv": "Azure FocusCost export",
        "oci/cost_report_2023-11-13.csv": "OCI cost report", "aws/cur_legacy_anonymized.csv": "AWS legacy CUR (CSV)",
    }
    for name, expected in others.items():
        found = native_format(pd.read_csv(ROOT / "tests" / "fixtures" / name, nrows=0).columns)
        assert (found.name if found else None) == expected


@pytest.mark.parametrize("path", [PARQUET, JSONL], ids=["parquet", "json-lines"])
def test_the_command_loads_the_export_with_the_json_summary_last(tmp_path, path):
    done = subprocess.run([sys.executable, "-m", "analysis", "--cache", str(tmp_path / "cache"), "load", str(path)],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["rows"] == 13 and summary["providers"] == ["Google Cloud"]
    assert summary["totals"]["USD"]["BilledCost"] == pytest.approx(6.91, abs=1e-9)
    assert summary["totals"]["USD"]["EffectiveCost"] == pytest.approx(6.91, abs=1e-9)


def test_the_focus_export_gets_charge_frequency_and_focus_units_as_the_bigquery_export_does():
    raw = pq.read_table(FOCUS).to_pandas()
    assert "ChargeFrequency" not in raw
    [item] = load_focus_paths([FOCUS])
    frame = item.frame
    expected = raw["ChargeCategory"].map({"Usage": "Usage-Based", "Purchase": "Recurring", "Tax": "One-Time",
                                          "Adjustment": "One-Time", "Credit": "One-Time"})
    assert expected.notna().all() and frame["ChargeFrequency"].tolist() == expected.tolist()
    units = dict(zip(raw["PricingUnit"].dropna(), frame["PricingUnit"].dropna()))
    assert units.get("hour", "Hours") == "Hours" and units.get("gibibyte hour", "GiB-Hours") == "GiB-Hours"
    assert not {"hour", "gibibyte hour", "gibibyte month"} & set(frame["PricingUnit"].dropna())
