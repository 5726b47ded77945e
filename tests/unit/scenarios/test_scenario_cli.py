"""`python -m analysis scenario FILE [--months N]` as a real process on the sample cache: a JSON last line whose
figures are the engine's, exit 2 with a message naming the lever and field on bad input, and warnings on
stderr. The processes are started together (each loads the cache and fits its scopes) to keep the suite fast."""

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.query import local_queries
from analysis.scenarios.engine import run
from analysis.scenarios.model import parse_scenario

REPO = Path(__file__).resolve().parents[3]
EXAMPLES = sorted((REPO / "data" / "workspace" / "scenarios").glob("*.yaml"))
LAST_DAY = dt.date(2026, 11, 15)  # the sample's last charge day: where the scenario's months start

SCENARIOS = {
    "plan": """\
name: Compute +10% and a data lake
months: 4
levers:
- kind: growth
  scope: {ServiceCategory: Compute}
  percent: 10
  from: 2026-12
- kind: new_spend
  monthly: 12000
  provider: AWS
  service: Amazon S3
  from: 2026-11
""",
    "bad-yaml": "name: Broken\nlevers:\n- kind: growth\n  percent: 5\n   from: 2027-01\n",
    "unknown-value": """\
name: Typo
levers:
- kind: remove
  scope: {ServiceCategory: Storage}
  from: 2027-01
- kind: growth
  scope: {ServiceCategory: Computing}
  percent: 5
  from: 2027-01
""",
    "too-early": "name: Too early\nlevers: [{kind: remove, scope: {ServiceCategory: Storage}, from: 2026-10}]\n",
    "no-usage": "name: No usage\nmonths: 2\nlevers: [{kind: price_change, scope: {ServiceCategory: Other}, "
                "percent: 10, from: 2026-12}]\n",
}
RUNS = {  # name: (scenario file, extra arguments)
    "plan": ("plan", ()), "plan-6": ("plan", ("--months", "6")), "bad-yaml": ("bad-yaml", ()),
    "unknown-value": ("unknown-value", ()), "too-early": ("too-early", ()), "no-usage": ("no-usage", ()),
    **{f"example:{path.name}": (path, ()) for path in EXAMPLES},
}


@pytest.fixture(scope="module")
def runs(sample_cache, tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    folder = tmp_path_factory.mktemp("scenario-cli")
    for name, text in SCENARIOS.items():
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    # One BLAS thread each: several processes fitting at once would otherwise oversubscribe the cores.
    env = {**os.environ, "FINOPS_WORKSPACE": str(folder / "workspace"), "OMP_NUM_THREADS": "1",
           "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    started = {}
    for name, (file, args) in RUNS.items():
        path = file if isinstance(file, Path) else folder / f"{file}.yaml"
        command = [sys.executable, "-m", "analysis", "--cache", str(sample_cache.root), "scenario", str(path), *args]
        started[name] = (command, subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE,
                                                   stderr=subprocess.PIPE, text=True))
    done = {}
    for name, (command, process) in started.items():
        out, err = process.communicate(timeout=180)
        done[name] = subprocess.CompletedProcess(command, process.returncode, out, err)
    return done


def _json(done: subprocess.CompletedProcess) -> dict:
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _refused(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 2 and done.stdout == "" and "Traceback" not in done.stderr, done.stderr
    return done.stderr.strip()


def test_the_json_line_is_the_engines_result_to_the_cent(runs, sample_cache):
    out = _json(runs["plan"])
    expected = run(local_queries(sample_cache), parse_scenario(SCENARIOS["plan"]), LAST_DAY, None, "USD").as_json()
    assert out == expected
    assert out["months"] == ["2026-11", "2026-12", "2027-01", "2027-02"]
    # November gets half the new spend (half the month is left); the growth starts in December.
    assert out["scenario"][0] - out["baseline"][0] == pytest.approx(6_000, abs=0.01)
    assert out["delta_total"] > 3 * 12_000 + 6_000 and runs["plan"].stderr == ""
    table = runs["plan"].stdout.splitlines()
    assert table[0].startswith("Compute +10% and a data lake: EffectiveCost in USD")
    assert "from the data's last day 2026-11-15" in table[0]
    assert table[2].split()[0] == "2026-11" and f"{out['baseline'][0]:,.2f}" in table[2]


def test_months_on_the_command_line_override_the_files(runs):
    four, six = _json(runs["plan"]), _json(runs["plan-6"])
    assert six["months"] == ["2026-11", "2026-12", "2027-01", "2027-02", "2027-03", "2027-04"]
    assert six["baseline"][:4] == four["baseline"] and six["scenario"][:4] == four["scenario"]
    assert six["delta_total"] > four["delta_total"]


def test_bad_input_exits_2_with_a_message_naming_where(runs):
    assert _refused(runs["bad-yaml"]) == ("Invalid scenario: bad-yaml.yaml: YAML syntax error at line 5, column 8: "
                                          "mapping values are not allowed here")
    assert _refused(runs["unknown-value"]) == ("Invalid scenario 'Typo' in unknown-value.yaml: lever 2 (growth), "
                                               "field scope: ServiceCategory: no cost has the value 'Computing'")
    assert _refused(runs["too-early"]) == (
        "Invalid scenario in too-early.yaml: scenario 'Too early', lever 1 (remove), field from: 2026-10 is before "
        "the first month, 2026-11 (the month holding the data's last day, 2026-11-15)")


def test_a_lever_on_a_scope_without_cost_is_a_warning_on_stderr(runs):
    out = _json(runs["no-usage"])
    assert runs["no-usage"].stderr.strip() == (
        "Warning: lever 1 (price_change): its scope (Service category: Other) has no usage cost in the data, so it "
        "changes nothing")
    assert out["scenario"] == out["baseline"] and out["delta_total"] == 0


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_the_example_scenarios_run(runs, path):
    assert len(EXAMPLES) == 2
    done = runs[f"example:{path.name}"]
    out = _json(done)
    assert done.stderr == ""
    assert out["name"] == parse_scenario(path.read_text()).name and len(out["months"]) == 12
    assert out["months"][0] == "2026-11" and out["months"][-1] == "2027-10"
    # Growth and new spend cost more; a savings plan and a cheaper migration cost less.
    assert (out["delta_total"] > 0) == ("growth" in path.name)
