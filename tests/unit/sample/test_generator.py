"""The sample bill: what a user of the demo data would notice (period, providers, tags, commitments, anomalies)."""

import datetime as dt
import json

import pandas as pd
import pytest

from analysis.sample import COLUMNS, DEFAULT_ROWS, generate_sample, sample_anomalies
from analysis.sample import generator as sample

END = dt.date(2026, 11, 16)
FOCUS_CATEGORIES = {
    "AI and Machine Learning", "Analytics", "Business Applications", "Compute", "Databases", "Developer Tools",
    "Multicloud", "Identity", "Integration", "Internet of Things", "Management and Governance", "Media",
    "Migration", "Mobile", "Networking", "Security", "Storage", "Web", "Other",
}


@pytest.fixture(scope="module")
def chunks() -> list[pd.DataFrame]:
    return list(generate_sample(end=END))


@pytest.fixture(scope="module")
def bill(chunks) -> pd.DataFrame:
    return pd.concat(chunks, ignore_index=True)


def _days(frame: pd.DataFrame) -> pd.Series:
    return frame["ChargePeriodStart"].dt.date


def _untagged(tags: pd.Series) -> pd.Series:
    return tags.map(lambda t: not isinstance(t, str) or not json.loads(t)).astype(bool)


def test_same_arguments_same_rows_and_seed_changes_them():
    first = pd.concat(generate_sample(30_000, end=END, seed=3), ignore_index=True)
    again = pd.concat(generate_sample(30_000, end=END, seed=3), ignore_index=True)
    other = pd.concat(generate_sample(30_000, end=END, seed=4), ignore_index=True)
    pd.testing.assert_frame_equal(first, again)
    assert first["EffectiveCost"].sum() != pytest.approx(other["EffectiveCost"].sum(), rel=1e-6)


def test_chunking_does_not_change_the_data(monkeypatch):
    whole = pd.concat(generate_sample(30_000, end=END), ignore_index=True)
    monkeypatch.setattr(sample, "CHUNK_ROWS", 1_000)
    small = list(generate_sample(30_000, end=END))
    assert len(small) > 30 and max(len(c) for c in small) <= 1_000 + 300
    chunked = pd.concat(small, ignore_index=True)
    key = ["ChargePeriodStart", "ResourceId", "ChargeCategory", "ChargeDescription", "SubAccountId"]
    pd.testing.assert_frame_equal(whole.sort_values(key, ignore_index=True),
                                  chunked.sort_values(key, ignore_index=True))


def test_every_chunk_has_the_columns_and_dtypes(chunks):
    assert 15 <= len(chunks) <= 20 and max(len(c) for c in chunks) <= sample.CHUNK_ROWS + 1_000
    for chunk in chunks:
        assert list(chunk.columns) == COLUMNS
        assert chunk.dtypes.equals(chunks[0].dtypes)
    dtypes = chunks[0].dtypes
    assert str(dtypes["ChargePeriodStart"]) == "datetime64[us, UTC]"
    assert dtypes["EffectiveCost"] == "float64" and isinstance(dtypes["Tags"], pd.StringDtype)


def test_period_runs_from_a_month_start_to_yesterday(bill):
    days = _days(bill)
    assert days.max() == END - dt.timedelta(days=1)
    assert days.min() == dt.date(2025, 6, 1)  # 18 calendar months, the current one included
    assert ((bill["ChargePeriodEnd"] - bill["ChargePeriodStart"]) == pd.Timedelta(days=1)).all()
    assert (bill["BillingPeriodStart"].dt.day == 1).all() and (bill["BillingPeriodEnd"].dt.day == 1).all()
    assert (bill["BillingPeriodStart"] <= bill["ChargePeriodStart"]).all()
    assert (bill["ChargePeriodEnd"] <= bill["BillingPeriodEnd"]).all()
    assert set(bill["BillingCurrency"]) == {"USD"}


def test_end_defaults_to_today_utc():
    today = dt.datetime.now(dt.UTC).date()
    last = max(_days(chunk).max() for chunk in generate_sample(30_000, months=2))
    assert last in {today - dt.timedelta(days=1), today}  # `today` only if midnight UTC passed meanwhile


def test_three_providers_fifteen_accounts_forty_services(bill):
    assert set(bill["ProviderName"]) == {"AWS", "Microsoft", "Google Cloud"}
    assert bill["BillingAccountId"].nunique() == 3
    assert 12 <= bill["SubAccountId"].nunique() <= 18
    assert bill["ServiceName"].nunique() >= 35
    assert set(bill["ServiceCategory"]) <= FOCUS_CATEGORIES and bill["ServiceCategory"].nunique() >= 4
    assert bill["SubAccountId"][bill["ProviderName"] == "AWS"].str.fullmatch(r"\d{12}").all()


def test_row_count_follows_rows(bill):
    assert len(bill) == pytest.approx(DEFAULT_ROWS, rel=0.15)
    for rows in (40_000, 600_000):
        assert sum(len(chunk) for chunk in generate_sample(rows, end=END)) == pytest.approx(rows, rel=0.15)


def test_a_quarter_of_spend_is_untagged_with_messy_keys(bill):
    untagged = _untagged(bill["Tags"])
    assert 0.20 <= bill["EffectiveCost"][untagged].sum() / bill["EffectiveCost"].sum() <= 0.30
    tags = [json.loads(t) for t in bill["Tags"][~untagged].drop_duplicates()]
    keys = {k for t in tags for k in t}
    assert {"team", "Team", "env", "app", "cost-center", "costcenter"} <= keys
    assert {"prod", "production", "Prod"} <= {t["env"] for t in tags}
    assert bill["Tags"].isna().any() and (bill["Tags"] == "{}").any()


def test_commitments_amortize_into_used_and_unused(bill):
    used = bill[bill["CommitmentDiscountStatus"] == "Used"]
    unused = bill[bill["CommitmentDiscountStatus"] == "Unused"]
    purchases = bill[(bill["ChargeCategory"] == "Purchase") & bill["CommitmentDiscountId"].notna()]
    assert len(used) and len(unused) and len(purchases)
    for rows in (used, unused):
        assert (rows["BilledCost"] == 0).all() and (rows["EffectiveCost"] > 0).all()
        assert (rows["PricingCategory"] == "Committed").all()
    assert (purchases["EffectiveCost"] == 0).all() and (purchases["BilledCost"] > 0).all()
    assert (used["ListCost"] >= used["ContractedCost"]).all()
    assert (used["ContractedCost"] > used["EffectiveCost"]).all()
    amortized = pd.concat([used, unused]).groupby(["CommitmentDiscountId", "BillingPeriodStart"])["EffectiveCost"].sum()
    fees = purchases.groupby(["CommitmentDiscountId", "BillingPeriodStart"])["BilledCost"].sum()
    finished = fees.index.get_level_values(1) < pd.Timestamp("2026-11-01", tz="UTC")
    pd.testing.assert_series_equal(amortized[fees.index][finished], fees[finished], check_names=False, rtol=1e-9)


def test_on_demand_costs_agree(bill):
    usage = bill[(bill["ChargeCategory"] == "Usage") & (bill["PricingCategory"] == "Standard")]
    assert (usage["ContractedCost"] == usage["BilledCost"]).all()
    assert (usage["BilledCost"] == usage["EffectiveCost"]).all()
    assert (usage["ListCost"] >= usage["ContractedCost"]).all()
    azure = usage[usage["ProviderName"] == "Microsoft"]
    assert (azure["ListCost"] == azure["ContractedCost"]).all()
    aws = usage[usage["ProviderName"] == "AWS"]
    assert (aws["ContractedCost"] < aws["ListCost"]).all()  # the negotiated discount


def test_one_refund_negative_credits_and_monthly_tax(bill):
    refund = bill[bill["ChargeClass"] == "Correction"]
    assert len(refund) == 1 and refund["BilledCost"].iloc[0] < 0
    credits = bill[bill["ChargeCategory"] == "Credit"]
    assert len(credits) and (credits["BilledCost"] < 0).all() and (credits["EffectiveCost"] < 0).all()
    tax = bill[bill["ChargeCategory"] == "Tax"]
    assert (tax["BilledCost"] > 0).all() and tax["BillingPeriodStart"].nunique() == 17  # finished months
    support = bill[bill["ServiceName"] == "AWS Support (Business)"]
    assert len(support) == 18 and (_days(support).map(lambda d: d.day) == 1).all()


def test_compute_is_lower_on_weekends_and_spend_grows(bill):
    compute = bill[(bill["ServiceCategory"] == "Compute") & (bill["ChargeCategory"] == "Usage")]
    daily = compute.groupby(_days(compute))["EffectiveCost"].sum()
    weekend = pd.Series([d.weekday() >= 5 for d in daily.index], index=daily.index)
    assert daily[~weekend].mean() > 1.1 * daily[weekend].mean()
    monthly = bill.groupby("BillingPeriodStart")["EffectiveCost"].sum()
    assert monthly.iloc[-2] > 1.2 * monthly.iloc[0]


def test_a_few_resources_dominate(bill):
    usage = bill[bill["ChargeCategory"] == "Usage"].groupby("ResourceId")["EffectiveCost"].sum()
    top = usage.sort_values(ascending=False)
    assert top.iloc[: max(1, len(top) // 100)].sum() > 0.10 * top.sum()
    assert top.iloc[: len(top) // 5].sum() > 0.6 * top.sum()


def test_anomalies_are_described_and_visible(bill):
    anomalies = sample_anomalies(END)
    assert 3 <= len(anomalies) <= 6
    assert {"spike", "level-shift", "drop", "new-spend"} <= {a["kind"] for a in anomalies}
    assert any(a["start"] >= END - dt.timedelta(days=60) for a in anomalies)
    days = _days(bill)
    for a in anomalies:
        rows = bill[bill["ResourceId"] == a["resource_id"]]
        assert set(rows["ResourceName"]) == {a["resource_name"]} and set(rows["ServiceName"]) == {a["service"]}
        cost = rows.groupby(days[rows.index])["ListCost"].sum()
        before = cost[cost.index < a["start"]]
        if a["kind"] == "spike":
            assert cost[a["start"]] > 3 * before.median() and a["approx_daily_impact"] > 0
        elif a["kind"] == "level-shift":
            assert cost[cost.index >= a["start"]].mean() > 1.4 * before.iloc[-60:].mean()
        elif a["kind"] == "drop":
            assert cost.index.max() < a["start"] and a["approx_daily_impact"] < 0
        else:  # new spend: the whole service is new
            service = bill[bill["ServiceName"] == a["service"]]
            assert days[service.index].min() == a["start"] and cost.mean() > 500


def test_anomalies_do_not_depend_on_size_or_seed():
    small = pd.concat(generate_sample(30_000, end=END, seed=11), ignore_index=True)
    assert {a["resource_id"] for a in sample_anomalies(END)} <= set(small["ResourceId"])


def test_every_row_has_a_service_subcategory_of_its_category_and_focus_units(bill):
    """FOCUS 1.2: ServiceSubcategory is one of its ServiceCategory's, one per service; units in the Unit Format."""
    from analysis.focus.schema import SERVICE_SUBCATEGORIES

    assert bill["ServiceSubcategory"].isin(SERVICE_SUBCATEGORIES).all()
    other = bill["ServiceSubcategory"].str.extract(r"^Other \((.*)\)$")[0]
    assert other.dropna().eq(bill.loc[other.notna(), "ServiceCategory"]).all()
    assert bill.groupby("ServiceName")["ServiceSubcategory"].nunique().eq(1).all()
    firsts = bill.groupby("ServiceName")["ServiceSubcategory"].first()
    assert firsts[["Amazon EC2", "Amazon S3", "BigQuery", "Tax"]].tolist() == [
        "Virtual Machines", "Object Storage", "Analytics Platforms", "Other (Other)"]
    units = set(bill["PricingUnit"].dropna())
    unit = r"(?:\d+ )?[A-Za-z][A-Za-z0-9]*(?: [A-Za-z][A-Za-z0-9]*)*(?:-(?:Seconds|Hours|Months)|/(?:Hour|Month))?"
    assert units and not [u for u in units if not pd.Series([u]).str.fullmatch(unit)[0]]
