"""`python -m analysis load|sample` as a user runs it: real processes, JSON last line, exit codes."""

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.fixture_paths import FOCUS, SAMPLE_1000


def _cli(*args: str, cache: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis", "--cache", str(cache), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)


def _decimal_sum(path: Path, column: str) -> Decimal:
    import csv

    with open(path, newline="", encoding="utf-8-sig") as handle:
        return sum((Decimal(r[column].strip().replace("$", "").replace(",", "")) for r in csv.DictReader(handle)
                    if r[column] not in ("", "NULL")), Decimal(0))


def test_dry_run_prints_the_summary_and_changes_nothing(tmp_path):
    done = _cli("load", "--dry-run", str(SAMPLE_1000), cache=tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["rows"] == 1000 and result["files"] == 1
    assert result["providers"] == ["AWS", "Microsoft", "Oracle"]
    assert result["currencies"] == ["USD"]
    assert result["period"][0].startswith("2024-09")
    for metric in ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost"):
        assert Decimal(str(result["totals"]["USD"][metric])).quantize(Decimal("0.01")) == \
            _decimal_sum(SAMPLE_1000, metric).quantize(Decimal("0.01"))
    assert not (tmp_path / "manifest.json").exists()


def test_load_adds_to_the_cache_and_refuses_the_same_file_twice(tmp_path):
    assert _cli("load", str(SAMPLE_1000), cache=tmp_path).returncode == 0
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert [s["summary"]["rows"] for s in manifest["sources"]] == [1000]
    again = _cli("load", str(SAMPLE_1000), cache=tmp_path)
    assert again.returncode != 0
    assert "focus_sample_1000.csv" in again.stderr and "already loaded" in again.stderr
    assert json.loads((tmp_path / "manifest.json").read_text()) == manifest


def test_a_rejected_file_exits_non_zero_and_leaves_the_cache(tmp_path):
    assert _cli("load", str(SAMPLE_1000), cache=tmp_path).returncode == 0
    before = (tmp_path / "manifest.json").read_text()
    bad = tmp_path / "broken.csv"
    lines = SAMPLE_1000.read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index('"BilledCost"')] = "abc"
    bad.write_text("\n".join([lines[0], ",".join(cells), *lines[2:5]]) + "\n")
    done = _cli("load", str(bad), cache=tmp_path)
    assert done.returncode != 0
    assert "broken.csv" in done.stderr and "BilledCost" in done.stderr and "abc" in done.stderr
    assert (tmp_path / "manifest.json").read_text() == before


def test_a_folder_of_spec_examples_loads_with_totals_to_the_cent(tmp_path):
    specs = sorted((FOCUS / "spec_examples").rglob("*.csv"))
    done = _cli("load", "--dry-run", str(FOCUS / "spec_examples"), cache=tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["files"] == len(specs) == 26
    (currency,) = result["totals"]
    for metric in ("BilledCost", "EffectiveCost"):
        expected = sum((_decimal_sum(spec, metric) for spec in specs), Decimal(0))
        assert Decimal(str(result["totals"][currency][metric])).quantize(Decimal("0.01")) == expected.quantize(Decimal("0.01"))


def test_allocate_check_applies_the_shipped_rules_to_the_cache(sample_cache, sample_frame):
    done = _cli("allocate", "--check", cache=sample_cache.root)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    expected = round(float(sample_frame["EffectiveCost"].sum()), 2)
    assert result["source_total"] == pytest.approx(expected, abs=0.01)
    assert result["allocated_total"] == pytest.approx(expected, abs=0.01)
    for owners in result["by_owner"].values():  # rounded parts add up to the rounded total, to the cent
        assert round(sum(owners.values()) * 100) == round(result["allocated_total"] * 100)
    assert set(result["by_owner"]) == {"Team", "CostCenter", "Environment"}
    assert result["unallocated"] == result["by_owner"]["Team"]["Unallocated"]


def test_allocate_check_rejects_invalid_rules_naming_the_rule(tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text("dimensions: [{name: T, rules: [{name: Broken, when: {column: X, regex: '('}, owner: a}]}]\n")
    done = _cli("allocate", "--check", "--rules", str(rules), "--data", str(SAMPLE_1000), cache=tmp_path)
    assert done.returncode == 2
    assert "rules.yaml" in done.stderr and "'Broken'" in done.stderr and "invalid regex" in done.stderr


def test_forecast_prints_projections_whose_actuals_and_parts_add_up(sample_cache, sample_frame):
    done = _cli("forecast", "--by", "ServiceName", "--top", "3", "--horizon", "14", "--fiscal-year-start", "4",
                cache=sample_cache.root)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["first_day"] == "2026-11-16" and result["currency"] == "USD"
    november = result["periods"][0]
    assert november["period"] == "Nov 2026"
    days = sample_frame["ChargePeriodStart"].dt.tz_localize(None)
    assert november["actual"] == pytest.approx(sample_frame.loc[days >= "2026-11-01", "EffectiveCost"].sum(), abs=0.01)
    assert november["lower"] < november["forecast"] < november["upper"]
    assert [p["period"] for p in result["periods"] if p["kind"] != "Month"] == \
        ["FY2027 Q3", "FY2027 Q4", "FY2028 Q1", "FY2028 Q2", "FY2027"]
    assert len(result["parts"]) == 4 and "Other" in result["parts"]
    assert sum(result["parts"].values()) == pytest.approx(result["next_days"]["forecast"], abs=0.05)
    assert "Nov 2026" in done.stdout and "FY2027" in done.stdout


def test_forecast_refuses_an_unknown_metric_naming_it(sample_cache):
    done = _cli("forecast", "--metric", "Costs", cache=sample_cache.root)
    assert done.returncode == 2 and "Unknown cost metric 'Costs'" in done.stderr


@pytest.mark.parametrize("command", [["allocate", "--check"], ["forecast"], ["publish-snowflake"]])
def test_commands_on_an_empty_cache_say_it_is_empty(tmp_path, command):
    done = _cli(*command, cache=tmp_path / "nothing")
    assert done.returncode == 2
    assert f"The cache in {tmp_path / 'nothing'} is empty: load billing files first" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "nothing").exists()


def test_the_default_cache_is_data_cache_at_the_repository_root():
    """What `make run`, the app and the notebook use when FINOPS_CACHE_DIR is not set."""
    from analysis.store.cache import DEFAULT_CACHE
    from tests.conftest import ROOT

    assert DEFAULT_CACHE == ROOT / "data" / "cache"
