"""An Azure FocusCost export and cost details of the same billing account and period hold the same charges:
loaded together or one after the other, the load says they count twice, naming both files and the period.

The cost-details files are derived here from the FocusCost fixture's own charges (EA layout, US dates), so the
doubled totals are known exactly; the fixtures are never edited."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.focus.loader import load_focus_paths
from analysis.query import Filters, local_queries
from analysis.sources.azure import billing_account_key, cached_double_counts
from analysis.store.cache import FocusCache, Source
from analysis.store.load import deliveries
from tests.conftest import ROOT

AZURE = ROOT / "tests" / "fixtures" / "azure"
FOCUS_COST = AZURE / "focuscost_synthetic.csv"


def _focus_cost() -> pd.DataFrame:
    return pd.read_csv(FOCUS_COST, dtype=str, keep_default_na=False)


def _cost_details(path: Path, *, account: str | None = None, month_shift: int = 0) -> Path:
    """EA cost details (actual cost) holding the FocusCost fixture's charges: same account and days."""
    focus = _focus_cost()
    day = pd.to_datetime(focus["ChargePeriodStart"], format="ISO8601", utc=True) + pd.DateOffset(months=month_shift)
    start = day.dt.tz_localize(None).dt.to_period("M").dt.start_time
    pd.DataFrame({
        "BillingAccountId": account or focus["x_BillingAccountId"], "BillingAccountName": focus["x_BillingAccountName"],
        "BillingPeriodStartDate": start.dt.strftime("%m/%d/%Y"),
        "BillingPeriodEndDate": (start + pd.offsets.MonthEnd(0)).dt.strftime("%m/%d/%Y"),
        "Date": day.dt.strftime("%m/%d/%Y"), "SubscriptionId": focus["SubAccountId"].str.rsplit("/", n=1).str[-1],
        "SubscriptionName": focus["SubAccountName"], "MeterCategory": focus["x_SkuMeterCategory"],
        "MeterId": focus["x_SkuMeterId"], "ResourceId": focus["ResourceId"], "ResourceLocation": focus["RegionName"],
        "ChargeType": focus["ChargeCategory"], "Quantity": focus["ConsumedQuantity"],
        "UnitOfMeasure": focus["ConsumedUnit"], "CostInBillingCurrency": focus["BilledCost"],
        "BillingCurrencyCode": focus["BillingCurrency"],
    }).to_csv(path, index=False)
    return path


def _billed() -> float:
    """Independent: the FocusCost fixture's BilledCost summed by pandas."""
    return float(pd.to_numeric(_focus_cost()["BilledCost"]).sum())


def _warnings(items) -> list[str]:
    return [f.message for item in items for f in item.findings if f.severity == "warning" and "twice" in f.message]


def test_one_load_with_both_kinds_warns_on_both_files(tmp_path):
    details = _cost_details(tmp_path / "costdetails_actual_2024-03.csv")
    loaded = load_focus_paths([FOCUS_COST, details])
    for item in loaded:
        (warning,) = [f for f in item.findings if "twice" in f.message]
        assert warning.severity == "warning" and warning.file == item.path.name
        assert "focuscost_synthetic.csv" in warning.message and "costdetails_actual_2024-03.csv" in warning.message
        assert "billing account 10000000, 2024-03" in warning.message and "load one or the other" in warning.message
    cache = FocusCache(tmp_path / "cache")
    result = cache.load(deliveries(loaded))
    # loaded as asked, so the totals are doubled, and the sources carry the warning the Data page shows
    assert local_queries(cache).total(Filters(), "BilledCost") == pytest.approx(2 * _billed(), abs=0.005)
    assert all(any("twice" in f for f in s.findings) for s in result.sources)


def test_cost_details_cached_then_focus_cost_is_not_replaced_and_says_so(tmp_path):
    cache = FocusCache(tmp_path / "cache")
    cache.load(deliveries(load_focus_paths([_cost_details(tmp_path / "costdetails_actual_2024-03.csv")])))
    result = cache.load(deliveries(load_focus_paths([FOCUS_COST])))
    # what actually happens: the two keys differ (a resource path against the bare id), so nothing is replaced
    assert result.replaced == [] and len(cache.sources()) == 2
    assert local_queries(cache).total(Filters(), "BilledCost") == pytest.approx(2 * _billed(), abs=0.005)
    (warning,) = [m for m in result.messages() if "twice" in m]
    assert warning.startswith("warning: focuscost_synthetic.csv (an Azure FocusCost export) holds billing account "
                              "10000000, 2024-03, which the cache already holds from 'costdetails_actual_2024-03.csv' "
                              "(Azure cost details)")


def test_focus_cost_cached_then_cost_details_says_so_too_even_keeping_both(tmp_path):
    cache = FocusCache(tmp_path / "cache")
    cache.load(deliveries(load_focus_paths([FOCUS_COST])))
    details = _cost_details(tmp_path / "ea_actual_march.csv")
    result = cache.load(deliveries(load_focus_paths([details])), keep_both=True, dry_run=True)
    (warning,) = [m for m in result.messages() if "twice" in m]
    assert "ea_actual_march.csv (Azure cost details)" in warning and "'focuscost_synthetic.csv'" in warning


def test_the_command_prints_the_warning_before_the_summary(tmp_path):
    details = _cost_details(tmp_path / "costdetails_actual_2024-03.csv")

    def load(path: Path) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "analysis", "--cache", str(tmp_path / "cache"), "load", str(path)],
                              capture_output=True, text=True, cwd=ROOT, check=False)

    assert load(details).returncode == 0
    done = load(FOCUS_COST)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert any(line.startswith("warning: focuscost_synthetic.csv (an Azure FocusCost export)") and "twice" in line
               for line in lines)
    assert json.loads(lines[-1])["rows"] == len(_focus_cost())


@pytest.mark.parametrize("variant", ["other account", "other month"])
def test_no_warning_for_another_account_or_period(tmp_path, variant):
    details = _cost_details(tmp_path / "costdetails_actual.csv", **(
        {"account": "99999999"} if variant == "other account" else {"month_shift": -1}))
    loaded = load_focus_paths([FOCUS_COST, details])
    assert _warnings(loaded) == []
    cache = FocusCache(tmp_path / "cache")
    cache.load(deliveries([loaded[1]]))
    assert [m for m in cache.load(deliveries([loaded[0]])).messages() if "twice" in m] == []


def test_actual_and_amortized_of_one_period_are_combined_not_warned(tmp_path):
    loaded = load_focus_paths([AZURE / "ea_actual_small.csv", AZURE / "ea_amortized_small.csv"])
    assert _warnings(loaded) == []
    cache = FocusCache(tmp_path / "cache")
    assert [m for m in cache.load(deliveries(loaded)).messages() if "twice" in m] == []


def test_billing_account_spellings_of_both_kinds_meet():
    assert billing_account_key("/providers/Microsoft.Billing/billingAccounts/8611537") == "8611537"
    mca = "/providers/Microsoft.Billing/billingAccounts/aaaa-bbbb:cccc_2019-05-31/billingProfiles/XYZ1-ABCD"
    assert billing_account_key(mca) == billing_account_key("aaaa-bbbb:cccc_2019-05-31")
    focus = Source("f", "focus.csv", "cli", [], "", "", {}, [],
                   [{"provider": "Microsoft", "billing_account": mca, "billing_period": "2025-01-01T00:00:00Z"}])
    details = Source("d", "details.csv", "cli", [], "", "", {}, [],
                     [{"provider": "Microsoft", "billing_account": "AAAA-BBBB:cccc_2019-05-31",
                       "billing_period": "2025-01-01T00:00:00Z"}])
    aws = Source("a", "cur.csv", "cli", [], "", "", {}, [],
                 [{"provider": "AWS", "billing_account": "8611537", "billing_period": "2025-01-01T00:00:00Z"}])
    (warning,) = cached_double_counts([focus], [details, aws])
    assert "billing account aaaa-bbbb:cccc_2019-05-31, 2025-01" in warning
    assert cached_double_counts([focus], [focus]) == [] and cached_double_counts([details], [aws]) == []
