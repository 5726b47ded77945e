"""`python -m analysis budgets --check` as a scheduled job runs it: a real process, a JSON last line whose
figures are evaluate()'s (and pandas'), and exit codes 0 (no threshold crossed), 1 (crossed), 2 (bad input)."""

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.budgets.evaluate import evaluate
from analysis.budgets.model import parse_budgets
from analysis.query import local_queries
from tests.conftest import tag_values

REPO = Path(__file__).resolve().parents[3]
RULES = REPO / "data" / "workspace" / "allocation.yaml"
LAST_DAY = dt.date(2026, 11, 15)  # the sample's last charge day: the default --as-of


def _check(tmp_path: Path, cache: Path, budgets: str, *args: str) -> subprocess.CompletedProcess:
    path = tmp_path / "budgets.yaml"
    path.write_text(budgets, encoding="utf-8")
    env = {**os.environ, "FINOPS_WORKSPACE": str(tmp_path / "workspace")}
    return subprocess.run([sys.executable, "-m", "analysis", "--cache", str(cache), "budgets", "--check",
                           "--budgets", str(path), *args],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False)


def _result(done: subprocess.CompletedProcess) -> dict:
    assert "Traceback" not in done.stderr, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _days(frame: pd.DataFrame) -> pd.Series:
    return frame["ChargePeriodStart"].dt.tz_localize(None).dt.normalize()


def test_figures_are_evaluates_and_a_crossed_threshold_exits_1(tmp_path, sample_cache, sample_frame):
    f = sample_frame
    rows = (f["ServiceCategory"] == "Compute") & (_days(f) >= "2026-11-01")
    actual = float(f.loc[rows, "EffectiveCost"].sum())
    text = f"""budgets:
- name: Compute
  scope: {{ServiceCategory: Compute}}
  amount: {round(actual / 0.85, 2)}
  alerts: [{{actual: 80}}, {{actual: 100}}]
- name: Compute, roomy
  scope: {{ServiceCategory: Compute}}
  amount: 100000000
  alerts: [{{actual: 80}}, {{forecast: 100}}]
"""
    done = _check(tmp_path, sample_cache.root, text)
    assert done.returncode == 1, done.stderr
    result = _result(done)
    assert result["as_of"] == str(LAST_DAY) and result["currency"] == "USD"
    assert [b["name"] for b in result["budgets"]] == ["Compute", "Compute, roomy"]
    assert [b["alerts"] for b in result["budgets"]] == [["actual 80%"], []]
    assert [b["status"] for b in result["budgets"]] == ["at risk", "on track"]
    assert result["budgets"][0]["actual"] == round(actual, 2)
    q = local_queries(sample_cache)
    for figures, budget in zip(result["budgets"], parse_budgets(text), strict=True):
        expected = evaluate(q, budget, LAST_DAY).as_json()
        assert {k: v for k, v in figures.items() if not k.startswith("forecast")} == \
            {k: v for k, v in expected.items() if not k.startswith("forecast")}
        for key in ("forecast", "forecast_lower", "forecast_upper"):
            assert figures[key] == pytest.approx(expected[key], abs=0.011), key
    assert "Budgets as of 2026-11-15 (USD, forecast interval 80%)" in done.stdout
    assert "actual 80%" in done.stdout


def test_no_threshold_crossed_exits_0_and_an_earlier_day_checks_its_period(tmp_path, sample_cache, sample_frame):
    f = sample_frame
    october = (_days(f) >= "2026-10-01") & (_days(f) <= "2026-10-31")
    text = """budgets:
- name: Compute
  scope: {ServiceCategory: Compute}
  amount: 100000000
  alerts: [{actual: 80}, {forecast: 100}]
- name: Production or staging
  scope: 'tag:env=prod|staging'
  amount: 100000000
  alerts: [{actual: 50}]
"""
    done = _check(tmp_path, sample_cache.root, text, "--as-of", "2026-10-31")
    assert done.returncode == 0, done.stderr
    result = _result(done)
    assert result["as_of"] == "2026-10-31"
    compute, env = result["budgets"]
    assert compute["period"] == env["period"] == "2026-10"  # the period of the day asked, not of the data's end
    assert compute["actual"] == round(float(f.loc[october & (f["ServiceCategory"] == "Compute"),
                                                  "EffectiveCost"].sum()), 2)
    assert compute["forecast"] == compute["forecast_lower"] == compute["forecast_upper"] == compute["actual"]
    assert env["actual"] == round(float(f.loc[october & tag_values(f, "env").isin(["prod", "staging"]),
                                              "EffectiveCost"].sum()), 2)
    assert env["forecast"] == env["actual"] > 0
    assert [b["alerts"] for b in result["budgets"]] == [[], []]


def test_allocation_scopes_use_the_rules_given(tmp_path, sample_cache, sample_frame):
    f = sample_frame
    teams = ["data", "finance-apps", "ml", "payments", "platform", "security", "storefront", "Unallocated"]
    text = "budgets:\n" + "".join(f"- {{name: {t}, scope: {{alloc:Team: {t}}}, amount: 1}}\n" for t in teams) \
        + "- {name: Whole bill, amount: 1}\n"
    done = _check(tmp_path, sample_cache.root, text, "--rules", str(RULES), "--as-of", "2026-10-31")
    assert done.returncode == 0, done.stderr  # no alerts configured: nothing to cross
    actual = {b["name"]: b["actual"] for b in _result(done)["budgets"]}
    # pandas: the shipped Team rules (team tag, then the shared-network, data and ml- accounts), in October.
    team, account = tag_values(f, "team"), f["SubAccountName"]
    owner = np.select([team.notna(), account == "shared-network",
                       account.isin(["bigdata-warehouse", "data-platform", "analytics-prod"]),
                       account.str.startswith("ml-")], [team, "platform", "data", "ml"], "Unallocated")
    october = (_days(f) >= "2026-10-01") & (_days(f) <= "2026-10-31")
    expected = f[october].groupby(owner[october])["EffectiveCost"].sum().round(2).to_dict()
    assert {t: actual[t] for t in teams} == expected
    assert actual["Whole bill"] == round(float(f.loc[october, "EffectiveCost"].sum()), 2)
    assert round(sum(actual[t] for t in teams), 2) == pytest.approx(actual["Whole bill"], abs=0.05)


@pytest.mark.parametrize(("text", "message"), [
    ("budgets: [{name: Compute, scope: {ServiceCategory: Compute}, amount: -5}]",
     "Invalid budgets: budgets.yaml, budget 'Compute', field amount: Input should be greater than or equal to 0"),
    ("budgets: [{name: Compute, amounts: {2027-Q1: 5}}]",
     "Invalid budgets: budgets.yaml, budget 'Compute', field amounts: period key '2027-Q1' does not name a month"),
    ("budgets: [{name: Compute, scope: {ServiceCategory: Quantum}, amount: 5}]",
     ("Invalid budgets in budgets.yaml: budget 'Compute', field scope: ServiceCategory: no cost has the value "
     "'Quantum'")),
    ("budgets: [{name: Compute, scope: {SubAcountName: prod}, amount: 5}]",
     "Invalid budgets in budgets.yaml: budget 'Compute', field scope: unknown dimension 'SubAcountName'"),
    ("budgets: [{name: Team, scope: {alloc:Team: nobody}, amount: 5}]",
     "Invalid budgets in budgets.yaml: budget 'Team', field scope: alloc:Team: no cost has the value 'nobody'"),
])
def test_an_invalid_budget_exits_2_naming_the_budget_and_field(tmp_path, sample_cache, text, message):
    done = _check(tmp_path, sample_cache.root, text, "--rules", str(RULES))
    assert done.returncode == 2
    assert done.stderr.startswith(message) and "Traceback" not in done.stderr
    assert done.stdout == ""


def test_bad_days_and_missing_files_exit_2(tmp_path, sample_cache):
    done = _check(tmp_path, sample_cache.root, "budgets: []\n", "--as-of", "2026-11-16")
    assert done.returncode == 2
    assert done.stderr.strip() == "--as-of 2026-11-16 is outside the data (2025-06-01 to 2026-11-15)"
    missing = subprocess.run([sys.executable, "-m", "analysis", "--cache", str(sample_cache.root), "budgets",
                              "--check", "--budgets", str(tmp_path / "none.yaml")],
                             cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert missing.returncode == 2
    assert missing.stderr.startswith(f"Cannot read the budget file {tmp_path / 'none.yaml'}: No such file")
    empty = _check(tmp_path, sample_cache.root, "budgets: []\n")
    assert empty.returncode == 0 and _result(empty) == {"as_of": "2026-11-15", "currency": "USD", "budgets": []}
