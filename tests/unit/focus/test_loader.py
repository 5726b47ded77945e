"""Loading the real FOCUS fixtures: every file loads, with the file's own totals to the cent."""

import csv
import gzip
import json
import shutil
from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from analysis.focus.loader import load_focus_file, load_focus_paths, validate_frame
from analysis.focus.schema import COST_COLUMNS, MANDATORY
from tests.fixture_paths import FOCUS, SAMPLE_1000, SPEC_EXAMPLES

FOCUS_FILES = sorted(FOCUS.rglob("*.csv"))
CENT = Decimal("0.005")


def _records(path) -> list[dict[str, str]]:
    """The file's data rows, read independently with the csv module (blank lines skipped)."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def _amount(text: str) -> Decimal:
    """A cell as Decimal; the SaaS examples write money as `"$10,100.00 "`."""
    return Decimal(text.strip().replace("$", "").replace(",", ""))


def _decimal_sum(records: list[dict[str, str]], column: str) -> Decimal:
    return sum((_amount(r[column]) for r in records if r[column] not in ("", "NULL", "null")), Decimal(0))


def _same_to_the_cent(value: float, expected: Decimal) -> bool:
    return abs(Decimal(value) - expected) < CENT


@pytest.fixture(scope="module")
def sample():
    return load_focus_file(SAMPLE_1000)


def test_there_are_twenty_seven_focus_fixtures():
    assert len(FOCUS_FILES) == 27


@pytest.mark.parametrize("path", FOCUS_FILES, ids=lambda p: p.name)
def test_every_fixture_loads_with_its_own_row_count_and_totals(path):
    records = _records(path)
    loaded = load_focus_file(path)
    frame = loaded.frame
    assert len(frame) == len(records)
    assert not [f for f in loaded.findings if f.severity == "error"]
    assert set(MANDATORY) <= set(frame.columns)
    for metric in COST_COLUMNS:
        assert frame[metric].dtype == "float64"
        if metric in records[0]:
            assert _same_to_the_cent(frame[metric].sum(), _decimal_sum(records, metric)), metric
        else:
            assert frame[metric].isna().all()


def test_the_sample_has_its_providers_and_one_currency(sample):
    assert sample.frame["ProviderName"].value_counts().to_dict() == {"AWS": 942, "Microsoft": 51, "Oracle": 7}
    assert sample.frame["BillingCurrency"].unique().tolist() == ["USD"]
    assert sample.focus_version_guess == "1.0"


def test_timestamps_are_utc_and_hourly(sample):
    frame = sample.frame
    for column in ("ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart", "BillingPeriodEnd"):
        assert frame[column].dtype == "datetime64[us, UTC]"
    assert frame["ChargePeriodStart"].iloc[0] == pd.Timestamp("2024-09-18 22:00", tz="UTC")
    lengths = (frame["ChargePeriodEnd"] - frame["ChargePeriodStart"]).value_counts()
    assert lengths.to_dict() == {pd.Timedelta(hours=1): 949, pd.Timedelta(days=1): 51}
    assert frame["ChargePeriodStart"].min() == pd.Timestamp("2024-09-01", tz="UTC")


def test_wrong_case_enum_values_are_corrected_and_reported(sample):
    assert sample.frame["ChargeFrequency"].value_counts().to_dict() == {"Usage-Based": 999, "One-Time": 1}
    (fix,) = [f for f in sample.findings if f.column == "ChargeFrequency"]
    assert fix.severity == "info"
    assert fix.message.startswith("7 values are written in another case, corrected: "
                                  "'Usage-based' → 'Usage-Based' (rows 927, 928, 943, 946, 949 and 2 more)")
    assert fix.rows[0] == 927
    raw = _records(SAMPLE_1000)
    assert raw[fix.rows[0] - 2]["ChargeFrequency"] == "Usage-based"  # header is row 1


def test_the_non_focus_id_column_is_dropped_with_an_info_finding(sample):
    assert "Id" not in sample.frame.columns
    assert any(f.severity == "info" and f.message.endswith("not FOCUS: Id") for f in sample.findings)
    assert [f.severity for f in sample.findings] == ["info", "info"]


def test_nulls_and_tags(sample):
    frame = sample.frame
    assert frame["ChargeClass"].isna().all()  # written as NULL
    assert frame["PricingCategory"].isna().sum() == 7  # written as empty strings
    assert frame["Tags"].notna().sum() == 711
    assert json.loads(frame["Tags"].iloc[1]) == {
        "application": "BrightLensMatrix", "environment": "dev", "business_unit": "ViennaAI"}
    assert frame["ServiceName"].dtype == "string"


def test_spec_examples_load_with_warnings_for_missing_columns():
    path = SPEC_EXAMPLES / "commitment_discount_scenarios" / "commitment_discount_usage_scenario_1.csv"
    loaded = load_focus_file(path)
    warnings = {f.column: f.message for f in loaded.findings if f.severity == "warning"}
    assert loaded.frame["BillingCurrency"].tolist() == ["USD"]
    assert "USD" in warnings["BillingCurrency"]
    assert "ListCost" in warnings and "ContractedCost" in warnings
    assert "ServiceName" in warnings[None] and "ProviderName" in warnings[None]
    assert loaded.frame["ServiceName"].isna().all()


def test_lower_case_skupriceid_is_read_as_skupriceid():
    path = SPEC_EXAMPLES / "commitment_discount_flexibility" / \
        "one_hundred_percent_utilization_without_commitment_discount_flexibility.csv"
    loaded = load_focus_file(path)
    assert "SkuPriceId" in loaded.frame.columns and "SkuPriceid" not in loaded.frame.columns
    assert loaded.frame["SkuPriceId"].iloc[0] == "VM_LARGE_COMMITTED_PURCHASE_NO_UPFRONT"
    assert loaded.frame["x_CommitmentDiscountUnitPrice"].dtype == "string"  # x_ columns kept, as text


def test_an_impossible_hour_in_a_spec_example_end_date_is_a_warning():
    path = SPEC_EXAMPLES / "commitment_discount_scenarios" / "commitment_discount_purchase_scenario_2.csv"
    loaded = load_focus_file(path)
    (bad,) = [f for f in loaded.findings if f.column == "ChargePeriodEnd"]
    assert bad.severity == "warning" and bad.rows == (4,) and "'2023-02-01T30:00:00Z'" in bad.message
    assert loaded.frame["ChargePeriodEnd"].isna().tolist() == [False, False, True]


def test_a_focus_1_3_file_has_its_service_provider_read_as_provider(tmp_path):
    text = SAMPLE_1000.read_text(encoding="utf-8")
    newer = tmp_path / "focus_1_3.csv"
    newer.write_text(text.replace('"ProviderName"', '"ServiceProviderName"', 1), encoding="utf-8")
    loaded = load_focus_file(newer)
    assert loaded.frame["ProviderName"].value_counts().to_dict() == {"AWS": 942, "Microsoft": 51, "Oracle": 7}
    assert "ServiceProviderName" not in loaded.frame.columns
    assert loaded.focus_version_guess == "1.3"
    assert any("ServiceProviderName → ProviderName" in f.message for f in loaded.findings)


def test_a_file_with_both_provider_names_keeps_the_1_2_one(tmp_path):
    rows = [{"ChargePeriodStart": "2025-01-01", "BilledCost": "1", "EffectiveCost": "1",
             "ServiceProviderName": "Contoso Cloud", "ProviderName": "Contoso"}]
    path = tmp_path / "both.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    loaded = load_focus_file(path)
    assert loaded.frame["ProviderName"].tolist() == ["Contoso"]
    assert any("repeat" in f.message and "ServiceProviderName" in f.message for f in loaded.findings)


def test_a_parquet_copy_loads_with_identical_totals(tmp_path, sample):
    table = pacsv.read_csv(SAMPLE_1000, convert_options=pacsv.ConvertOptions(null_values=["NULL", ""]))
    assert pa.types.is_timestamp(table.schema.field("ChargePeriodStart").type)  # typed, as exports are
    billed = table.schema.get_field_index("BilledCost")
    table = table.set_column(billed, "BilledCost", table["BilledCost"].cast(pa.decimal128(20, 11)))
    pq.write_table(table, tmp_path / "sample.parquet")
    loaded = load_focus_file(tmp_path / "sample.parquet")
    assert len(loaded.frame) == 1000
    for metric in COST_COLUMNS:
        assert loaded.frame[metric].sum() == pytest.approx(sample.frame[metric].sum(), abs=1e-9)
    assert loaded.frame["ChargePeriodStart"].equals(sample.frame["ChargePeriodStart"])
    assert loaded.frame["ChargeFrequency"].value_counts().to_dict() == {"Usage-Based": 999, "One-Time": 1}
    assert loaded.frame["BillingAccountId"].iloc[0] == "1234567890123"  # an integer column read as text


def test_parquet_tags_stored_as_a_map_become_json_text(tmp_path):
    table = pa.table({
        "ChargePeriodStart": pa.array([pd.Timestamp("2025-01-01")] * 3, pa.timestamp("ms")),
        "BilledCost": [1.0, 2.0, 3.0], "EffectiveCost": [1.0, 2.0, 3.0],
        "Tags": pa.array([[("team", "web")], [], None], pa.map_(pa.string(), pa.string())),
    })
    pq.write_table(table, tmp_path / "tags.parquet")
    frame = load_focus_file(tmp_path / "tags.parquet").frame
    assert json.loads(frame["Tags"].iloc[0]) == {"team": "web"}
    assert frame["Tags"].iloc[1:].isna().all()  # an empty map and a null both mean untagged
    assert frame["ChargePeriodStart"].iloc[0] == pd.Timestamp("2025-01-01", tz="UTC")


def test_a_gzipped_csv_loads_like_the_csv(tmp_path, sample):
    packed = tmp_path / "sample.csv.gz"
    with open(SAMPLE_1000, "rb") as source, gzip.open(packed, "wb") as target:
        shutil.copyfileobj(source, target)
    loaded = load_focus_file(packed)
    pd.testing.assert_frame_equal(loaded.frame, sample.frame)


def test_dates_in_several_formats_are_read_as_utc(tmp_path):
    starts = ["2024-09-18 22:00:00", "2024-09-18T22:00:00Z", "2024-09-19T00:00:00+02:00", "09/18/2024",
              "2024-09-18"]
    path = tmp_path / "dates.csv"
    path.write_text("ChargePeriodStart,BilledCost,EffectiveCost\n" + "".join(f"{s},1,1\n" for s in starts))
    stamps = load_focus_file(path).frame["ChargePeriodStart"]
    assert stamps.tolist() == [pd.Timestamp("2024-09-18 22:00", tz="UTC")] * 3 + \
        [pd.Timestamp("2024-09-18", tz="UTC")] * 2


def test_a_folder_loads_every_file_with_names_relative_to_it():
    loaded = load_focus_paths([SPEC_EXAMPLES])
    assert len(loaded) == 26
    names = {f.file for item in loaded for f in item.findings}
    assert "commitment_discount_scenarios/commitment_discount_usage_scenario_1.csv" in names
    files = SPEC_EXAMPLES.rglob("*.csv")
    expected = sum((_decimal_sum(_records(p), "EffectiveCost") for p in files), Decimal(0))
    assert _same_to_the_cent(sum(item.frame["EffectiveCost"].sum() for item in loaded), expected)


def test_files_and_folders_together_each_load_once():
    loaded = load_focus_paths([SAMPLE_1000, FOCUS, str(SAMPLE_1000)])
    assert len(loaded) == 27
    assert sum(len(item.frame) for item in loaded) == sum(len(_records(p)) for p in FOCUS_FILES)


def test_validate_frame_works_on_a_frame_in_memory():
    frame = pd.DataFrame({"ChargePeriodStart": ["2025-01-01", "2025-01-02"], "BilledCost": ["1.5", "abc"],
                          "EffectiveCost": [1.5, 2.0], "ChargeCategory": ["usage", "Usage"]})
    findings = validate_frame(frame, "in memory")
    errors = [f for f in findings if f.severity == "error"]
    assert [(f.column, f.rows) for f in errors] == [("BilledCost", (3,))]
    assert any(f.column == "ChargeCategory" and f.severity == "info" for f in findings)
