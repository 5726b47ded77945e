"""The commitment figures on Snowflake (a real fakesnow server) equal pandas' on the same rows, as on DuckDB:
a few days of the sample (its commitments' Used, Unused and purchase rows among them) and the FOCUS
specification's commitment examples together (no ListCost on some rows, quantities, missing columns)."""

import datetime as dt

import pandas as pd
import pytest
import snowflake.connector

from analysis.focus.loader import load_focus_paths
from analysis.query import Filters, snowflake_queries
from analysis.store.cache import FocusCache
from analysis.store.snowflake import publish
from tests.servers import fakesnow_server
from tests.unit.optimize.test_commitment_figures import EXAMPLES, assert_figures, charged_in

pytestmark = pytest.mark.integration

START, END = dt.date(2026, 10, 1), dt.date(2026, 10, 4)  # three days keep the upload short


def _frames(sample_frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    day = sample_frame["ChargePeriodStart"].dt.tz_localize(None)
    sample = sample_frame[(day >= pd.Timestamp(START)) & (day < pd.Timestamp(END))]
    examples = pd.concat([item.frame for item in load_focus_paths(EXAMPLES)], ignore_index=True)
    return {"sample": sample, "examples": examples}


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
