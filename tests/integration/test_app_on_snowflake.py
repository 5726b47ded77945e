"""The app with a `[snowflake]` secrets section reads its numbers from Snowflake (a real fakesnow server)."""

import datetime as dt

import pytest
import snowflake.connector
from streamlit.testing.v1 import AppTest

from analysis.cache import FocusCache
from analysis.snowflake import publish
from app.ui import money
from tests.conftest import ROOT
from tests.integration.test_query_engines import _frame
from tests.servers import fakesnow_server


@pytest.fixture(scope="module")
def snowflake_secrets(tmp_path_factory):
    data = _frame()
    cache = FocusCache(tmp_path_factory.mktemp("cache"))
    cache.add_source([data], "engines.csv")
    with fakesnow_server() as port:
        settings = {"user": "app", "password": "secret", "account": "fakesnow", "host": "127.0.0.1",
                    "port": port, "protocol": "http", "database": "FINOPS", "schema": "PUBLIC",
                    "network_timeout": 10}
        with snowflake.connector.connect(**{k: v for k, v in settings.items() if k not in ("database", "schema")}) as conn:
            conn.cursor().execute("CREATE DATABASE IF NOT EXISTS FINOPS")
            conn.cursor().execute("CREATE SCHEMA IF NOT EXISTS FINOPS.PUBLIC")
            conn.cursor().execute("USE SCHEMA FINOPS.PUBLIC")
            publish(cache, conn)
        yield settings, data


def test_overview_reads_from_snowflake(snowflake_secrets, tmp_path, monkeypatch):
    settings, data = snowflake_secrets
    monkeypatch.setenv("FINOPS_CACHE_DIR", str(tmp_path / "empty-local-cache"))  # nothing local
    monkeypatch.setenv("FINOPS_WORKSPACE", str(tmp_path / "workspace"))
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=90)
    at.secrets["snowflake"] = settings
    at.run()
    assert not at.exception
    march = data[data["ChargePeriodStart"].dt.date >= dt.date(2025, 3, 1)]["EffectiveCost"].sum()
    assert next(m for m in at.metric if m.label == "Month to date").value == money(march)
