"""`python -m analysis optimize` as a script runs it: a table, then one JSON line whose figures are pandas'
on the sample's last complete month; exit 2 with a message for a month without data."""

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.optimize.opportunities import Assumptions
from tests.unit.optimize.test_opportunities import expected

REPO = Path(__file__).resolve().parents[3]


def _optimize(cache: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "FINOPS_WORKSPACE": str(tmp_path / "workspace")}
    return subprocess.run([sys.executable, "-m", "analysis", "--cache", str(cache), "optimize", *args],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_the_default_month_is_the_last_complete_one_and_its_figures_are_pandas(sample_cache, sample_frame, tmp_path):
    done = _optimize(sample_cache.root, tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0] == "Commitment discounts, 2026-10 (USD)"  # the data ends on 2026-11-15
    result = json.loads(lines[-1])
    day = sample_frame["ChargePeriodStart"].dt.tz_localize(None)
    f = sample_frame[(day >= "2026-10-01") & (day < "2026-11-01")]
    rows = f[f["CommitmentDiscountStatus"].isin(["Used", "Unused"])]
    cost = rows.groupby(["CommitmentDiscountId", "CommitmentDiscountStatus"])["EffectiveCost"].sum().unstack()
    charges = f[~((f["ChargeCategory"] == "Purchase") & f["CommitmentDiscountId"].notna())]
    assert result["month"] == "2026-10"
    assert result["effective_savings_rate"] == pytest.approx(
        1 - charges["EffectiveCost"].sum() / charges["ListCost"].sum(), abs=1e-6)
    assert result["utilization"] == pytest.approx(cost["Used"].sum() / cost.to_numpy().sum(), abs=1e-6)
    assert result["unused_cost"] == pytest.approx(cost["Unused"].sum(), abs=0.01)
    assert {c["id"] for c in result["commitments"]} == set(cost.index)
    for c in result["commitments"]:
        used, unused = cost.loc[c["id"], "Used"], cost.loc[c["id"], "Unused"]
        assert c["used_cost"] == pytest.approx(used, abs=0.01) and c["unused_cost"] == pytest.approx(unused, abs=0.01)
        assert c["utilization"] == pytest.approx(used / (used + unused), abs=1e-6)
        assert c["type"] and c["provider"] in {"AWS", "Microsoft", "Google Cloud"}
    wanted = expected(sample_frame, dt.date(2026, 11, 1), Assumptions(lookback_days=31))  # the whole month
    got = {(o["kind"], o["scope"]): o["monthly_savings"] for o in result["opportunities"]}
    assert got == {k: pytest.approx(round(v, 2), abs=0.006) for k, v in wanted.items()}
    assert [o["monthly_savings"] for o in result["opportunities"]] == sorted(got.values(), reverse=True)
    assert result["notes"] == [] and "Opportunities from 2026-10-01 to 2026-10-31" in done.stdout


def test_assumptions_are_options_and_a_missing_tag_is_a_note(sample_cache, sample_frame, tmp_path):
    done = _optimize(sample_cache.root, tmp_path, "--discount", "35", "--env-tag", "tier", "--lookback", "14")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    wanted = expected(sample_frame, dt.date(2026, 11, 1),
                      Assumptions(lookback_days=14, commitment_discount=0.35, environment_tag="tier"))
    assert {(o["kind"], o["scope"]): o["monthly_savings"] for o in result["opportunities"]} == {
        k: pytest.approx(round(v, 2), abs=0.006) for k, v in wanted.items()}
    assert result["notes"] == ["non-production schedules: the tag 'tier' is not in this bill"]
    refused = _optimize(sample_cache.root, tmp_path, "--discount", "120")
    assert refused.returncode == 2 and "--discount must be between 0 and 100" in refused.stderr


def test_a_month_without_data_exits_2_with_a_message(sample_cache, tmp_path):
    done = _optimize(sample_cache.root, tmp_path, "--month", "2020-01")
    assert done.returncode == 2 and done.stdout == ""
    assert "No billing data in 2020-01 (the data runs from 2025-06-01 to 2026-11-15)" in done.stderr


def test_a_malformed_month_is_refused_by_the_parser(sample_cache, tmp_path):
    done = _optimize(sample_cache.root, tmp_path, "--month", "October")
    assert done.returncode == 2 and "expected YYYY-MM, got 'October'" in done.stderr


def test_a_month_is_chosen_with_month(sample_cache, sample_frame, tmp_path):
    done = _optimize(sample_cache.root, tmp_path, "--month", "2026-11")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    day = sample_frame["ChargePeriodStart"].dt.tz_localize(None)
    unused = sample_frame[(day >= "2026-11-01") & (sample_frame["CommitmentDiscountStatus"] == "Unused")]
    assert done.returncode == 0 and result["month"] == "2026-11" and len(result["commitments"]) == 4
    assert result["unused_cost"] == pytest.approx(unused["EffectiveCost"].sum(), abs=0.01)


def test_as_a_viewer_scoped_to_one_provider_only_their_commitments_and_rate(sample_cache, sample_frame, tmp_path):
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "access.yaml").write_text("""default_role: none
grants:
  - who: {group: finops-admins}
    role: admin
  - who: {email: carol@example.com}
    role: viewer
    scope: {ProviderName: Microsoft}
""")
    done = subprocess.run([sys.executable, "-m", "analysis", "--cache", str(sample_cache.root), "--workspace",
                           str(workspace), "--as", "carol@example.com", "optimize"],
                          cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    day = sample_frame["ChargePeriodStart"].dt.tz_localize(None)
    f = sample_frame[(day >= "2026-10-01") & (day < "2026-11-01") & (sample_frame["ProviderName"] == "Microsoft")]
    charges = f[~((f["ChargeCategory"] == "Purchase") & f["CommitmentDiscountId"].notna())]
    assert [c["provider"] for c in result["commitments"]] == ["Microsoft"]
    assert result["effective_savings_rate"] == pytest.approx(
        1 - charges["EffectiveCost"].sum() / charges["ListCost"].sum(), abs=1e-6)
    mine = sample_frame[sample_frame["ProviderName"] == "Microsoft"]
    wanted = expected(mine, dt.date(2026, 11, 1), Assumptions(lookback_days=31))  # her opportunities only
    assert {(o["kind"], o["scope"]): o["monthly_savings"] for o in result["opportunities"]} == {
        k: pytest.approx(round(v, 2), abs=0.006) for k, v in wanted.items()}
    assert "AWS" not in done.stdout and "Google Cloud" not in done.stdout


def test_a_month_with_one_day_of_data_reads_that_day(tmp_path):
    from analysis.focus.loader import load_focus_paths
    from analysis.store.cache import FocusCache
    from tests.fixture_paths import FIXTURES

    [item] = load_focus_paths([FIXTURES / "aws" / "cur2_synthetic.parquet"])  # charges of 2025-03-01 only
    cache = FocusCache(tmp_path / "cache")
    cache.add_source(item.frames(), "cur2.parquet")
    done = _optimize(cache.root, tmp_path, "--month", "2025-03")
    assert done.returncode == 0, done.stderr
    assert "Opportunities from 2025-03-01 to 2025-03-01" in done.stdout
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert [o["kind"] for o in result["opportunities"]] == ["unused_commitment"]
    refused = _optimize(cache.root, tmp_path, "--month", "2025-03", "--lookback", "3")
    assert refused.returncode == 2 and "--lookback between 7 and 366 days" in refused.stderr
