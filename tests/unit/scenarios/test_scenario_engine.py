"""Scenarios on the sample (data through 15 Nov 2026): the baseline by calendar month (November's actual to
date, to the cent against pandas, plus the forecast of the rest), and each lever's change worked out in the
test from the scope's own projection (`project_months` of the scope's daily cost) or from pandas."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analysis.forecast import fitted
from analysis.forecast.forecaster import project_months
from analysis.forecast.report import scope_daily
from analysis.query import local_queries
from analysis.scenarios.engine import months_from, run
from analysis.scenarios.model import ScenarioError, validate_scenario

LAST_DAY = dt.date(2026, 11, 15)
MONTHS = 6  # 2026-11 .. 2027-04
LABELS = ["2026-11", "2026-12", "2027-01", "2027-02", "2027-03", "2027-04"]
COMPUTE = (("ServiceCategory", ("Compute",)),)
AWS = (("ProviderName", ("AWS",)),)
# What a commitment on Compute can cover: its on-demand usage.
COMPUTE_ELIGIBLE = (("ChargeCategory", ("Usage",)), ("PricingCategory", ("Standard",)),
                    ("ServiceCategory", ("Compute",)))


@pytest.fixture(scope="module")
def q(sample_cache):
    q = local_queries(sample_cache)
    assert q.period() == (dt.date(2025, 6, 1), LAST_DAY)
    return q


def _scenario(*levers: dict, months: int = MONTHS, name: str = "Test"):
    return validate_scenario({"name": name, "months": months, "levers": list(levers)})


def _run(q, *levers: dict, months: int = MONTHS, last_day: dt.date = LAST_DAY):
    return run(q, _scenario(*levers, months=months), last_day)


def _projection(q, scope, months: int = MONTHS) -> pd.DataFrame:
    """The scope's own months, as the Forecast page would project them."""
    return project_months(fitted(scope_daily(q, scope, "EffectiveCost", LAST_DAY)), months)


def _rest(q, scope) -> np.ndarray:
    """The scope's forecast cost still to come, month by month (the first month's actual to date left out)."""
    rows = _projection(q, scope)
    return (rows["forecast"] - rows["actual"]).to_numpy()


def _days(frame: pd.DataFrame) -> pd.Series:
    return frame["ChargePeriodStart"].dt.tz_localize(None).dt.normalize()


@pytest.fixture(scope="module")
def baseline(q):
    return _run(q)


@pytest.fixture(scope="module")
def compute_rest(q):
    rest = _rest(q, COMPUTE)
    assert (rest > 0).all()
    return rest


def _delta(result, baseline) -> np.ndarray:
    return result.total[0] - baseline.baseline[0]


# ----- months and the baseline ---------------------------------------------------------------
def test_months_start_with_the_month_holding_the_last_day_and_its_share_still_to_come():
    labels, share = months_from(LAST_DAY, MONTHS)
    assert labels == LABELS
    assert share.tolist() == [0.5, 1, 1, 1, 1, 1]  # 15 of November's 30 days are still to come
    labels, share = months_from(dt.date(2027, 2, 28), 2)
    assert labels == ["2027-02", "2027-03"] and share.tolist() == [0, 1]  # February is over
    labels, share = months_from(dt.date(2028, 2, 10), 13)
    assert labels[0] == "2028-02" and labels[-1] == "2029-02" and share[0] == pytest.approx(19 / 29)


def test_a_scenario_without_levers_is_the_baseline(baseline):
    assert baseline.months == LABELS and baseline.share.tolist() == [0.5, 1, 1, 1, 1, 1]
    np.testing.assert_array_equal(baseline.total, baseline.baseline)
    assert baseline.warnings == [] and baseline.effects == [] and baseline.effect_table().empty
    assert (baseline.table()["delta"] == 0).all()


def test_the_first_month_is_the_actual_to_date_plus_the_forecast_of_the_rest(q, baseline, sample_frame):
    days = _days(sample_frame)
    november = float(sample_frame.loc[(days >= "2026-11-01") & (days <= "2026-11-15"), "EffectiveCost"].sum())
    october = float(sample_frame.loc[(days >= "2026-10-01") & (days <= "2026-10-31"), "EffectiveCost"].sum())
    rows = _projection(q, ())
    assert round(rows["actual"].iloc[0], 2) == round(november, 2) and november > 600_000
    assert (rows["actual"].iloc[1:] == 0).all()
    np.testing.assert_allclose(baseline.baseline, rows[["forecast", "lower", "upper"]].to_numpy().T, rtol=1e-12)
    rest = baseline.baseline[0, 0] - november
    assert 0.75 < rest / november < 1.33  # the 15 days left cost about what the first 15 did
    assert 0.8 < baseline.baseline[0, 1] / october < 1.25  # December near October (a user would notice 2x)


def test_intervals_hold_the_forecast_in_every_month(q, baseline):
    results = [baseline, _run(q, {"kind": "growth", "scope": {"ServiceCategory": "Compute"}, "percent": 50,
                                  "compound": "monthly", "from": "2026-11"}),
               _run(q, {"kind": "remove", "scope": {"ServiceCategory": "Compute"}, "from": "2026-12"},
                    {"kind": "new_spend", "monthly": 50_000, "provider": "AWS", "service": "Amazon S3",
                     "from": "2027-01"})]
    for result in results:
        for rows in (result.baseline, result.total):
            assert (rows[1] <= rows[0]).all() and (rows[0] <= rows[2]).all()
            assert (rows[1] < rows[2]).all()  # a forecast month is never certain
    table = results[2].table()
    assert (table["scenario_lower"] <= table["scenario"]).all() and (table["scenario"] <= table["scenario_upper"]).all()


def test_as_json_gives_the_months_and_totals_to_the_cent(q, baseline, compute_rest):
    result = _run(q, {"kind": "growth", "scope": {"ServiceCategory": "Compute"}, "percent": 10, "from": "2026-12"})
    out = result.as_json()
    assert list(out) == ["name", "months", "baseline", "scenario", "baseline_total", "scenario_total", "delta_total"]
    assert out["name"] == "Test" and out["months"] == LABELS
    assert out["baseline"] == [round(v, 2) for v in baseline.baseline[0]]
    assert out["scenario"] == [round(v, 2) for v in result.total[0]]
    assert out["baseline_total"] == round(baseline.baseline[0].sum(), 2)
    assert abs(out["delta_total"] - (out["scenario_total"] - out["baseline_total"])) <= 0.011
    assert out["delta_total"] == pytest.approx(0.1 * compute_rest[1:].sum(), abs=0.01)


# ----- each lever ----------------------------------------------------------------------------
def test_growth_changes_the_total_by_its_percent_of_the_scopes_own_projection(q, baseline, compute_rest):
    result = _run(q, {"kind": "growth", "scope": {"ServiceCategory": "Compute"}, "percent": 10, "from": "2026-12"})
    delta = _delta(result, baseline)
    assert delta[0] == 0  # the first month (its actual and the rest of it) is untouched
    np.testing.assert_allclose(delta[1:], 0.1 * compute_rest[1:], rtol=1e-9)
    assert delta.sum() > 150_000  # 10% of ~400,000 of compute a month, for five months
    (label, scope, what, change), = result.effects
    assert (label, scope, what) == ("lever 1 (growth)", "Service category: Compute", "+10%")
    assert change.sum() == pytest.approx(0.1 * compute_rest[1:].sum(), rel=1e-9)
    assert result.warnings == []


def test_compounding_growth_multiplies_month_after_month(q, baseline, compute_rest):
    result = _run(q, {"kind": "growth", "scope": {"ServiceCategory": "Compute"}, "percent": 10,
                      "compound": "monthly", "from": "2027-01"})
    factors = np.array([0, 0, 0.1, 0.21, 0.331, 0.4641])
    np.testing.assert_allclose(_delta(result, baseline), factors * compute_rest, rtol=1e-9, atol=1e-6)


def test_a_removal_leaves_the_months_before_it_as_they_were(q, baseline, compute_rest):
    result = _run(q, {"kind": "remove", "scope": {"ServiceCategory": "Compute"}, "from": "2027-01"})
    np.testing.assert_array_equal(result.total[:, :2], baseline.baseline[:, :2])
    np.testing.assert_allclose(result.total[0, 2:], baseline.baseline[0, 2:] - compute_rest[2:], rtol=1e-12)


def test_a_price_change_acts_on_the_usage_of_its_scope(q, baseline):
    usage = _rest(q, (("ChargeCategory", ("Usage",)), ("ServiceCategory", ("Compute",))))
    result = _run(q, {"kind": "price_change", "scope": {"ServiceCategory": "Compute"}, "percent": -8,
                      "from": "2027-02"})
    np.testing.assert_allclose(_delta(result, baseline), [0, 0, 0, *(-0.08 * usage[3:])], rtol=1e-9, atol=1e-6)


def test_new_spend_adds_its_amount_a_month_and_half_in_a_half_month(q, baseline):
    result = _run(q, {"kind": "new_spend", "monthly": 12_000, "provider": "AWS", "service": "Amazon S3",
                      "from": "2026-11"})
    np.testing.assert_allclose(_delta(result, baseline), [6_000, *[12_000] * 5], rtol=1e-12)
    assert result.effect_table().to_dict("records") == [
        {"lever": "lever 1 (new_spend)", "scope": "Whole bill", "what": "12,000 a month under AWS · Amazon S3",
         "change": pytest.approx(66_000)}]


def test_a_migration_at_the_same_price_changes_nothing_and_a_cheaper_one_saves_the_difference(q, baseline,
                                                                                                compute_rest):
    same = _run(q, {"kind": "migrate", "scope": {"ServiceCategory": "Compute"}, "percent": 100,
                    "to_provider": "Google Cloud", "from": "2026-11"})
    assert abs(_delta(same, baseline)).max() < 1e-6
    assert abs(same.effects[0][3]).max() < 1e-6
    cheaper = _run(q, {"kind": "migrate", "scope": {"ServiceCategory": "Compute"}, "percent": 50,
                       "to_provider": "Google Cloud", "price_ratio": 0.8, "from": "2027-03"})
    # Half the compute moves at 0.8x the price: the total falls by 10% of the compute from March.
    np.testing.assert_allclose(_delta(cheaper, baseline), [0, 0, 0, 0, *(-0.1 * compute_rest[4:])], rtol=1e-9,
                               atol=1e-6)


def test_a_commitment_covers_eligible_cost_and_charges_its_fee_for_its_term(q, baseline):
    eligible = _rest(q, COMPUTE_ELIGIBLE)
    result = _run(q, {"kind": "commitment", "scope": {"ServiceCategory": "Compute"}, "percent": 70, "discount": 28,
                      "term_months": 3, "from": "2026-12"})
    size = 0.7 * eligible[1]  # 70% of December's eligible cost, committed for December to February
    assert size > 100_000
    covered = np.array([0, *[-min(size, e) for e in eligible[1:4]], 0, 0])
    fee = np.array([0, size * 0.72, size * 0.72, size * 0.72, 0, 0])
    np.testing.assert_allclose(_delta(result, baseline), covered + fee, rtol=1e-9, atol=1e-6)
    assert _delta(result, baseline)[1] == pytest.approx(-0.28 * size)  # December saves 28% of what it covers


# ----- levers together -----------------------------------------------------------------------
def test_levers_on_disjoint_scopes_add_up(q, baseline):
    storage = {"kind": "growth", "scope": {"ServiceCategory": "Storage"}, "percent": 20, "from": "2026-12"}
    networking = {"kind": "remove", "scope": {"ServiceCategory": "Networking"}, "from": "2027-02"}
    alone = _delta(_run(q, storage), baseline), _delta(_run(q, networking), baseline)
    both = _delta(_run(q, storage, networking), baseline)
    assert alone[0].sum() > 10_000 and alone[1].sum() < -100_000
    np.testing.assert_allclose(both, alone[0] + alone[1], rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(_delta(_run(q, networking, storage), baseline), both, rtol=1e-9, atol=1e-6)


def test_growth_then_removal_removes_the_grown_cost_too(q, baseline, compute_rest):
    result = _run(q, {"kind": "growth", "scope": {"ServiceCategory": "Compute"}, "percent": 50, "from": "2026-12"},
                  {"kind": "remove", "scope": {"ServiceCategory": "Compute"}, "from": "2026-12"})
    np.testing.assert_allclose(_delta(result, baseline), [0, *(-compute_rest[1:])], rtol=1e-9, atol=1e-6)
    grown, removed = (effect[3] for effect in result.effects)
    np.testing.assert_allclose(removed, -1.5 * np.array([0, *compute_rest[1:]]), rtol=1e-9, atol=1e-6)
    assert grown.sum() == pytest.approx(0.5 * compute_rest[1:].sum())


def test_a_commitments_fee_is_owed_after_its_scope_is_removed(q, baseline, compute_rest):
    eligible = _rest(q, COMPUTE_ELIGIBLE)
    result = _run(q, {"kind": "commitment", "scope": {"ServiceCategory": "Compute"}, "percent": 70, "discount": 28,
                      "term_months": 3, "from": "2026-12"},
                  {"kind": "remove", "scope": {"ServiceCategory": "Compute"}, "from": "2026-12"})
    fee = 0.7 * eligible[1] * 0.72
    np.testing.assert_allclose(_delta(result, baseline), [0, *(np.array([fee, fee, fee, 0, 0]) - compute_rest[1:])],
                               rtol=1e-9, atol=1e-6)


def test_new_spend_placed_earlier_is_grown_by_a_later_lever_on_its_provider(q, baseline):
    aws = _rest(q, AWS)
    spend = {"kind": "new_spend", "monthly": 12_000, "provider": "AWS", "service": "Amazon S3", "from": "2026-12"}
    growth = {"kind": "growth", "scope": {"ProviderName": "AWS"}, "percent": 10, "from": "2026-12"}
    np.testing.assert_allclose(_delta(_run(q, spend, growth), baseline)[1:], 12_000 + 0.1 * (aws[1:] + 12_000),
                               rtol=1e-9)
    np.testing.assert_allclose(_delta(_run(q, growth, spend), baseline)[1:], 12_000 + 0.1 * aws[1:], rtol=1e-9)


def test_an_earlier_change_counts_in_an_overlapping_scope_by_its_share_of_the_last_90_days(q, baseline, compute_rest,
                                                                                          sample_frame):
    f, days = sample_frame, _days(sample_frame)
    window = (days >= "2026-08-18") & (days <= "2026-11-15")  # the 90 days through the last day
    compute = window & (f["ServiceCategory"] == "Compute")
    share = f.loc[compute & (f["ProviderName"] == "AWS"), "EffectiveCost"].sum() / f.loc[compute, "EffectiveCost"].sum()
    assert 0.3 < share < 0.9
    aws = _rest(q, AWS)
    result = _run(q, {"kind": "growth", "scope": {"ServiceCategory": "Compute"}, "percent": 10, "from": "2026-12"},
                  {"kind": "growth", "scope": {"ProviderName": "AWS"}, "percent": 10, "from": "2026-12"})
    expected = 0.1 * compute_rest[1:] + 0.1 * (aws[1:] + share * 0.1 * compute_rest[1:])
    np.testing.assert_allclose(_delta(result, baseline)[1:], expected, rtol=1e-9)


# ----- what a user is told -------------------------------------------------------------------
@pytest.mark.parametrize(("lever", "message"), [
    ({"kind": "growth", "scope": {"ServiceCategory": "Compute", "ProviderName": "Nonexistent"}, "percent": 30},
     ("lever 1 (growth): its scope (Provider: Nonexistent · Service category: Compute) has no cost in the data, "
      "so it changes nothing")),
    ({"kind": "price_change", "scope": {"ServiceCategory": "Other"}, "percent": 10},
     ("lever 1 (price_change): its scope (Service category: Other) has no usage cost in the data, so it changes "
      "nothing")),
    ({"kind": "price_change", "scope": {"ChargeCategory": "Tax"}, "percent": 10},
     "lever 1 (price_change): its scope (Charge category: Tax) has no usage cost in the data, so it changes nothing"),
    ({"kind": "commitment", "scope": {"ServiceCategory": "Storage"}, "percent": 50, "discount": 20},
     ("lever 1 (commitment): its scope (Service category: Storage) has no commitment-eligible cost (on-demand "
      "compute and database usage) in the data, so it changes nothing")),
])
def test_a_lever_on_a_scope_without_cost_says_so_and_changes_nothing(q, baseline, lever, message):
    result = _run(q, {**lever, "from": "2026-12"})
    assert result.warnings == [message]
    np.testing.assert_array_equal(result.total, baseline.baseline)
    assert [(label, change.tolist()) for label, _, _, change in result.effects] == [(message[:message.index(":")],
                                                                                     [0.0] * MONTHS)]


def test_a_lever_before_the_first_month_is_refused_naming_scenario_lever_and_field(q):
    with pytest.raises(ScenarioError) as raised:
        _run(q, {"kind": "remove", "scope": {"ServiceCategory": "Compute"}, "from": "2026-12"},
             {"kind": "growth", "scope": {"ServiceCategory": "Storage"}, "percent": 5, "from": "2026-10"})
    assert str(raised.value) == ("scenario 'Test', lever 2 (growth), field from: 2026-10 is before the first month, "
                                 "2026-11 (the month holding the data's last day, 2026-11-15)")


def test_a_lever_after_the_last_month_shown_is_a_warning(q, baseline, compute_rest):
    result = _run(q, {"kind": "growth", "scope": {"ServiceCategory": "Compute"}, "percent": 5, "from": "2027-05"},
                  {"kind": "remove", "scope": {"ServiceCategory": "Compute"}, "from": "2027-04"})
    assert result.warnings == ["lever 1 (growth) starts in 2027-05, after the last month shown (2027-04)"]
    np.testing.assert_allclose(_delta(result, baseline), [0, 0, 0, 0, 0, -compute_rest[5]], rtol=1e-9, atol=1e-6)
    assert [effect[0] for effect in result.effects] == ["lever 2 (remove)"]


def test_the_months_asked_for_override_the_scenarios(q, baseline):
    scenario = _scenario({"kind": "remove", "scope": {"ServiceCategory": "Compute"}, "from": "2027-04"}, months=12)
    short = run(q, scenario, LAST_DAY, months=3)
    assert short.months == LABELS[:3] and short.total.shape == (3, 3)
    assert short.warnings == ["lever 1 (remove) starts in 2027-04, after the last month shown (2027-01)"]
    np.testing.assert_allclose(short.baseline[0], baseline.baseline[0, :3], rtol=1e-12)


def test_a_scope_whose_cost_began_days_ago_cannot_be_forecast_and_says_so(q):
    # With the data cut at 15 Aug 2026, the one adjustment (8 Aug) is a scope with 8 days of history: too few
    # for a forecast. The lever is reported, not an error from the forecaster.
    result = _run(q, {"kind": "growth", "scope": {"ChargeCategory": "Adjustment"}, "percent": 10, "from": "2026-09"},
                  months=3, last_day=dt.date(2026, 8, 15))
    assert result.months == ["2026-08", "2026-09", "2026-10"]
    (warning,) = result.warnings
    assert warning.startswith("lever 1 (growth): its scope (Charge category: Adjustment) cannot be forecast")
    assert "8 day(s) of spend" in warning
    np.testing.assert_array_equal(result.total, result.baseline)


def test_a_bill_too_short_to_forecast_is_a_scenario_error(q):
    with pytest.raises(ScenarioError, match=r"^scenario 'Test': no baseline forecast for Whole bill: history has 10 "
                                            r"day\(s\) of spend from 2025-06-01; a forecast needs at least 14 days$"):
        _run(q, months=2, last_day=dt.date(2025, 6, 10))


# ----- one part of the bill (a budget's scope) -----------------------------------------------
def test_a_view_of_one_scope_starts_from_that_scopes_projection_and_shows_its_part_of_each_change(q, baseline,
                                                                                                  compute_rest):
    rows = _projection(q, COMPUTE)
    levers = ({"kind": "commitment", "scope": {"ServiceCategory": "Compute"}, "percent": 70, "discount": 28,
               "term_months": 3, "from": "2026-12"},
              {"kind": "growth", "scope": {"ServiceCategory": "Storage"}, "percent": 20, "from": "2026-12"},
              {"kind": "new_spend", "monthly": 12_000, "provider": "AWS", "service": "Amazon S3", "from": "2026-12"})
    whole = _run(q, *levers[:1])
    view = run(q, _scenario(*levers), LAST_DAY, scope=COMPUTE)
    np.testing.assert_allclose(view.baseline, rows[["forecast", "lower", "upper"]].to_numpy().T, rtol=1e-12)
    # All of the commitment (what it covers and its fee) is Compute's; storage and new S3 spend are not.
    np.testing.assert_allclose(view.total[0] - view.baseline[0], _delta(whole, baseline), rtol=1e-9, atol=1e-6)
    assert [round(float(change.sum()), 2) for _, _, _, change in view.effects[1:]] == [0, 0]
    assert view.effects[0][3].sum() == pytest.approx(_delta(whole, baseline).sum(), rel=1e-9)
    aws = run(q, _scenario(levers[2]), LAST_DAY, scope=AWS)
    np.testing.assert_allclose(aws.total[0] - aws.baseline[0], [0, *[12_000] * 5], rtol=1e-9)
    assert compute_rest.sum() < view.baseline[0].sum() < baseline.baseline[0].sum()
