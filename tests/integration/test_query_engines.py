"""The query layer, the same tests on DuckDB (Parquet cache) and on Snowflake (a real fakesnow server).

Every expected number is computed independently with pandas from the frame that was loaded.
"""

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
import snowflake.connector

from analysis.allocation.queries import allocation, with_rules
from analysis.query import Filters, MixedCurrencyError, local_queries, snowflake_queries
from analysis.store.cache import FocusCache
from analysis.store.snowflake import publish
from tests.servers import fakesnow_server

pytestmark = pytest.mark.integration

START = dt.date(2025, 1, 1)
DAYS = 90
RESOURCES = [
    # provider, account, category, service, region, tags
    ("AWS", "prod-payments", "Compute", "Amazon EC2", "us-east-1", {"team": "payments", "env": "prod"}),
    ("AWS", "prod-payments", "Storage", "Amazon S3", "us-east-1", {"Team": "payments", "env": "production"}),
    ("AWS", "data-platform", "Databases", "Amazon RDS", "eu-west-1", {"team": "data"}),
    ("AWS", "sandbox", "Compute", "Amazon EC2", "us-west-2", None),
    ("Microsoft", "corp-it", "Compute", "Virtual Machines", "westeurope", {"team": "it", "env": "prod"}),
    ("Microsoft", "corp-it", "Networking", "Virtual Network", "westeurope", "{}"),
]


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rows = []
    for day in range(DAYS):
        date = pd.Timestamp(START, tz="UTC") + pd.Timedelta(days=day)
        for i, (provider, account, category, service, region, tags) in enumerate(RESOURCES):
            cost = round(float(rng.uniform(5, 50) * (1 + i)), 4)
            rows.append({
                "ChargePeriodStart": date, "ChargePeriodEnd": date + pd.Timedelta(days=1),
                "ProviderName": provider, "SubAccountId": account + "-id", "SubAccountName": account,
                "ServiceCategory": category, "ServiceName": service, "RegionId": region,
                "ResourceId": f"res-{i}", "ResourceName": f"resource {i}", "ChargeCategory": "Usage",
                "BillingCurrency": "USD", "BilledCost": cost, "EffectiveCost": round(cost * 0.9, 4),
                "ListCost": round(cost * 1.2, 4), "ContractedCost": cost,
                "Tags": tags if isinstance(tags, str) or tags is None else json.dumps(tags),
            })
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return _frame()


@pytest.fixture(scope="module")
def local_cache(tmp_path_factory, data) -> FocusCache:
    cache = FocusCache(tmp_path_factory.mktemp("cache"))
    cache.add_source([data], "engines.csv")
    return cache


@pytest.fixture(scope="module", params=["duckdb", "snowflake"])
def q(request, local_cache):
    if request.param == "duckdb":
        yield local_queries(local_cache)
        return
    with fakesnow_server() as port:
        conn = snowflake.connector.connect(
            user="tester", password="secret", account="fakesnow", host="127.0.0.1", port=port,
            protocol="http", network_timeout=10,
        )
        conn.cursor().execute("CREATE DATABASE IF NOT EXISTS finops")
        conn.cursor().execute("CREATE SCHEMA IF NOT EXISTS finops.public")
        conn.cursor().execute("USE SCHEMA finops.public")
        assert publish(local_cache, conn) == DAYS * len(RESOURCES)
        yield snowflake_queries(conn)
        conn.close()


def _day(frame: pd.DataFrame) -> pd.Series:
    return frame["ChargePeriodStart"].dt.date


def test_total_matches_pandas_to_the_cent(q, data):
    for metric in ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost"):
        assert q.total(Filters(), metric) == pytest.approx(data[metric].sum(), abs=0.005)


def test_date_range_is_start_inclusive_end_exclusive(q, data):
    start, end = dt.date(2025, 2, 1), dt.date(2025, 3, 1)
    expected = data[(_day(data) >= start) & (_day(data) < end)]["EffectiveCost"].sum()
    assert q.total(Filters(start=start, end=end)) == pytest.approx(expected, abs=0.005)


def test_filter_on_dimension_and_missing_tag(q, data):
    aws = data[data["ProviderName"] == "AWS"]["EffectiveCost"].sum()
    assert q.total(Filters.of(ProviderName=["AWS"])) == pytest.approx(aws, abs=0.005)
    untagged_team = data[~data["Tags"].fillna("").str.lower().str.contains('"team"')]["EffectiveCost"].sum()
    assert q.total(Filters.of(tag_team=["(untagged)"])) == pytest.approx(untagged_team, abs=0.005)


def test_tag_keys_match_case_insensitively(q, data):
    payments = data[data["Tags"].fillna("").str.contains('"payments"')]["EffectiveCost"].sum()
    frame = q.breakdown(Filters(), ("tag:team",))
    assert frame.set_index("tag:team").loc["payments", "cost"] == pytest.approx(payments, abs=0.005)
    assert "tag:team" in q.tag_keys() and "tag:env" in q.tag_keys()


def test_monthly_series_by_provider(q, data):
    frame = q.series(Filters(), "BilledCost", "month", ("ProviderName",))
    month = data["ChargePeriodStart"].dt.tz_localize(None).dt.to_period("M").dt.to_timestamp()
    expected = data.groupby([month, "ProviderName"])["BilledCost"].sum()
    got = frame.set_index(["period", "ProviderName"])["cost"]
    assert len(got) == 6
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, abs=0.005)


def test_weekly_grain_starts_on_monday(q, data):
    frame = q.series(Filters(), "EffectiveCost", "week")
    assert (frame["period"].dt.day_of_week == 0).all()
    assert frame["cost"].sum() == pytest.approx(data["EffectiveCost"].sum(), abs=0.01)


def test_group_by_two_dimensions_including_line_level(q, data):
    frame = q.breakdown(Filters.of(ServiceName=["Amazon EC2"]), ("SubAccountName", "ResourceId"))
    expected = data[data["ServiceName"] == "Amazon EC2"].groupby(["SubAccountName", "ResourceId"])["EffectiveCost"].sum()
    assert len(frame) == len(expected)
    assert frame["cost"].iloc[0] == pytest.approx(expected.max(), abs=0.005)


def test_tag_coverage_and_untagged(q, data):
    coverage = q.tag_coverage(Filters()).set_index("key")
    has_any = data["Tags"].notna() & (data["Tags"] != "{}")
    share = data[has_any]["EffectiveCost"].sum() / data["EffectiveCost"].sum()
    assert coverage.loc["(any tag)", "share"] == pytest.approx(share, abs=1e-6)
    untagged = q.untagged(Filters(), ("SubAccountName",)).set_index("SubAccountName")["cost"]
    assert set(untagged.index) == {"sandbox", "corp-it"}


def test_missing_tags_ranks_resources_by_cost(q, data):
    frame = q.missing_tags(Filters(), ["team", "env"])
    # res-2 (team only), res-3 (none), res-5 ({}) lack env; res-1 has env under "env" and team under "Team".
    assert set(frame["ResourceId"]) == {"res-2", "res-3", "res-5"}
    assert frame.set_index("ResourceId").loc["res-3", "missing"] == "team, env"
    assert list(frame["cost"]) == sorted(frame["cost"], reverse=True)


def test_values_and_period(q):
    assert q.values("ProviderName")[:2] in (["AWS", "Microsoft"], ["Microsoft", "AWS"])
    assert q.period() == (START, START + dt.timedelta(days=DAYS - 1))


def test_unknown_metric_is_named(q):
    with pytest.raises(ValueError, match="Unknown cost metric 'Cost'"):
        q.total(Filters(), "Cost")


def test_mixed_currencies_are_never_added(tmp_path, data):
    euro = data.head(10).assign(BillingCurrency="EUR")
    cache = FocusCache(tmp_path)
    cache.add_source([data, euro], "two-currencies.csv")
    q = local_queries(cache)
    with pytest.raises(MixedCurrencyError, match="EUR"):
        q.total(Filters())
    assert q.total(Filters(currency="EUR")) == pytest.approx(euro["EffectiveCost"].sum(), abs=0.005)
    assert q.currencies() == ["USD", "EUR"]


def test_a_required_key_nobody_carries_flags_every_resource(q, data):
    frame = q.missing_tags(Filters(), ["team", "owner"])
    assert len(frame) == data["ResourceId"].nunique()
    assert frame.set_index("ResourceId").loc["res-0", "missing"] == "owner"
    assert frame.set_index("ResourceId").loc["res-3", "missing"] == "team, owner"


def test_allocation_rules_run_in_the_engine(q, data):
    from analysis.allocation.rules import parse_rules

    rules = parse_rules("""
dimensions:
  - name: Team
    rules:
      - {name: Team tag, when: {tag: team, present: true}, owner_from_tag: team}
      - {name: Sandbox, when: {column: SubAccountName, regex: "^sand"}, owner: lab}
shared:
  - {name: Network, dimension: Team, when: {column: ServiceName, prefix: Virtual Net}, split: even}
""")
    long = allocation(q, Filters(), rules, "Team")
    totals = long.groupby("owner")["cost"].sum()
    network = data[data["ServiceName"] == "Virtual Network"]["EffectiveCost"].sum()
    sandbox = data[data["SubAccountName"] == "sandbox"]["EffectiveCost"].sum()
    assert totals.sum() == pytest.approx(data["EffectiveCost"].sum(), abs=0.01)
    # Shared network is split evenly among the four owners with direct cost: payments, data, lab, it.
    assert totals["lab"] == pytest.approx(sandbox + network / 4, abs=0.01)
    assert "Unallocated" not in totals


def test_group_and_filter_by_an_allocation_dimension(q, data):
    from analysis.allocation.rules import parse_rules

    rules = parse_rules("dimensions: [{name: Team, rules: [{name: Tag, when: {tag: team, present: true}, "
                        "owner_from_tag: team}]}]")
    ruled = with_rules(q, rules)
    frame = ruled.breakdown(Filters(), ("alloc:Team",)).set_index("alloc:Team")["cost"]
    assert frame.sum() == pytest.approx(data["EffectiveCost"].sum(), abs=0.01)
    untagged = data[~data["Tags"].fillna("").str.lower().str.contains('"team"')]["EffectiveCost"].sum()
    assert frame["Unallocated"] == pytest.approx(untagged, abs=0.01)
    assert ruled.total(Filters.of(**{"alloc:Team": ["payments"]})) == pytest.approx(frame["payments"], abs=0.01)


def test_forecast_history_and_view_are_the_same_on_both_engines(q, data):
    from analysis.forecast.report import daily_history, forecast_view

    wide = daily_history(q, Filters(), "EffectiveCost", "ProviderName")
    days = data["ChargePeriodStart"].dt.tz_localize(None).dt.normalize()
    expected = data.groupby([days, "ProviderName"])["EffectiveCost"].sum().unstack()
    assert len(wide) == DAYS and wide.index[0] == pd.Timestamp(START)
    np.testing.assert_allclose(wide[["AWS", "Microsoft"]].to_numpy(), expected[["AWS", "Microsoft"]].to_numpy(),
                               atol=1e-6)
    view = forecast_view(q, Filters(), "EffectiveCost", "ProviderName", 0.8, 5, 1)
    assert view.total.index[0] == pd.Timestamp(START) + pd.Timedelta(days=DAYS)
    assert view.projections.iloc[0]["period"] == "Apr 2025" and view.projections.iloc[0]["actual"] == 0.0
    summed = view.parts.groupby("day")["forecast"].sum().to_numpy()
    np.testing.assert_allclose(summed, view.total["forecast"].to_numpy(), rtol=1e-9)
    level = data["EffectiveCost"].sum() / DAYS
    assert view.total["forecast"].iloc[:28].mean() == pytest.approx(level, rel=0.1)
