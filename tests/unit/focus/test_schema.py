"""The FOCUS 1.2 catalogue: the facts other code relies on, checked against the real fixture headers."""

import csv

import pytest

from analysis.focus.schema import (
    COLUMNS,
    COST_COLUMNS,
    MANDATORY,
    REQUIRED_TO_LOAD,
    SERVICE_CATEGORIES,
    canonical_name,
    guess_version,
)
from tests.fixture_paths import FOCUS, SAMPLE_1000


def _header(path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle))


def test_the_catalogue_has_the_57_columns_of_focus_1_2():
    assert len(COLUMNS) == 57
    assert {"BillingAccountType", "SubAccountType", "InvoiceId", "PricingCurrency",
            "PricingCurrencyEffectiveCost", "CapacityReservationStatus", "SkuPriceDetails"} <= set(COLUMNS)
    assert len(MANDATORY) == 21 and "ChargeClass" in MANDATORY and "RegionId" not in MANDATORY


def test_metrics_are_decimal_mandatory_columns_with_labels():
    assert COST_COLUMNS == ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost")
    for name in COST_COLUMNS:
        assert COLUMNS[name].kind == "decimal" and COLUMNS[name].mandatory
    assert COLUMNS["EffectiveCost"].label == "Effective cost (amortized)"
    assert set(REQUIRED_TO_LOAD) == {"ChargePeriodStart", "BilledCost", "EffectiveCost"}


def test_types_of_dates_and_json_columns():
    assert {n for n, c in COLUMNS.items() if c.kind == "datetime"} == {
        "BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd"}
    assert {n for n, c in COLUMNS.items() if c.kind == "json"} == {"Tags", "SkuPriceDetails"}


def test_allowed_values_are_those_of_focus_1_2():
    assert len(SERVICE_CATEGORIES) == 19
    assert COLUMNS["ServiceCategory"].allowed == SERVICE_CATEGORIES
    assert {"AI and Machine Learning", "Multicloud", "Management and Governance", "Other"} <= \
        set(SERVICE_CATEGORIES)
    assert COLUMNS["ChargeCategory"].allowed == ("Usage", "Purchase", "Tax", "Credit", "Adjustment")
    assert COLUMNS["ChargeFrequency"].allowed == ("One-Time", "Recurring", "Usage-Based")
    assert COLUMNS["CommitmentDiscountStatus"].allowed == ("Used", "Unused")
    assert COLUMNS["PricingCategory"].allowed == ("Standard", "Dynamic", "Committed", "Other")
    assert "Other (Other)" in COLUMNS["ServiceSubcategory"].allowed


@pytest.mark.parametrize("raw, expected", [
    ("BilledCost", "BilledCost"),
    ("\ufeffBilledCost", "BilledCost"),  # Azure's byte-order mark
    ("  billedcost ", "BilledCost"),
    ("SkuPriceid", "SkuPriceId"),  # as written in the FOCUS spec examples
    ("ServiceProviderName", "ProviderName"),  # FOCUS 1.3
    ("serviceprovidername", "ProviderName"),
    ("AmortizedCost", "EffectiveCost"),  # FOCUS 0.5
    ("UsageQuantity", "ConsumedQuantity"),  # FOCUS 1.0-preview
    ("Region", "RegionId"),
    ("x_CommitmentDiscountUnitPrice", "x_CommitmentDiscountUnitPrice"),
    ("Id", None),
    ("HostProviderName", None),  # new in 1.3, no 1.2 counterpart
    ("lineItem/UnblendedCost", None),
])
def test_canonical_name(raw, expected):
    assert canonical_name(raw) == expected


def test_every_fixture_header_is_focus_except_the_sample_id():
    unknown = {h for path in FOCUS.rglob("*.csv") for h in _header(path) if canonical_name(h) is None}
    assert unknown == {"Id"}


def test_aliases_point_at_one_column_each():
    aliases = [a.casefold() for c in COLUMNS.values() for a in c.aliases]
    assert len(aliases) == len(set(aliases))
    assert not set(aliases) & {n.casefold() for n in COLUMNS}
    assert "ServiceProviderName" in COLUMNS["ProviderName"].aliases


def test_version_guess_is_the_oldest_version_with_all_columns_seen():
    assert guess_version(_header(SAMPLE_1000)) == "1.0"
    assert guess_version(["ChargePeriodStart", "BilledCost", "EffectiveCost", "SkuMeter"]) == "1.1"
    assert guess_version(["ChargePeriodStart", "BillingAccountType"]) == "1.2"
    assert guess_version(["ChargePeriodStart", "ServiceProviderName"]) == "1.3"
    assert guess_version(["name", "age"]) is None
