"""Savings opportunities against an independent pandas computation on the sample: every kind's estimate to
1e-6, the resources behind it, the lever it sends to Scenarios, assumptions that change the figures, and what
a bill without commitments, tags, consumption or generations says instead of zeros."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analysis.optimize.opportunities import HOURS, MONTH_DAYS, Assumptions, find_opportunities
from analysis.query import Filters, local_queries
from analysis.store.cache import FocusCache
from tests.conftest import tag_values

END = dt.date(2026, 11, 1)  # the sample's last complete month ends here
ELIGIBLE = ("Compute", "Databases")


def _day(frame: pd.DataFrame) -> pd.Series:
    return frame["ChargePeriodStart"].dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize()


def expected(frame: pd.DataFrame, end: dt.date, a: Assumptions) -> dict[tuple[str, str], float]:
    """(kind, scope) -> monthly savings, computed with pandas alone from the FOCUS rows."""
    days, start = a.lookback_days, pd.Timestamp(end - dt.timedelta(days=a.lookback_days))
    f = frame.assign(day=_day(frame))
    f = f[(f["day"] >= start) & (f["day"] < pd.Timestamp(end))]
    monthly = MONTH_DAYS / days
    out: dict[tuple[str, str], float] = {}
    on_demand = f["CommitmentDiscountId"].isna()
    usage = (f["ChargeCategory"] == "Usage") & f["ResourceId"].notna()

    # idle: the last idle_days, every row measured with zero consumption
    recent = f[usage & (f["day"] >= pd.Timestamp(end - dt.timedelta(days=a.idle_days)))]
    g = recent.groupby("ResourceId").agg(
        cost=("EffectiveCost", "sum"), measured=("ConsumedQuantity", lambda s: s.notna().all()),
        consumed=("ConsumedQuantity", lambda s: s.abs().sum()), days=("day", "nunique"),
        provider=("ProviderName", "first"), account=("SubAccountName", "first"), service=("ServiceName", "first"))
    idle = g[g["measured"] & (g["consumed"] == 0) & (g["cost"] > 0) & (g["days"] == a.idle_days)]
    idle = idle.assign(monthly=idle["cost"] / a.idle_days * MONTH_DAYS)
    for (account, service), rows in idle.groupby(["account", "service"]):
        out["idle", f"ServiceName={service}; SubAccountName={account}"] = rows["monthly"].sum()

    # schedules: non-production hourly compute billed every day, weekends as much as weekdays
    env = tag_values(f, a.environment_tag or "env")  # a tag the bill lacks: no value anywhere
    nonprod = env.notna() & ~env.fillna("").str.lower().isin(a.production_values)
    rows = f[nonprod & usage & on_demand & (f["ServiceCategory"] == "Compute") & f["PricingUnit"].isin(HOURS)]
    rows = rows.assign(env=env[rows.index], weekend=np.where(rows["day"].dt.day_of_week >= 5, rows["EffectiveCost"], 0.0))
    g = rows.groupby("ResourceId").agg(cost=("EffectiveCost", "sum"), weekend=("weekend", "sum"),
                                       days=("day", "nunique"), account=("SubAccountName", "first"),
                                       provider=("ProviderName", "first"), env=("env", "first"))
    weekend_days = int((pd.date_range(start, periods=days).day_of_week >= 5).sum())
    per_weekend, per_weekday = g["weekend"] / weekend_days, (g["cost"] - g["weekend"]) / (days - weekend_days)
    clock = g[(g["days"] == days) & (per_weekend >= a.weekend_ratio * per_weekday) & ~g.index.isin(idle.index)]
    off = 1 - a.scheduled_hours / 168
    for account, rows in clock.groupby("account"):
        values = "|".join(sorted(rows["env"].unique()))
        out["schedule", f"ServiceCategory=Compute; SubAccountName={account}; tag:env={values}"] = (
            rows["cost"].sum() * off * monthly)
    stoppable = pd.concat([idle[["provider", "monthly"]],
                           clock.assign(monthly=clock["cost"] * monthly)[["provider", "monthly"]]])

    # previous generation: on-demand usage the provider marks as not current
    old = f[usage & on_demand & (f["x_current_generation"] == "No") & ~f["ResourceId"].isin(idle.index)]
    for (account, service), rows in old.groupby(["SubAccountName", "ServiceName"]):
        out["previous_generation", f"ServiceName={service}; SubAccountName={account}"] = (
            rows["EffectiveCost"].sum() * a.generation_saving * monthly)

    # commitments: unused ones take eligible on-demand spend first (the most idle first), then new ones
    calendar = pd.date_range(start, periods=days)
    eligible = f[(f["ChargeCategory"] == "Usage") & (f["PricingCategory"] == "Standard")
                 & f["ServiceCategory"].isin(ELIGIBLE) & on_demand]
    pool = eligible.groupby(["ProviderName", "ServiceName", "day"])["EffectiveCost"].sum()
    unused = f[f["CommitmentDiscountStatus"] == "Unused"]
    for cid in unused.groupby("CommitmentDiscountId")["EffectiveCost"].sum().sort_values(ascending=False).index:
        mine = unused[unused["CommitmentDiscountId"] == cid]
        provider, service = mine["ProviderName"].iloc[0], mine["ServiceName"].iloc[0]
        spend_based = mine["CommitmentDiscountCategory"].iloc[0] == "Spend"
        moved = 0.0
        for day, amount in mine.groupby("day")["EffectiveCost"].sum().items():
            keys = [k for k in pool.index if k[0] == provider and k[2] == day and (spend_based or k[1] == service)]
            available = pool[keys].sum()
            take = max(min(amount, available), 0.0)
            if available > 0:
                pool[keys] *= 1 - take / available
            moved += take
        out["unused_commitment", cid] = moved * monthly
    idle_by_day = unused.groupby(["ProviderName", "day"])["EffectiveCost"].sum()
    demand = eligible.groupby(["ProviderName", "day"])["EffectiveCost"].sum()
    for provider in sorted(eligible["ProviderName"].unique()):
        spend = demand[provider].reindex(calendar, fill_value=0.0)
        spend -= idle_by_day.get(provider, pd.Series(dtype=float)).reindex(calendar, fill_value=0.0)
        spend = (spend - stoppable.loc[stoppable["provider"] == provider, "monthly"].sum() / MONTH_DAYS).clip(lower=0)
        level = np.percentile(spend, a.commitment_percentile)
        saving = (np.minimum(spend, level) - level * (1 - a.commitment_discount)).sum()
        if level > 0:
            out["commitment", f"ProviderName={provider}"] = saving * monthly
    return {k: v for k, v in out.items() if v > 0.005}


@pytest.fixture(scope="module")
def q(sample_cache):
    return local_queries(sample_cache)


def _found(found) -> dict[tuple[str, str], float]:
    return {(o.kind, o.scope): o.monthly_savings for o in found.opportunities}


def _assert_matches(found, wanted: dict) -> None:
    got = _found(found)
    assert got.keys() == wanted.keys()
    for key, value in wanted.items():
        assert got[key] == pytest.approx(value, rel=1e-6, abs=1e-6), key


def test_every_kind_on_the_sample_matches_pandas(q, sample_frame):
    found = find_opportunities(q, Filters(currency="USD"), END)
    wanted = expected(sample_frame, END, Assumptions())
    _assert_matches(found, wanted)
    assert {k for k, _ in wanted} == {"unused_commitment", "commitment", "schedule", "idle", "previous_generation"}
    savings = [o.monthly_savings for o in found.opportunities]
    assert savings == sorted(savings, reverse=True) and found.notes == []
    assert found.window == (dt.date(2026, 10, 2), END)


def test_changed_assumptions_change_the_estimates_as_pandas_does(q, sample_frame):
    a = Assumptions(lookback_days=21, commitment_discount=0.35, commitment_percentile=25, scheduled_hours=84,
                    idle_days=5, generation_saving=0.2)
    _assert_matches(find_opportunities(q, Filters(currency="USD"), END, a), expected(sample_frame, END, a))
    before = {o.kind: o for o in find_opportunities(q, Filters(currency="USD"), END).opportunities}
    after = {o.kind: o for o in find_opportunities(q, Filters(currency="USD"), END, a).opportunities}
    assert after["commitment"].lever["discount"] == 35.0 and before["commitment"].lever["discount"] == 20.0


def test_a_scope_gives_only_its_own_opportunities(q, sample_frame):
    found = find_opportunities(q, Filters(currency="USD").with_values("ProviderName", ["Microsoft"]), END)
    wanted = expected(sample_frame[sample_frame["ProviderName"] == "Microsoft"], END, Assumptions())
    _assert_matches(found, wanted)
    assert all("AWS" not in o.behind.to_string() for o in found.opportunities)


def test_each_opportunity_names_what_is_behind_it_and_the_lever_it_would_be(q, sample_frame):
    found = find_opportunities(q, Filters(currency="USD"), END)
    by_kind = {}
    for o in found.opportunities:
        by_kind.setdefault(o.kind, o)
        assert o.method.endswith(".") and len(o.behind) > 0
    schedule = by_kind["schedule"]
    assert schedule.behind["monthly_savings"].sum() == pytest.approx(schedule.monthly_savings, rel=1e-9)
    assert schedule.lever["kind"] == "growth" and schedule.lever["from"] == "2026-11"  # the month after the last day read
    day = _day(sample_frame)
    window = sample_frame[(day >= "2026-10-02") & (day < "2026-11-01")]
    scope = dict(schedule.lever["scope"])
    env = tag_values(window, "env")
    in_scope = (window["ServiceCategory"] == "Compute") & window["SubAccountName"].isin(scope["SubAccountName"]) & \
        env.isin(scope["tag:env"])
    share = schedule.monthly_savings / (window.loc[in_scope, "EffectiveCost"].sum() * MONTH_DAYS / 30)
    assert schedule.lever["percent"] == pytest.approx(-round(share * 100, 1))
    commitment = by_kind["commitment"]
    assert commitment.lever["kind"] == "commitment" and 0 < commitment.lever["percent"] <= 100
    assert "would go unused" in commitment.risk
    assert by_kind["unused_commitment"].lever is None and "goes unused now" in by_kind["unused_commitment"].risk
    assert by_kind["idle"].behind["ResourceId"].notna().all()


def test_an_environment_tag_the_bill_lacks_is_named(q):
    found = find_opportunities(q, Filters(currency="USD"), END, Assumptions(environment_tag="stage-name"))
    assert "schedule" not in {o.kind for o in found.opportunities}
    assert found.notes == ["non-production schedules: the tag 'stage-name' is not in this bill"]


def _cache(tmp_path, frame: pd.DataFrame) -> FocusCache:
    cache = FocusCache(tmp_path)
    cache.add_source([frame], "bill.csv")
    return cache


def test_a_bill_without_commitments_tags_consumption_or_generations_says_so(tmp_path, sample_frame):
    day = _day(sample_frame)
    bare = sample_frame[(day >= "2026-10-01") & (day < "2026-11-01") & sample_frame["CommitmentDiscountId"].isna()
                        & (sample_frame["PricingCategory"] != "Standard")].drop(
        columns=["x_current_generation"]).assign(Tags=None, ConsumedQuantity=np.nan)
    found = find_opportunities(local_queries(_cache(tmp_path, bare)), Filters(currency="USD"), END)
    assert found.opportunities == []
    assert found.notes == [
        "idle resources: no ConsumedQuantity in the window, so usage cannot be told from cost",
        ("non-production schedules: no environment tag (env, environment or stage) in this bill; pick the tag "
        "that names it"),
        "unused commitments: no Unused commitment rows in the window",
        ("new commitments: no commitment-eligible on-demand usage (Usage priced Standard in Compute or Databases) "
        "in the window"),
        ("previous generations: no row in the window says whether its SKU is of a previous generation "
         "(x_current_generation, from a cost report's product/currentGeneration)")]


def test_a_real_cur_month_names_its_unnamed_reservation_by_id_and_says_what_it_lacks(tmp_path):
    from analysis.focus.loader import load_focus_paths
    from tests.fixture_paths import FIXTURES

    [item] = load_focus_paths([FIXTURES / "aws" / "cur_legacy_parquet_2018-10-01.parquet"])
    cache = _cache(tmp_path, item.frame)
    found = find_opportunities(local_queries(cache), Filters(currency="USD"), dt.date(2018, 11, 1),
                               Assumptions(lookback_days=31))
    unused = [o for o in found.opportunities if o.kind == "unused_commitment"]
    assert unused and all(o.title == f"Use the idle part of {o.scope}" for o in unused)  # the CUR has no names
    assert all(o.scope.startswith("arn:aws:ec2:") and o.behind["commitment"].iloc[0] == o.scope for o in unused)
    assert not any(n.startswith("previous generations") for n in found.notes)  # it says Yes
    assert any(n.startswith("idle resources: no usage charged to a resource in the last 7 days") for n in found.notes)
