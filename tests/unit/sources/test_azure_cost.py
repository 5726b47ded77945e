"""Azure cost exports to FOCUS: real EA / MCA / pay-as-you-go / localized exports through the real loader and
cache, totals to the cent against pandas on the raw files; the actual + amortized pair combined; bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.focus.loader import FocusLoadError, load_focus_paths
from analysis.query import local_queries
from analysis.query.filters import Filters
from analysis.sources import native_format
from analysis.sources.azure import english_name
from analysis.store.cache import FocusCache
from analysis.store.load import deliveries

ROOT = Path(__file__).resolve().parents[3]
AZURE = ROOT / "tests" / "fixtures" / "azure"
ACTUAL = AZURE / "ea_actual_small.csv"
AMORTIZED = AZURE / "ea_amortized_small.csv"
HEADERSETS = sorted((AZURE / "opencost" / "headersets").glob("*.csv"))
VALUES = sorted((AZURE / "opencost" / "values").glob("*.csv"))
COST_NAMES = ("costinbillingcurrency", "pretaxcost", "cost")


def raw_cost_sum(path: Path) -> float:
    """Independent: the file's cost column (any spelling) summed by pandas."""
    raw = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    by_name = {english_name(c).casefold(): c for c in raw.columns}
    column = next(by_name[n] for n in COST_NAMES if n in by_name)
    return float(pd.to_numeric(raw[column].replace("", None)).fillna(0).sum())


def cached_totals(tmp_path: Path, paths: list[Path]) -> tuple[dict, FocusCache]:
    cache = FocusCache(tmp_path / "cache")
    result = cache.load(deliveries(load_focus_paths(paths)), kind="cli")
    return result.summary, cache


@pytest.mark.parametrize("path", [ACTUAL, AMORTIZED, AZURE / "ea_anonymized.csv", *HEADERSETS],
                         ids=lambda p: p.name)
def test_each_export_alone_loads_with_its_cost_to_the_cent(tmp_path, path):
    summary, cache = cached_totals(tmp_path, [path])
    [loaded] = load_focus_paths([path])
    expected = raw_cost_sum(path)
    assert len(loaded.frame) == len(pd.read_csv(path, dtype=str, encoding="utf-8-sig"))  # no row dropped
    assert loaded.frame["EffectiveCost"].sum() == pytest.approx(expected, abs=0.005)
    if path == AMORTIZED:  # commitment-covered usage is not what was billed
        commitment = loaded.frame["CommitmentDiscountId"].notna()
        assert (loaded.frame.loc[commitment, "BilledCost"] == 0).all()
        assert loaded.frame["BilledCost"].sum() == pytest.approx(
            loaded.frame.loc[~commitment, "EffectiveCost"].sum(), abs=0.005)
        assert any("without its actual-cost export" in f.message and f.severity == "warning"
                   for f in loaded.findings)
    else:
        assert loaded.frame["BilledCost"].sum() == pytest.approx(expected, abs=0.005)
    if expected:
        currency = summary["currencies"][0]
        assert summary["totals"][currency]["EffectiveCost"] == pytest.approx(expected, abs=0.005)
    assert local_queries(cache).total(Filters(), "EffectiveCost") == pytest.approx(expected, abs=0.005)


def test_actual_alone_says_effective_cost_is_not_amortized():
    [loaded] = load_focus_paths([ACTUAL])
    warning = next(f for f in loaded.findings if "without its amortized-cost export" in f.message)
    assert warning.severity == "warning"
    purchase = loaded.frame[loaded.frame["ChargeCategory"] == "Purchase"].iloc[0]
    assert purchase["BilledCost"] == purchase["EffectiveCost"] == 3.25
    assert purchase["CommitmentDiscountType"] == "Reservation"
    assert purchase["PricingCategory"] == "Committed"


def test_actual_and_amortized_pair_combined_once_with_both_costs(tmp_path):
    loaded = load_focus_paths([ACTUAL, AMORTIZED])
    summary, cache = cached_totals(tmp_path, [ACTUAL, AMORTIZED])
    billed, effective = raw_cost_sum(ACTUAL), raw_cost_sum(AMORTIZED)
    usd = summary["totals"]["USD"]
    assert round(usd["BilledCost"], 2) == round(billed, 2) == 8.55
    assert round(usd["EffectiveCost"], 2) == round(effective, 2) == 16.30
    frames = pd.concat([item.frame for item in loaded], ignore_index=True)
    # 11 actual + 28 amortized rows, 10 charges in both: each appears once
    assert len(frames) == summary["rows"] == 11 + 28 - 10
    assert frames["x_AmortizedView"].value_counts().to_dict() == {"amortized only": 18, "matched": 10,
                                                                   "actual only": 1}
    purchase = frames[frames["ChargeCategory"] == "Purchase"].iloc[0]
    assert (purchase["BilledCost"], purchase["EffectiveCost"]) == (3.25, 0.0)
    reserved = frames[(frames["CommitmentDiscountType"] == "Reservation") & (frames["ChargeCategory"] == "Usage")]
    assert len(reserved) == 1 and reserved["BilledCost"].iloc[0] == 0.0
    assert reserved["EffectiveCost"].iloc[0] == pytest.approx(0.493152)
    assert reserved["PricingCategory"].iloc[0] == "Committed"
    plan = frames[frames["CommitmentDiscountType"] == "Savings Plan"]
    assert plan["CommitmentDiscountCategory"].tolist() == ["Spend"]
    # the storage charge in both files: once, its billed and effective cost the same
    disk = frames[frames["ResourceName"] == "MarketplaceBYOLTest2_OsDisk_1_8907aee9042745b785e8f4f98dad9e1f"]
    assert len(disk) == 1 and disk["BilledCost"].iloc[0] == disk["EffectiveCost"].iloc[0] == 0.21268368
    # the combined files say what they did and name the unmatched rows
    actual = next(i for i in loaded if i.path.name == ACTUAL.name)
    only = next(f for f in actual.findings if f.column == "EffectiveCost" and f.severity == "warning")
    assert only.rows == (2,) and "kept with EffectiveCost 0" in only.message
    assert not any("without its amortized-cost export" in f.message for f in actual.findings)
    q = local_queries(cache)
    assert q.total(Filters(), "BilledCost") == pytest.approx(billed, abs=0.005)
    assert q.total(Filters(), "EffectiveCost") == pytest.approx(effective, abs=0.005)


def test_pair_order_and_folder_do_not_matter(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    shutil.copy(AMORTIZED, folder / "september_amortized.csv")
    shutil.copy(ACTUAL, folder / "september_actual.csv")
    summary, _ = cached_totals(tmp_path, [folder])
    assert round(summary["totals"]["USD"]["BilledCost"], 2) == round(raw_cost_sum(ACTUAL), 2)
    assert round(summary["totals"]["USD"]["EffectiveCost"], 2) == round(raw_cost_sum(AMORTIZED), 2)
    assert summary["rows"] == 29


def test_view_told_from_content_when_the_name_does_not_say(tmp_path):
    shutil.copy(ACTUAL, tmp_path / "export_a.csv")
    shutil.copy(AMORTIZED, tmp_path / "export_b.csv")
    loaded = load_focus_paths([tmp_path / "export_b.csv", tmp_path / "export_a.csv"])
    frames = pd.concat([item.frame for item in loaded], ignore_index=True)
    assert round(frames["BilledCost"].sum(), 2) == round(raw_cost_sum(ACTUAL), 2)
    assert round(frames["EffectiveCost"].sum(), 2) == round(raw_cost_sum(AMORTIZED), 2)


def test_duplicate_charges_pair_one_to_one(tmp_path):
    """Two identical rows in both views: matched first to first, second to second, never twice."""
    raw = pd.read_csv(ACTUAL, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    usage = raw[raw["ChargeType"] == "Usage"].head(1)
    actual = pd.concat([usage, usage, usage], ignore_index=True)
    amortized = pd.concat([usage, usage], ignore_index=True)
    actual.to_csv(tmp_path / "dup_actual.csv", index=False)
    amortized.assign(Cost="1.5").to_csv(tmp_path / "dup_amortized.csv", index=False)
    loaded = load_focus_paths([tmp_path / "dup_actual.csv", tmp_path / "dup_amortized.csv"])
    frames = pd.concat([item.frame for item in loaded], ignore_index=True)
    assert len(frames) == 3
    assert frames["EffectiveCost"].sum() == pytest.approx(3.0)
    assert frames["BilledCost"].sum() == pytest.approx(3 * float(usage["Cost"].iloc[0]))


def test_columns_mapped_from_ea_export():
    [loaded] = load_focus_paths([AZURE / "ea_anonymized.csv"])
    frame = loaded.frame
    first = frame.iloc[0]
    assert first["ChargePeriodStart"] == pd.Timestamp("2023-09-02", tz="UTC")
    assert first["ChargePeriodEnd"] == pd.Timestamp("2023-09-03", tz="UTC")
    assert first["BillingPeriodStart"] == pd.Timestamp("2023-09-01", tz="UTC")
    assert first["BillingPeriodEnd"] == pd.Timestamp("2023-10-01", tz="UTC")  # exclusive
    assert first["BillingCurrency"] == "CAD"
    assert first["BillingAccountId"] == "12345678" and first["SubAccountName"] == "sub-example"
    assert first["ServiceName"] == "Virtual Network" and first["ServiceCategory"] == "Networking"
    assert first["ServiceSubcategory"] == "Network Infrastructure"
    assert set(frame.loc[frame["ServiceCategory"] == "Other", "ServiceSubcategory"]) <= {"Other (Other)"}
    assert first["RegionId"] == "centralus"
    assert first["ProviderName"] == "Microsoft"
    assert json.loads(first["Tags"]) == {"tagA": "valueA", "tagB": "valueB", "tagC": "valueC"}  # no outer braces
    assert set(frame["PricingCategory"]) <= {"Standard", "Dynamic"} and "Dynamic" in set(frame["PricingCategory"])
    assert first["ListCost"] == pytest.approx(0.4 * 0.027265128)
    assert first["x_MeterCategory"] == "Virtual Network" and "x_ResourceGroup" in frame


@pytest.mark.parametrize("path", HEADERSETS + VALUES, ids=lambda p: p.name)
def test_every_header_variant_is_detected(path):
    header = pd.read_csv(path, dtype=str, nrows=0).columns
    assert native_format(header).name.startswith("Azure cost details")


@pytest.mark.parametrize("spelling", ["CostInBillingCurrency", "costInBillingCurrency", "costinbillingcurrency",
                                      "PreTaxCost", "Kosten (CostInBillingCurrency)", "\ufeffCost"])
def test_cost_spellings(tmp_path, spelling):
    path = tmp_path / "spelled.csv"
    path.write_text(f"SubscriptionId,MeterCategory,Date,{spelling},BillingCurrency\n"
                    "s-1,Storage,2024-01-05,1.25\n".replace("1.25\n", "1.25,EUR\n"), encoding="utf-8")
    [loaded] = load_focus_paths([path])
    assert loaded.frame["BilledCost"].tolist() == [1.25] and loaded.frame["BillingCurrency"].tolist() == ["EUR"]


def test_german_headers_map_by_the_bracketed_name():
    [loaded] = load_focus_paths([AZURE / "opencost" / "headersets" / "German.csv"])
    row = loaded.frame.iloc[0]
    assert row["SubAccountId"] == "11111111-12ab-34dc-56ef-123456abcdef"
    assert row["ServiceName"] == "Load Balancer" and row["RegionId"] == "eastus"
    assert row["ConsumedUnit"] == "100 Hours" and row["BilledCost"] == 0.075
    assert "x_ResourceGroup" in loaded.frame and "x_MeterId" in loaded.frame


def test_values_without_currency_or_braces(tmp_path):
    missing = AZURE / "opencost" / "values" / "MissingBrackets.csv"
    [loaded] = load_focus_paths([missing])
    row = loaded.frame.iloc[0]
    assert json.loads(row["Tags"])["creationSource"] == "aks-aks-nodepool1-12345678-vmss"
    assert row["ListCost"] == 5 and row["BilledCost"] == 4
    assert any(f.column == "BillingCurrency" and "USD" in f.message for f in loaded.findings)


def test_tags_queryable_in_the_cache(tmp_path):
    _, cache = cached_totals(tmp_path, [ACTUAL, AMORTIZED])
    q = local_queries(cache)
    assert "tag:costcenter" in q.tag_keys()
    by = q.breakdown(Filters(), ("tag:costcenter",), "EffectiveCost").set_index("tag:costcenter")["cost"]
    frames = pd.concat([i.frame for i in load_focus_paths([ACTUAL, AMORTIZED])], ignore_index=True)
    centers = frames["Tags"].map(lambda t: json.loads(t).get("CostCenter") if isinstance(t, str) else None)
    expected = frames.groupby(centers)["EffectiveCost"].sum()
    assert by["SubACM"] == pytest.approx(expected["SubACM"], abs=0.005)
    assert by["1234"] == pytest.approx(expected["1234"], abs=0.005)


def _rejected(paths: list[Path]) -> FocusLoadError:
    with pytest.raises(FocusLoadError) as caught:
        load_focus_paths(paths)
    return caught.value


def test_azure_file_without_its_cost_column_is_an_error_naming_it(tmp_path):
    raw = pd.read_csv(ACTUAL, dtype=str, encoding="utf-8-sig", keep_default_na=False).drop(columns="Cost")
    raw.to_csv(tmp_path / "no_cost.csv", index=False)
    error = _rejected([tmp_path / "no_cost.csv"])
    [finding] = [f for f in error.findings if f.severity == "error" and f.column]
    assert finding.file == "no_cost.csv" and finding.column == "CostInBillingCurrency"
    assert "no cost column" in finding.message


def test_cost_holding_text_is_an_error_naming_column_and_rows(tmp_path):
    raw = pd.read_csv(ACTUAL, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    raw.loc[[2, 5], "Cost"] = "n/a"
    raw.to_csv(tmp_path / "text_cost.csv", index=False)
    error = _rejected([tmp_path / "text_cost.csv", AMORTIZED])  # nothing of the load is kept
    [finding] = [f for f in error.findings if f.severity == "error" and f.column]
    assert finding.file == "text_cost.csv" and finding.column == "Cost" and finding.rows == (4, 7) and "'n/a'" in finding.message


def test_date_in_a_format_azure_never_writes(tmp_path):
    raw = pd.read_csv(ACTUAL, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    raw.loc[3, "Date"] = "21.09.2023"
    raw.to_csv(tmp_path / "bad_date.csv", index=False)
    [finding] = [f for f in _rejected([tmp_path / "bad_date.csv"]).findings if f.severity == "error" and f.column]
    assert finding.column == "Date" and finding.rows == (5,)


def test_rows_not_fully_mapped_are_loaded_and_reported(tmp_path):
    raw = pd.read_csv(ACTUAL, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    raw.loc[1, "ChargeType"] = "SomethingNew"
    raw.loc[4, "Tags"] = '"broken: tag'
    raw.loc[6, "PricingModel"] = "Mystery"
    raw.to_csv(tmp_path / "odd_actual.csv", index=False)
    [loaded] = load_focus_paths([tmp_path / "odd_actual.csv"])
    assert len(loaded.frame) == 11 and round(loaded.frame["BilledCost"].sum(), 2) == round(raw_cost_sum(ACTUAL), 2)
    warnings = {f.column: f for f in loaded.findings if f.severity == "warning" and f.rows}
    assert warnings["ChargeType"].rows == (3,) and loaded.frame.loc[1, "ChargeCategory"] == "Adjustment"
    assert warnings["Tags"].rows == (6,) and loaded.frame.loc[4, "x_Tags"] == '"broken: tag'
    assert warnings["PricingModel"].rows == (8,) and loaded.frame.loc[6, "PricingCategory"] == "Other"


def test_refunds_keep_their_category_and_credits_are_credit(tmp_path):
    raw = pd.read_csv(ACTUAL, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    refund = raw.iloc[[0]].assign(ChargeType="Refund", Cost="-3.25")
    credit = raw.iloc[[1]].assign(ChargeType="Credit", Cost="-1")
    pd.concat([raw, refund, credit]).to_csv(tmp_path / "with_refund.csv", index=False)
    [loaded] = load_focus_paths([tmp_path / "with_refund.csv"])
    assert loaded.frame["ChargeCategory"].tolist()[-2:] == ["Purchase", "Credit"]
    assert loaded.frame["BilledCost"].tolist()[-2:] == [-3.25, -1.0]


def test_cli_load_prints_json_summary_last(tmp_path):
    done = subprocess.run([sys.executable, "-m", "analysis", "--cache", str(tmp_path / "cache"), "load",
                           str(ACTUAL), str(AMORTIZED)], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["files"] == 2 and summary["rows"] == 29
    assert round(summary["totals"]["USD"]["BilledCost"], 2) == round(raw_cost_sum(ACTUAL), 2)
    assert round(summary["totals"]["USD"]["EffectiveCost"], 2) == round(raw_cost_sum(AMORTIZED), 2)


def test_cli_rejects_an_azure_file_without_cost(tmp_path):
    path = tmp_path / "nocost.csv"
    path.write_text("SubscriptionId,MeterCategory,Date\ns-1,Storage,2024-01-05\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "analysis", "--cache", str(tmp_path / "cache"), "load", str(path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 2 and "nocost.csv" in done.stderr and "no cost column" in done.stderr


FOCUS_COST = AZURE / "focuscost_synthetic.csv"


def test_focus_cost_export_loads_with_its_totals_and_x_columns(tmp_path):
    raw = pd.read_csv(FOCUS_COST, dtype=str, keep_default_na=False)
    assert native_format(raw.columns).name == "Azure FocusCost export"
    summary, cache = cached_totals(tmp_path, [FOCUS_COST])
    [loaded] = load_focus_paths([FOCUS_COST])
    frame = loaded.frame
    assert len(frame) == len(raw) == summary["rows"] == 8
    for metric in ("BilledCost", "EffectiveCost", "ListCost"):
        expected = pd.to_numeric(raw[metric]).sum()
        assert summary["totals"]["USD"][metric] == pytest.approx(expected, abs=0.005)
    assert summary["totals"]["USD"]["BilledCost"] == pytest.approx(77.40, abs=0.005)
    assert summary["totals"]["USD"]["EffectiveCost"] == pytest.approx(17.41, abs=0.005)
    assert frame["ChargePeriodStart"].iloc[6] == pd.Timestamp("2024-03-05", tz="UTC")  # 1.0 wrote no seconds
    assert set(frame["CommitmentDiscountStatus"].dropna()) == {"Used", "Unused"}
    assert frame["x_SkuMeterCategory"].iloc[1] == "Virtual Machines" and "x_EffectiveCostInUsd" in frame
    by = local_queries(cache).breakdown(Filters(), ("tag:team",), "EffectiveCost").set_index("tag:team")["cost"]
    assert by["web"] == pytest.approx(2.304 + 1.368 + 0.4128)


def test_focus_cost_preview_pricing_categories_read_as_1_2(tmp_path):
    raw = pd.read_csv(FOCUS_COST, dtype=str, keep_default_na=False)
    raw["PricingCategory"] = raw["PricingCategory"].replace({"Standard": "On-Demand", "Committed": "Commitment-Based"})
    raw.to_csv(tmp_path / "preview.csv", index=False)
    [loaded] = load_focus_paths([tmp_path / "preview.csv"])
    assert set(loaded.frame["PricingCategory"]) == {"Standard", "Committed", "Dynamic"}


def test_focus_cost_is_not_taken_for_cost_details_and_plain_focus_is_not_azure():
    raw = pd.read_csv(FOCUS_COST, dtype=str, nrows=0)
    plain = [c for c in raw.columns if not c.startswith("x_")]
    assert native_format(plain) is None  # a FOCUS file without Microsoft's columns is read as FOCUS


@pytest.mark.parametrize("spelling", ["camel", "lower"])
def test_mca_layout_pair_combined_like_ea(tmp_path, spelling):
    """The EA pair with MCA-style headers (camelCase, or all lowercase): matched on the same charges."""
    def respell(name: str) -> str:
        name = "costInBillingCurrency" if name == "Cost" else name
        return name[:1].lower() + name[1:] if spelling == "camel" else name.lower()

    for source, target in ((ACTUAL, "mca_actual.csv"), (AMORTIZED, "mca_amortized.csv")):
        raw = pd.read_csv(source, dtype=str, encoding="utf-8-sig", keep_default_na=False)
        raw.rename(columns=respell).to_csv(tmp_path / target, index=False)
    summary, _ = cached_totals(tmp_path, [tmp_path / "mca_actual.csv", tmp_path / "mca_amortized.csv"])
    assert summary["rows"] == 29
    assert summary["totals"]["USD"]["BilledCost"] == pytest.approx(raw_cost_sum(ACTUAL), abs=0.005)
    assert summary["totals"]["USD"]["EffectiveCost"] == pytest.approx(raw_cost_sum(AMORTIZED), abs=0.005)


def test_pair_where_every_amortized_row_matches(tmp_path):
    """All amortized rows matched: its file holds no row of its own and the load still commits."""
    raw = pd.read_csv(ACTUAL, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    raw.to_csv(tmp_path / "all_actual.csv", index=False)
    raw.assign(Cost=raw["Cost"].where(raw["ChargeType"] != "Purchase", "0")).to_csv(tmp_path / "all_amortized.csv",
                                                                                  index=False)
    loaded = load_focus_paths([tmp_path / "all_actual.csv", tmp_path / "all_amortized.csv"])
    assert [len(item.frame) for item in loaded] == [11, 0]
    summary, _ = cached_totals(tmp_path, [tmp_path / "all_actual.csv", tmp_path / "all_amortized.csv"])
    assert summary["rows"] == 11
    assert summary["totals"]["USD"]["BilledCost"] == pytest.approx(raw_cost_sum(ACTUAL), abs=0.005)
    assert summary["totals"]["USD"]["EffectiveCost"] == pytest.approx(raw_cost_sum(ACTUAL) - 3.25, abs=0.005)


def test_repeated_charges_at_volume_keep_both_totals(tmp_path):
    """The pair repeated 50 times (identical charges many times over): totals still those of the files."""
    for source, target in ((ACTUAL, "big_actual.csv"), (AMORTIZED, "big_amortized.csv")):
        raw = pd.read_csv(source, dtype=str, encoding="utf-8-sig", keep_default_na=False)
        pd.concat([raw] * 50, ignore_index=True).to_csv(tmp_path / target, index=False)
    loaded = load_focus_paths([tmp_path / "big_actual.csv", tmp_path / "big_amortized.csv"])
    frames = pd.concat([item.frame for item in loaded], ignore_index=True)
    assert len(frames) == 50 * 29
    assert frames["BilledCost"].sum() == pytest.approx(raw_cost_sum(tmp_path / "big_actual.csv"), abs=0.005)
    assert frames["EffectiveCost"].sum() == pytest.approx(raw_cost_sum(tmp_path / "big_amortized.csv"), abs=0.005)


def test_units_of_measure_become_focus_units_row_by_row():
    """`1 Hour` is Hours, `10K` a block of 10,000 units, `1/Month` a rate; the quantity is left as Azure wrote it."""
    [item] = load_focus_paths([ACTUAL])
    raw = pd.read_csv(ACTUAL, dtype=str, encoding="utf-8-sig")
    expected = raw["UnitOfMeasure"].map({"1 Hour": "Hours", "10K": "10000 Units", "1/Month": "Units/Month"})
    assert expected.notna().all()
    assert item.frame["PricingUnit"].tolist() == item.frame["ConsumedUnit"].tolist() == expected.tolist()
    assert item.frame["PricingQuantity"].tolist() == raw["Quantity"].astype(float).tolist()


@pytest.mark.parametrize("path", [p for p in HEADERSETS if p.name != "BOM.csv"] + VALUES, ids=lambda p: p.name)
def test_costs_are_never_missing_and_usage_is_usage_based(path):
    """FOCUS 1.2: ListCost and ContractedCost are never null; a charge with no unit price to compute one from
    gets its BilledCost. Layouts without a Frequency column: a usage charge is usage-based."""
    [loaded] = load_focus_paths([path])
    frame = loaded.frame
    assert frame[["ListCost", "ContractedCost"]].notna().all().all()
    assert frame.loc[frame["ChargeCategory"] == "Usage", "ChargeFrequency"].eq("Usage-Based").all()


def test_pay_as_you_go_list_cost_is_what_was_billed_and_contracted_cost_is_rate_times_quantity():
    [loaded] = load_focus_paths([AZURE / "opencost" / "headersets" / "PayAsYouGo.csv"])
    row = loaded.frame.iloc[0]
    assert (row["BilledCost"], row["ListCost"]) == (0.075, 0.075)  # PreTaxCost; the file has no list price
    assert row["ContractedCost"] == pytest.approx(3 * 0.025)  # UsageQuantity x ResourceRate


def test_a_focus_1_0_focuscost_export_gets_a_service_subcategory_of_its_category():
    from analysis.focus.schema import SUBCATEGORY_PARENT

    [loaded] = load_focus_paths([FOCUS_COST])
    frame = loaded.frame
    raw = pd.read_csv(FOCUS_COST, dtype=str)
    assert "ServiceSubcategory" not in raw
    assert (frame["ServiceSubcategory"].map(SUBCATEGORY_PARENT) == frame["ServiceCategory"]).all()
    vms = frame["ServiceName"].eq("Virtual Machines") & frame["ServiceCategory"].eq("Compute")
    assert vms.any() and frame.loc[vms, "ServiceSubcategory"].eq("Virtual Machines").all()
