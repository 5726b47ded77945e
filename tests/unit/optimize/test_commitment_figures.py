"""Commitment utilization, unused cost, coverage and savings against an independent pandas computation on the
sample and on the FOCUS specification's commitment examples, and the None-plus-note answers where a figure
cannot be computed."""

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.focus.loader import load_focus_paths
from analysis.optimize.commitments import (
    commitment_view,
    coverage,
    month_filters,
    savings,
    trend,
    unused_by_month,
    utilization,
)
from analysis.query import Filters, local_queries
from analysis.store.cache import FocusCache
from tests.fixture_paths import SPEC_EXAMPLES

MONTH = "2026-10"  # the sample's last complete month
NEEDED = ["CommitmentDiscountId", "CommitmentDiscountStatus", "CommitmentDiscountQuantity", "CommitmentDiscountType",
          "ChargeCategory", "PricingCategory", "ServiceCategory", "ProviderName", "ListCost", "ContractedCost",
          "EffectiveCost"]
EXAMPLES = sorted(SPEC_EXAMPLES.glob("commitment_discount_*/*.csv"))


def charged_in(frame: pd.DataFrame, start: dt.date | None = None, end: dt.date | None = None) -> pd.DataFrame:
    """The rows charged in [start, end), with every column the figures read (NaN where the file lacks it)."""
    out = frame.reindex(columns=list(dict.fromkeys([*frame.columns, *NEEDED])))
    day = out["ChargePeriodStart"].dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize()
    keep = pd.Series(True, index=out.index)
    if start:
        keep &= (day >= pd.Timestamp(start)) & (day < pd.Timestamp(end))
    return out[keep].assign(month=day[keep].dt.strftime("%Y-%m"))


def _commitment_rows(f: pd.DataFrame) -> pd.DataFrame:
    return f[f["CommitmentDiscountId"].notna() & f["CommitmentDiscountStatus"].isin(["Used", "Unused"])]


def expected_utilization(f: pd.DataFrame) -> dict[str, tuple[str, float]]:
    out = {}
    for cid, g in _commitment_rows(f).groupby("CommitmentDiscountId"):
        used, quantity = g["CommitmentDiscountStatus"] == "Used", g["CommitmentDiscountQuantity"]
        if quantity.notna().all() and quantity.sum() > 0:
            out[cid] = ("quantity", quantity[used].sum() / quantity.sum())
        else:
            out[cid] = ("cost", g["EffectiveCost"][used].sum() / g["EffectiveCost"].sum())
    return out


def expected_coverage(f: pd.DataFrame, categories: tuple[str, ...] = ("Compute", "Databases")
                      ) -> tuple[str, float | None]:
    usage = f["ChargeCategory"] == "Usage"
    covered = f[usage & f["CommitmentDiscountId"].notna() & (f["CommitmentDiscountStatus"] == "Used")
                & (f["ServiceCategory"].isin(categories) | f["ServiceCategory"].isna())]
    on_demand = f[usage & (f["PricingCategory"] == "Standard") & f["CommitmentDiscountId"].isna()
                  & f["ServiceCategory"].isin(categories)]
    metric = "ListCost" if pd.concat([covered, on_demand])["ListCost"].notna().all() else "EffectiveCost"
    whole = covered[metric].sum() + on_demand[metric].sum()
    return metric, (covered[metric].sum() / whole if whole else None)


def expected_savings(f: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    f = f[~((f["ChargeCategory"] == "Purchase") & f["CommitmentDiscountId"].notna())]
    f = f.assign(**{d: f[d].fillna("(none)") for d in by})
    rows = []
    for key, g in f.groupby(["month", *by]):
        lst, con, eff = (g[c].sum() for c in ("ListCost", "ContractedCost", "EffectiveCost"))
        has_list, has_con = g["ListCost"].notna().all(), g["ContractedCost"].notna().all()
        rows.append({"key": key, "negotiated": lst - con if has_list and has_con else None,
                     "commitment": con - eff if has_con else None, "total": lst - eff if has_list else None,
                     "rate": (lst - eff) / lst if has_list and lst else None})
    return pd.DataFrame(rows)


def assert_close(actual: object, expected: float | None) -> None:
    if expected is None or (isinstance(expected, float) and math.isnan(expected)):
        assert actual is None or pd.isna(actual)
    else:
        assert actual == pytest.approx(expected, rel=1e-9, abs=1e-6)


def assert_figures(q, filters: Filters, f: pd.DataFrame) -> None:
    """Every figure of `commitment_view` equals the pandas computation on the same rows `f`."""
    view = commitment_view(q, filters)
    expected = expected_utilization(f)
    got = view.commitments.set_index("CommitmentDiscountId")
    assert set(got.index) == set(expected)
    for cid, (basis, value) in expected.items():
        assert got.loc[cid, "basis"] == basis
        assert_close(got.loc[cid, "utilization"], value)
    rows = _commitment_rows(f)
    used = rows.loc[rows["CommitmentDiscountStatus"] == "Used", "EffectiveCost"].sum()
    assert_close(view.utilization.value, used / rows["EffectiveCost"].sum() if len(rows) else None)
    waste = rows[rows["CommitmentDiscountStatus"] == "Unused"].groupby(["month", "CommitmentDiscountId"])
    waste = waste["EffectiveCost"].sum().reindex(
        rows.groupby(["month", "CommitmentDiscountId"]).size().index, fill_value=0.0)
    unused = view.unused.set_index(["month", "CommitmentDiscountId"])["unused_cost"]
    assert set(unused.index) == set(waste.index)
    for key, value in waste.items():
        assert_close(unused[key], value)
    assert_close(view.unused_cost.value, waste.sum() if len(rows) else None)
    basis, share = expected_coverage(f)
    assert view.coverage.basis == basis
    assert_close(view.coverage.share.value, share)
    for by in ([], ["ProviderName"]):
        got = savings(q, filters, tuple(by))
        want = expected_savings(f, by)
        assert len(got) == len(want)
        for g, w in zip(got.itertuples(), want.itertuples(), strict=True):
            assert (g.month, *(getattr(g, d) for d in by)) == w.key
            for column, name in (("negotiated_savings", "negotiated"), ("commitment_savings", "commitment"),
                                 ("total_savings", "total"), ("savings_rate", "rate")):
                assert_close(getattr(g, column), getattr(w, name))
    whole = expected_savings(f.assign(month="all"), [])
    assert_close(view.savings_rate.value, whole["rate"].iloc[0] if len(whole) else None)


# ----- the sample ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def q(sample_cache):
    return local_queries(sample_cache)


def test_the_sample_month_matches_pandas(q, sample_frame):
    filters = month_filters(MONTH, "USD")
    assert_figures(q, filters, charged_in(sample_frame, filters.start, filters.end))


def test_a_scope_and_several_months_match_pandas(q, sample_frame):
    filters = Filters.of(dt.date(2026, 5, 1), dt.date(2026, 11, 1), "USD", ProviderName=["AWS"])
    f = charged_in(sample_frame, filters.start, filters.end)
    assert_figures(q, filters, f[f["ProviderName"] == "AWS"])
    assert unused_by_month(q, filters)["month"].nunique() == 6


def test_the_sample_figures_are_what_a_reader_would_expect(q):
    view = commitment_view(q, month_filters(MONTH, "USD"))
    c = view.commitments
    assert len(c) == 4 and set(c["basis"]) == {"quantity"} and set(c["unit"]) == {"USD", "Hours"}
    # every commitment of the sample has one price per unit, so its quantity and cost bases agree
    assert np.allclose(c["utilization"], c["used_cost"] / (c["used_cost"] + c["unused_cost"]), atol=1e-9)
    low, *rest = sorted(c["utilization"])
    assert low < 0.8 and min(rest) > 0.85  # one savings plan left partly idle by a decommissioned fleet
    assert view.coverage.basis == "ListCost" and 0 < view.coverage.share.value < 1
    assert 0 < view.savings_rate.value < 0.2 and view.notes == []


def test_the_monthly_trend_matches_pandas_month_by_month(q, sample_frame):
    filters = Filters.of(dt.date(2026, 6, 1), dt.date(2026, 11, 1), "USD")
    f = charged_in(sample_frame, filters.start, filters.end)
    got = trend(q, filters).set_index("month")
    assert list(got.index) == ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]
    for month, rows in f.groupby("month"):
        c = _commitment_rows(rows)
        used = c.loc[c["CommitmentDiscountStatus"] == "Used", "EffectiveCost"].sum()
        unused = c.loc[c["CommitmentDiscountStatus"] == "Unused", "EffectiveCost"].sum()
        charges = rows[~((rows["ChargeCategory"] == "Purchase") & rows["CommitmentDiscountId"].notna())]
        assert_close(got.loc[month, "utilization"], used / (used + unused))
        assert_close(got.loc[month, "unused_cost"], unused)
        assert_close(got.loc[month, "coverage"], expected_coverage(rows)[1])
        assert_close(got.loc[month, "savings_rate"], 1 - charges["EffectiveCost"].sum() / charges["ListCost"].sum())


def test_the_eligible_scope_can_be_narrowed_or_widened(q, sample_frame):
    filters = month_filters(MONTH, "USD")
    f = charged_in(sample_frame, filters.start, filters.end)
    for categories in (("Compute",), ("Compute", "Databases", "Analytics")):
        got = coverage(q, filters, categories)
        assert got.basis == "ListCost"
        assert_close(got.share.value, expected_coverage(f, categories)[1])
        assert_close(trend(q, filters, categories)["coverage"].iloc[0], expected_coverage(f, categories)[1])
    nothing = coverage(q, filters, ())
    assert nothing.share.value is None and "no category" in nothing.share.note


def test_a_scope_without_commitments_says_so_instead_of_zero(q):
    view = commitment_view(q, month_filters(MONTH, "USD").with_values("ServiceCategory", ["Storage"]))
    assert view.commitments.empty and view.unused.empty
    assert view.utilization.value is None and "no commitment discount rows" in view.utilization.note
    assert view.unused_cost.value is None
    assert view.coverage.share.value is None and "no commitment-eligible usage" in view.coverage.share.note
    assert view.savings_rate.value is not None  # storage still has list prices
    assert [n.split(":")[0] for n in view.notes] == ["utilization", "unused cost", "coverage"]


# ----- the FOCUS specification's commitment examples ----------------------------------------------------------
def _example(tmp_path: Path, path: Path) -> tuple:
    loaded = load_focus_paths([path])
    cache = FocusCache(tmp_path)
    cache.add_source((frame for item in loaded for frame in item.frames()), path.name)
    return local_queries(cache), pd.concat([item.frame for item in loaded], ignore_index=True)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_each_focus_commitment_example_matches_pandas(tmp_path, path):
    q, frame = _example(tmp_path, path)
    assert_figures(q, Filters(), charged_in(frame))


@pytest.mark.parametrize(("name", "basis", "share"), [
    ("one_hundred_percent_utilization_with_commitment_discount_flexibility_with_1_resource", "quantity", 1.0),
    ("zero_percent_utilization_without_commitment_discount_flexibility", "quantity", 0.0),
    ("commitment_discount_usage_scenario_3", "quantity", 0.75),
])
def test_the_examples_give_the_utilization_the_specification_names(tmp_path, name, basis, share):
    (path,) = [p for p in EXAMPLES if p.stem == name]
    frame, total = utilization(_example(tmp_path, path)[0], Filters())
    assert frame["basis"].tolist() == [basis] and frame["utilization"].tolist() == [pytest.approx(share)]
    assert total.value == pytest.approx(share)  # one commitment: cost-based agrees


def test_a_bill_without_list_prices_has_no_savings_rate_and_says_why(tmp_path):
    (path,) = [p for p in EXAMPLES if p.stem == "commitment_discount_usage_scenario_4"]
    q = _example(tmp_path, path)[0]
    view = commitment_view(q, Filters())
    assert view.savings_rate.value is None and "ListCost is empty on 2 of 2 rows" in view.savings_rate.note
    row = savings(q, Filters()).iloc[0]
    assert pd.isna(row["total_savings"]) and pd.isna(row["negotiated_savings"]) and pd.isna(row["commitment_savings"])
    assert "ContractedCost is empty" in row["note"]
    assert view.coverage.basis == "EffectiveCost"  # no list prices: measured in effective cost
    assert any(n.startswith("effective savings rate: ListCost is empty") for n in view.notes)


def test_coverage_outside_the_eligible_categories_is_none(tmp_path):
    (path,) = [p for p in EXAMPLES if p.stem == "zero_percent_utilization_without_commitment_discount_flexibility"]
    cover = coverage(_example(tmp_path, path)[0], Filters())  # no row is Used, no category is given
    assert cover.share.value is None and "Compute or Databases" in cover.share.note
