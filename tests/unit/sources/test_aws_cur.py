"""AWS CUR (legacy CSV, legacy Parquet/Athena, CUR 2.0) loaded as FOCUS through the real loader and cache.

Every expected number is computed here on the raw file, independently of the converter: BilledCost is the
file's `line_item_unblended_cost`, EffectiveCost the per-line-item-type amortization AWS documents.
"""

import csv
import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analysis.focus.loader import FocusLoadError, load_focus_file, load_focus_paths
from analysis.focus.schema import SUBCATEGORY_PARENT
from analysis.query import Filters, local_queries
from analysis.store.cache import FocusCache
from analysis.store.load import deliveries
from tests.conftest import ROOT
from tests.fixture_paths import FIXTURES

AWS = FIXTURES / "aws"
LEGACY_CSV = AWS / "cur_legacy_anonymized.csv"
LEGACY_PARQUET = AWS / "cur_legacy_parquet_2018-10-01.parquet"
CUR2 = AWS / "cur2_synthetic.parquet"
CENT = Decimal("0.01")


def _raw(path: Path) -> pd.DataFrame:
    """The file as its provider wrote it, with snake_case names (legacy CSV names converted the Athena way)."""
    if path.suffix == ".parquet":
        return pq.read_table(path).to_pandas()
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    snake = {"lineItem/UnblendedCost": "line_item_unblended_cost", "lineItem/LineItemType": "line_item_line_item_type",
             "reservation/EffectiveCost": "reservation_effective_cost",
             "reservation/UnusedAmortizedUpfrontFeeForBillingPeriod":
                 "reservation_unused_amortized_upfront_fee_for_billing_period",
             "reservation/UnusedRecurringFee": "reservation_unused_recurring_fee",
             "reservation/ReservationARN": "reservation_reservation_a_r_n",
             "savingsPlan/SavingsPlanEffectiveCost": "savings_plan_savings_plan_effective_cost",
             "savingsPlan/TotalCommitmentToDate": "savings_plan_total_commitment_to_date",
             "savingsPlan/UsedCommitment": "savings_plan_used_commitment"}
    return frame.rename(columns=snake)


def _dec(value) -> Decimal:
    text = "" if value is None else str(value).strip()
    return Decimal(text) if text not in ("", "nan") else Decimal(0)


def _billed(raw: pd.DataFrame) -> Decimal:
    return sum((_dec(v) for v in raw["line_item_unblended_cost"]), Decimal(0))


def _effective_row(row: dict) -> Decimal:
    """AWS's amortized cost of one line item, from its raw columns."""
    kind = row.get("line_item_line_item_type")
    get = lambda name: _dec(row.get(name))
    if kind == "DiscountedUsage":
        return get("reservation_effective_cost")
    if kind == "RIFee":
        return get("reservation_unused_amortized_upfront_fee_for_billing_period") + get("reservation_unused_recurring_fee")
    if kind == "SavingsPlanCoveredUsage":
        return get("savings_plan_savings_plan_effective_cost")
    if kind == "SavingsPlanRecurringFee":
        return get("savings_plan_total_commitment_to_date") - get("savings_plan_used_commitment")
    if kind in ("SavingsPlanNegation", "SavingsPlanUpfrontFee"):
        return Decimal(0)
    if kind == "Fee" and str(row.get("reservation_reservation_a_r_n") or "").strip():
        return Decimal(0)
    return get("line_item_unblended_cost")


def _effective(raw: pd.DataFrame) -> Decimal:
    return sum((_effective_row(r) for r in raw.to_dict("records")), Decimal(0))


def _cents(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


@pytest.fixture(scope="module", params=[LEGACY_CSV, LEGACY_PARQUET, CUR2], ids=["legacy-csv", "legacy-parquet", "cur2"])
def loaded(request, tmp_path_factory):
    path = request.param
    [item] = load_focus_paths([path])
    cache = FocusCache(tmp_path_factory.mktemp("cache"))
    cache.load(deliveries([item]))
    return path, item, cache


def test_each_fixture_is_recognised_and_keeps_every_row(loaded):
    path, item, _ = loaded
    assert item.focus_version_guess == {LEGACY_CSV: "AWS legacy CUR (CSV)", LEGACY_PARQUET: "AWS legacy CUR (Parquet/Athena)",
                                        CUR2: "AWS CUR 2.0"}[path]
    assert len(item.frame) == len(_raw(path))
    assert not [f for f in item.findings if f.severity == "error"]
    assert set(item.frame["ProviderName"]) == {"AWS"}


def test_billed_cost_is_the_unblended_cost_to_the_cent(loaded):
    path, item, cache = loaded
    expected = _billed(_raw(path)).quantize(CENT)
    assert _cents(item.frame["BilledCost"].sum()) == expected
    assert _cents(local_queries(cache).total(Filters(), "BilledCost")) == expected


def test_effective_cost_is_amortized_per_line_item_type(loaded):
    path, item, cache = loaded
    expected = _effective(_raw(path)).quantize(CENT)
    assert _cents(item.frame["EffectiveCost"].sum()) == expected
    assert _cents(local_queries(cache).total(Filters(), "EffectiveCost")) == expected


def test_the_legacy_parquet_month_reconciles_with_its_documented_figures():
    [item] = load_focus_paths([LEGACY_PARQUET])
    frame = item.frame
    assert len(frame) == 3685 and _cents(frame["BilledCost"].sum()) == Decimal("247.14")
    assert frame["ChargeCategory"].value_counts().to_dict() == {"Usage": 3676, "Purchase": 9}
    assert frame["x_line_item_type"].value_counts().to_dict() == {"Usage": 3363, "DiscountedUsage": 313, "RIFee": 9}
    assert (frame.loc[frame["x_line_item_type"] == "DiscountedUsage", "PricingCategory"] == "Committed").all()
    assert frame["CommitmentDiscountId"].notna().sum() == 313 + 9
    assert set(frame["BillingCurrency"]) == {"USD"} and set(frame["BillingAccountId"]) == {"836060457634"}


def test_rifee_rows_cost_their_unused_amortized_fees():
    raw = _raw(LEGACY_PARQUET)
    fees = raw[raw["line_item_line_item_type"] == "RIFee"]
    [item] = load_focus_paths([LEGACY_PARQUET])
    converted = item.frame[item.frame["x_line_item_type"] == "RIFee"]
    assert len(converted) == len(fees) == 9
    expected = (fees["reservation_unused_amortized_upfront_fee_for_billing_period"]
                + fees["reservation_unused_recurring_fee"]).round(6).tolist()
    assert converted["EffectiveCost"].round(6).tolist() == expected
    assert converted["BilledCost"].round(6).tolist() == fees["line_item_unblended_cost"].round(6).tolist()
    assert set(converted["ChargeCategory"]) == {"Purchase"}


def test_the_cur_s_current_generation_flag_is_kept_for_the_optimization_page():
    raw = _raw(LEGACY_PARQUET)
    [item] = load_focus_paths([LEGACY_PARQUET])
    flag = raw["product_current_generation"].where(raw["product_current_generation"] != "")
    converted = item.frame["x_current_generation"]
    assert converted.isna().tolist() == flag.isna().tolist()
    assert converted.dropna().tolist() == flag.dropna().tolist() and set(flag.dropna()) == {"Yes"}  # this 2018 month has no instance the CUR calls previous generation
    [cur2] = load_focus_paths([CUR2])
    assert "x_current_generation" not in cur2.frame  # CUR 2.0 without the attribute: no column, not blanks


def test_cur2_maps_every_line_item_type():
    [item] = load_focus_paths([CUR2])
    frame = item.frame.set_index("x_line_item_type")
    by_type = item.frame.groupby("x_line_item_type")
    assert by_type["ChargeCategory"].first().to_dict() == {
        "Credit": "Credit", "DiscountedUsage": "Usage", "RIFee": "Purchase", "Refund": "Adjustment",
        "SavingsPlanCoveredUsage": "Usage", "SavingsPlanNegation": "Usage", "SavingsPlanRecurringFee": "Purchase",
        "Tax": "Tax", "Usage": "Usage"}
    assert frame.loc["Refund", "ChargeClass"] == "Correction"
    assert frame.loc["Tax", "PricingQuantity"].isna().all()  # FOCUS 1.2: no pricing quantity on tax
    assert set(item.frame["InvoiceIssuerName"]) == set(item.frame["PublisherName"]) == {"AWS"}
    assert (frame.loc["SavingsPlanNegation", "EffectiveCost"] == 0).all()
    assert frame.loc["SavingsPlanRecurringFee", "EffectiveCost"] == pytest.approx(73.44 - 70.1234)
    assert frame.loc["SavingsPlanRecurringFee", "CommitmentDiscountStatus"] == "Unused"
    assert set(frame.loc["SavingsPlanCoveredUsage", "CommitmentDiscountStatus"]) == {"Used"}
    assert set(frame.loc["SavingsPlanCoveredUsage", "CommitmentDiscountCategory"]) == {"Spend"}
    assert set(frame.loc["DiscountedUsage", "CommitmentDiscountType"]) == {"Reserved Instance"}
    spot = item.frame["x_usage_type"].str.startswith("SpotUsage")
    assert set(item.frame.loc[spot, "PricingCategory"]) == {"Dynamic"}
    usage = item.frame[item.frame["x_line_item_type"] == "Usage"]
    assert set(usage["ServiceName"]) == {"Amazon Elastic Compute Cloud", "Amazon Simple Storage Service"}
    assert set(usage["ServiceCategory"]) == {"Compute", "Storage"}
    assert set(usage["RegionId"]) == {"us-east-1"}
    assert set(item.frame["SubAccountName"]) == {"web-prod", "data-dev"}
    assert _cents(item.frame["ListCost"].sum()) == _cents(pq.read_table(CUR2)["pricing_public_on_demand_cost"]
                                                         .to_pandas().sum())


def test_cur2_tags_are_queryable_from_the_resource_tags_map(tmp_path):
    raw = pq.read_table(CUR2).to_pylist()
    expected = sum(Decimal(str(r["line_item_unblended_cost"])) for r in raw
                   if dict(r["resource_tags"]).get("user_team") == "checkout")
    [item] = load_focus_paths([CUR2])
    tags = item.frame["Tags"].dropna().map(json.loads)
    assert {"team": "search", "env": "prod", "aws:created_by": "IAMUser:AIDEXAMPLE:ci"} in tags.tolist()
    cache = FocusCache(tmp_path)
    cache.load(deliveries([item]))
    queries = local_queries(cache)
    assert _cents(queries.total(Filters.of(tag_team=["checkout"]), "BilledCost")) == expected.quantize(CENT)
    assert _cents(queries.total(Filters.of(tag_env=["prod"]), "BilledCost")) == _cents(8 * 0.096)


def test_legacy_parquet_tag_columns_become_tags(tmp_path):
    raw = _raw(LEGACY_PARQUET)
    chosen = raw["resource_tags_user_cost_center"] == "Cost001"
    expected = sum((_effective_row(r) for r in raw[chosen].to_dict("records")), Decimal(0))
    [item] = load_focus_paths([LEGACY_PARQUET])
    cache = FocusCache(tmp_path)
    cache.load(deliveries([item]))
    assert _cents(local_queries(cache).total(Filters.of(tag_cost_center=["Cost001"]))) == expected.quantize(CENT)
    keys = set().union(*item.frame["Tags"].dropna().map(lambda t: set(json.loads(t))))
    assert {"cost_center", "workload", "aws:created_by"} <= keys


def _csv_variant(tmp_path: Path, name: str, edit) -> Path:
    """A copy of the legacy CUR CSV changed by `edit(header, rows)`."""
    with open(LEGACY_CSV, newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    edit(header, rows)
    path = tmp_path / name
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, *rows])
    return path


def test_legacy_csv_tag_columns_scientific_notation_and_missing_columns(tmp_path):
    def edit(header, rows):
        cost = header.index("lineItem/UnblendedCost")
        header.append("resourceTags/user:team")
        header.append("resourceTags/aws:createdBy")
        for i, row in enumerate(rows):
            row.append("payments" if i % 3 == 0 else "")
            row.append("ci" if i == 0 else "")
        rows[0][cost], rows[1][cost], rows[2][cost] = "1.25E-2", "", " 3.5e+00 "
        drop = [header.index(c) for c in header if c.startswith(("reservation/", "savingsPlan/", "pricing/"))]
        for row in [header, *rows]:
            for i in sorted(drop, reverse=True):
                del row[i]

    path = _csv_variant(tmp_path, "cur-variant.csv", edit)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    expected = sum((Decimal(v.strip()) for v in raw["lineItem/UnblendedCost"] if v.strip()), Decimal(0))
    [item] = load_focus_paths([path])
    assert len(item.frame) == len(raw)
    assert _cents(item.frame["BilledCost"].sum()) == expected.quantize(CENT)
    assert "ListCost" in {f.column for f in item.findings}  # the month had no pricing/ columns: said so
    tagged = item.frame["Tags"].dropna().map(json.loads)
    assert tagged.iloc[0] == {"team": "payments", "aws:createdBy": "ci"}
    assert (raw["resourceTags/user:team"] == "payments").sum() == len(tagged)


def test_a_row_that_cannot_be_fully_mapped_is_kept_and_reported(tmp_path):
    table = pq.read_table(LEGACY_PARQUET)
    table = table.drop_columns(["reservation_effective_cost"])
    kinds = table["line_item_line_item_type"].to_pylist()
    kinds[5] = "MysteryCharge"
    table = table.set_column(table.schema.get_field_index("line_item_line_item_type"), "line_item_line_item_type",
                             pa.array(kinds, pa.string()))
    path = tmp_path / "partial.parquet"
    pq.write_table(table, path)
    [item] = load_focus_paths([path])
    assert len(item.frame) == 3685
    assert _cents(item.frame["BilledCost"].sum()) == Decimal("247.14")
    warnings = [f for f in item.findings if f.severity == "warning"]
    discounted = [f for f in warnings if "DiscountedUsage" in f.message]
    assert discounted and "313 rows" in discounted[0].message
    first = kinds.index("DiscountedUsage") + 2
    assert discounted[0].rows[0] == first and f"rows {first}" in discounted[0].message
    unknown = [f for f in warnings if "MysteryCharge" in f.message]
    assert unknown and unknown[0].rows == (7,) and unknown[0].column == "line_item_line_item_type"
    assert pd.isna(item.frame.loc[5, "ChargeCategory"])


def test_a_cur_without_unblended_cost_is_rejected_naming_file_and_column(tmp_path):
    def edit(header, rows):
        i = header.index("lineItem/UnblendedCost")
        for row in [header, *rows]:
            del row[i]

    path = _csv_variant(tmp_path, "no-cost.csv", edit)
    with pytest.raises(FocusLoadError) as caught:
        load_focus_paths([path])
    message = str(caught.value)
    assert "no-cost.csv" in message and "lineItem/UnblendedCost" in message and "missing" in message


def test_cur_parquet_without_unblended_cost_names_the_snake_case_column(tmp_path):
    path = tmp_path / "no-cost.parquet"
    pq.write_table(pq.read_table(LEGACY_PARQUET).drop_columns(["line_item_unblended_cost"]), path)
    with pytest.raises(FocusLoadError) as caught:
        load_focus_file(path)
    assert "no-cost.parquet, column line_item_unblended_cost: required column is missing" in str(caught.value)


def test_a_cost_column_holding_text_is_rejected_naming_column_and_rows(tmp_path):
    def edit(header, rows):
        cost = header.index("lineItem/UnblendedCost")
        rows[2][cost] = "twelve dollars"  # spreadsheet row 4
        rows[9][cost] = "n/a"  # row 11

    path = _csv_variant(tmp_path, "text-cost.csv", edit)
    with pytest.raises(FocusLoadError) as caught:
        load_focus_paths([path])
    [error] = [f for f in caught.value.findings if f.severity == "error"]
    assert error.file == "text-cost.csv" and error.column == "lineItem/UnblendedCost"
    assert error.rows == (4, 11)
    assert "row 4 ('twelve dollars')" in str(error) and "row 11" in str(error)


def test_the_cli_loads_a_cur_and_ends_with_its_json_summary(tmp_path):
    done = subprocess.run([sys.executable, "-m", "analysis", "--cache", str(tmp_path / "cache"), "load",
                           str(LEGACY_PARQUET)], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["files"] == 1 and summary["rows"] == 3685 and summary["providers"] == ["AWS"]
    totals = summary["totals"]["USD"]
    raw = _raw(LEGACY_PARQUET)
    assert _cents(totals["BilledCost"]) == _billed(raw).quantize(CENT)
    assert _cents(totals["EffectiveCost"]) == _effective(raw).quantize(CENT)


def test_a_folder_of_monthly_partitions_with_differing_columns(tmp_path):
    """Legacy CUR months differ in their columns: each partition converts on its own and the totals add up."""
    table = pq.read_table(LEGACY_PARQUET)
    folder = tmp_path / "cur" / "year=2018"
    (folder / "month=10").mkdir(parents=True)
    (folder / "month=11").mkdir(parents=True)
    first, second = table.slice(0, 2000), table.slice(2000)
    tags = [n for n in table.column_names if n.startswith("resource_tags_")]
    reservation = [n for n in table.column_names if n.startswith(("reservation_", "pricing_"))]
    second = second.drop_columns([*tags[:4], "product_product_name"])  # tag columns disappear, one appears below
    second = second.append_column("resource_tags_user_project", pa.array(["apollo"] * second.num_rows))
    first = first.drop_columns([n for n in reservation if n != "reservation_effective_cost"])
    pq.write_table(first, folder / "month=10" / "part-0.parquet")
    pq.write_table(second, folder / "month=11" / "part-0.parquet")
    items = load_focus_paths([tmp_path / "cur"])
    assert sorted(len(i.frame) for i in items) == sorted([2000, 1685])
    frames = pd.concat([i.frame for i in items], ignore_index=True)
    raw = table.to_pandas()
    assert _cents(frames["BilledCost"].sum()) == _billed(raw).quantize(CENT)
    # the first part lost its RIFee columns: its RIFee rows (if any) fall back to their unblended cost
    expected = sum((_effective_row(r) if i >= 2000 or r["line_item_line_item_type"] != "RIFee"
                    else _dec(r["line_item_unblended_cost"]) for i, r in enumerate(raw.to_dict("records"))), Decimal(0))
    assert _cents(frames["EffectiveCost"].sum()) == expected.quantize(CENT)
    assert frames["Tags"].dropna().str.contains('"project": "apollo"').sum() == 1685
    cache = FocusCache(tmp_path / "cache")
    cache.load(deliveries(items))
    assert _cents(local_queries(cache).total(Filters(), "BilledCost")) == _billed(raw).quantize(CENT)


def test_cur2_written_as_csv_reads_its_maps_from_json_text(tmp_path):
    """CUR 2.0 delivered as CSV writes its map columns as JSON objects."""
    raw = pq.read_table(CUR2).to_pandas()
    for column in ("product", "resource_tags", "cost_category", "discount"):
        raw[column] = [json.dumps(dict(v)) for v in raw[column]]
    raw["line_item_unblended_cost"] = [f"{v:.10E}" for v in raw["line_item_unblended_cost"]]  # as text
    path = tmp_path / "cur2.csv"
    raw.to_csv(path, index=False)
    [item] = load_focus_paths([path])
    assert item.focus_version_guess == "AWS CUR 2.0"
    expected = sum((Decimal(v) for v in raw["line_item_unblended_cost"]), Decimal(0))
    assert _cents(item.frame["BilledCost"].sum()) == expected.quantize(CENT)
    checkout = sum(json.loads(t).get("user_team") == "checkout" for t in raw["resource_tags"])
    assert item.frame["Tags"].dropna().str.contains('"team": "checkout"').sum() == checkout == 14
    assert set(item.frame.loc[item.frame["x_line_item_type"] == "Usage", "RegionId"]) == {"us-east-1"}


FOCUS_UNIT = re.compile(r"(?:\d+ )?(?:[A-Za-z][A-Za-z0-9]*(?: [A-Za-z][A-Za-z0-9]*)*)"
                        r"(?:-(?:Seconds|Minutes|Hours|Days|Months|Years)|/(?:Second|Minute|Hour|Day|Month|Year))?")


def test_service_subcategory_is_one_of_its_category_and_units_are_focus_units(loaded):
    path, item, _ = loaded
    frame = item.frame
    assert frame["ServiceSubcategory"].notna().all()
    assert (frame["ServiceSubcategory"].map(SUBCATEGORY_PARENT) == frame["ServiceCategory"]).all()
    raw = _raw(path)
    code = raw.get("line_item_product_code", raw.get("lineItem/ProductCode"))
    if code is not None:
        by_code = dict(zip(code.tolist(), frame["ServiceSubcategory"].tolist()))
        assert by_code.get("AmazonEC2", "Virtual Machines") == "Virtual Machines"
        assert by_code.get("AmazonS3", "Object Storage") == "Object Storage"
    units = set(frame["PricingUnit"].dropna()) | set(frame["ConsumedUnit"].dropna())
    assert units and not {"Hrs", "GB-Mo"} & units
    assert {u for u in units if not FOCUS_UNIT.fullmatch(u)} <= {"64K-Chunks"}  # AWS's EBS direct API unit, kept


def test_a_service_has_one_category_whatever_the_spelling_of_its_product_code():
    """The anonymized CUR writes KMS's product code `awskms`: Security (and Secret Management) on every row,
    API requests, keys and its tax alike, not a category guessed from each row's product family."""
    [item] = load_focus_paths([LEGACY_CSV])
    kms = item.frame[item.frame["ServiceName"] == "AWS Key Management Service"]
    assert len(kms) == 52
    assert set(kms["ServiceCategory"]) == {"Security"} and set(kms["ServiceSubcategory"]) == {"Secret Management"}
    assert item.frame.groupby("ServiceName")["ServiceCategory"].nunique().eq(1).all()
