"""The commitment figures and the opportunities on Snowflake (a real fakesnow server) equal pandas' on the
same rows, as on DuckDB: a few days of the sample (its commitments' Used, Unused and purchase rows among
them), two recent weeks of it for the opportunities, and the FOCUS specification's commitment examples
together (no ListCost on some rows, quantities, missing columns)."""

import datetime as dt

import pandas as pd
import pytest
import snowflake.connector

from analysis.focus.loader import load_focus_paths
from analysis.optimize.opportunities import Assumptions, find_opportunities
from analysis.query import Filters, snowflake_queries
from analysis.store.cache import FocusCache
from analysis.store.snowflake import publish
from tests.servers import fakesnow_server
from tests.unit.optimize.test_commitment_figures import EXAMPLES, assert_figures, charged_in
from tests.unit.optimize.test_opportunities import expected

pytestmark = pytest.mark.integration

START, END = dt.date(2026, 10, 1), dt.date(2026, 10, 4)  # three days keep the upload short
RECENT = Assumptions(lookback_days=14, idle_days=7)
RECENT_END = dt.date(2026, 11, 1)


def _frames(sample_frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    day = sample_frame["ChargePeriodStart"].dt.tz_localize(None)
    sample = sample_frame[(day >= pd.Timestamp(START)) & (day < pd.Timestamp(END))]
    examples = pd.concat([item.frame for item in load_focus_paths(EXAMPLES)], ignore_index=True)
    recent = sample_frame[(day >= pd.Timestamp(RECENT_END - dt.timedelta(days=RECENT.lookback_days)))
                          & (day < pd.Timestamp(RECENT_END))]
    return {"sample": sample, "examples": examples, "recent": recent}


@pytest.fixture(scope="module")
def published(tmp_path_factory, sample_frame):
    frames = _frames(sample_frame)
    with fakesnow_server() as port:
        out = {}
        for name, frame in frames.items():
            cache = FocusCache(tmp_path_factory.mktemp(name))
            cache.add_source([frame], f"{name}.csv")
            conn = snowflake.connector.connect(user="tester", password="secret", account="fakesnow", host="127.0.0.1",
                                               port=port, protocol="http", network_timeout=10)
            conn.cursor().execute(f"CREATE DATABASE IF NOT EXISTS finops_{name}")
            conn.cursor().execute(f"CREATE SCHEMA IF NOT EXISTS finops_{name}.public")
            conn.cursor().execute(f"USE SCHEMA finops_{name}.public")
            assert publish(cache, conn) == len(frame)
            out[name] = (snowflake_queries(conn), frame)
        yield out


def test_the_sample_figures_on_snowflake_match_pandas(published):
    q, frame = published["sample"]
    filters = Filters(START, END, currency="USD")
    assert_figures(q, filters, charged_in(frame, START, END))
    purchases = frame["ChargeCategory"].eq("Purchase") & frame["CommitmentDiscountId"].notna()
    assert purchases.sum() == 4  # the month's commitment purchases are among the rows the rate excludes


def test_the_focus_examples_on_snowflake_match_pandas(published):
    q, frame = published["examples"]
    assert_figures(q, Filters(), charged_in(frame))


def test_the_opportunities_on_snowflake_match_pandas(published):
    q, frame = published["recent"]
    found = find_opportunities(q, Filters(currency="USD"), RECENT_END, RECENT)
    wanted = expected(frame, RECENT_END, RECENT)
    got = {(o.kind, o.scope): o.monthly_savings for o in found.opportunities}
    assert {kind for kind, _ in got} == {"unused_commitment", "commitment", "schedule", "idle", "previous_generation"}
    assert got == {k: pytest.approx(v, rel=1e-6) for k, v in wanted.items()}
