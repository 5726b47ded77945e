"""The app with a `[snowflake]` secrets section reads its numbers from Snowflake (a real fakesnow server)."""

import datetime as dt

import pytest
import snowflake.connector

from analysis.store.cache import FocusCache
from analysis.store.snowflake import publish
from app.ui import money
from tests.app.conftest import app_test
from tests.conftest import ROOT
from tests.integration.test_query_engines import _frame
from tests.servers import fakesnow_server

pytestmark = pytest.mark.integration


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
    at = app_test()
    at.secrets["snowflake"] = settings
    at.run()
    assert not at.exception
    march = data[data["ChargePeriodStart"].dt.date >= dt.date(2025, 3, 1)]["EffectiveCost"].sum()
    assert next(m for m in at.metric if m.label == "Month to date").value == money(march)


def test_a_failed_snowflake_login_is_a_message_without_secrets(tmp_path, monkeypatch):
    from tests.servers import free_port

    monkeypatch.setenv("FINOPS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("FINOPS_WORKSPACE", str(tmp_path / "workspace"))
    at = app_test()
    at.secrets["snowflake"] = {"user": "app", "password": "hunter2-do-not-show", "account": "nowhere",
                               "host": "127.0.0.1", "port": free_port(), "protocol": "http",
                               "login_timeout": 5, "network_timeout": 5}
    at.run()
    assert not at.exception
    message = at.error[0].value
    assert message.startswith("Could not connect to Snowflake (account nowhere as user app)")
    assert "secrets.toml" in message and "hunter2" not in message


def test_publish_to_an_unreachable_snowflake_is_a_message_without_secrets(tmp_path, sample_cache):
    import subprocess
    import sys

    from tests.servers import free_port

    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'[snowflake]\nuser = "app"\npassword = "hunter2-do-not-show"\naccount = "nowhere"\n'
                       f'host = "127.0.0.1"\nport = {free_port()}\nprotocol = "http"\nlogin_timeout = 5\n')
    done = subprocess.run([sys.executable, "-m", "analysis", "--cache", str(sample_cache.root), "publish-snowflake",
                           "--secrets", str(secrets)], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 2
    assert done.stderr.startswith("Could not connect to Snowflake (account nowhere as user app)")
    assert "hunter2" not in done.stderr and "Traceback" not in done.stderr
