"""The Scenarios page: numbers equal the scenario engine and the lever functions; build, save, delete; bad input."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from analysis.forecast import fitted
from analysis.forecast.forecaster import project_months
from analysis.forecast.report import scope_daily
from analysis.query import local_queries
from analysis.scenarios import levers
from analysis.scenarios.engine import run
from analysis.scenarios.model import parse_scenario
from tests.app.conftest import AS_OF, button

GROWTH = """name: Compute up
months: 6
levers:
- {kind: growth, scope: {ServiceCategory: Compute}, percent: 20, from: 2026-12}
"""
REMOVE = """name: Storage off
months: 6
levers:
- {kind: remove, scope: {ServiceCategory: Storage}, from: 2027-02}
- {kind: new_spend, monthly: 5000, provider: AWS, service: Amazon S3, from: 2027-01}
"""


@pytest.fixture
def scenarios_page(app, workspace):
    folder = workspace / "scenarios"
    folder.mkdir(parents=True)
    (folder / "compute-up.yaml").write_text(GROWTH)
    (folder / "storage-off.yaml").write_text(REMOVE)
    at = app.run()
    at.switch_page("../pages/scenarios.py").run()
    return at


def test_the_table_equals_the_engine_and_the_growth_lever(scenarios_page, sample_cache):
    at = scenarios_page
    q = local_queries(sample_cache)
    table = at.dataframe[0].value.set_index("month")
    growth, remove = (run(q, parse_scenario(t), AS_OF, 6) for t in (GROWTH, REMOVE))
    assert list(table.index) == ["2026-11", "2026-12", "2027-01", "2027-02", "2027-03", "2027-04", "Total"]
    assert table.loc["2027-01", "Compute up"] == round(growth.total[0][2])
    assert table.loc["2027-01", "Storage off"] == round(remove.total[0][2])
    assert table.loc["Total", "Baseline"] == round(growth.baseline[0].sum())
    # the growth lever, by hand: 20% of the Compute scope's projected rest, from the second month
    compute = project_months(fitted(scope_daily(q, (("ServiceCategory", ("Compute",)),), "EffectiveCost", AS_OF)), 6)
    rest = compute["forecast"].to_numpy() - compute["actual"].to_numpy()
    by_hand = levers.growth(pd.DataFrame([rest, rest, rest]).to_numpy(), 1, 20)[0]
    assert by_hand[0] == 0 and by_hand[1] == pytest.approx(0.2 * rest[1])
    assert growth.total[0] - growth.baseline[0] == pytest.approx(by_hand, abs=0.01)
    assert table.loc["2026-11", "Compute up"] == table.loc["2026-11", "Baseline"]  # the first month is untouched


def test_each_lever_s_effect_is_listed(scenarios_page, sample_cache):
    at = scenarios_page
    effects = at.dataframe[3].value  # second tab: Storage off
    result = run(local_queries(sample_cache), parse_scenario(REMOVE), AS_OF, 6)
    assert list(effects["lever"]) == ["lever 1 (remove)", "lever 2 (new_spend)"]
    assert effects["change"].iloc[1] == 5000 * 4  # January to April
    assert effects["change"].iloc[0] == round(result.effect_table()["change"].iloc[0])
    detail = at.dataframe[4].value
    assert list(detail["delta"][:3]) == [0, 0, 5000]  # no change before January; removal from February


def test_a_budget_is_drawn_against_the_scenarios(scenarios_page, workspace):
    (workspace / "budgets.yaml").write_text("budgets:\n- {name: Monthly cap, period: month, amount: 1000000}\n")
    at = scenarios_page
    at.run()
    at.selectbox(key="sc_budget").set_value("Monthly cap").run()
    assert list(at.dataframe[0].value["Budget"][:6]) == [1_000_000] * 6
    assert at.query_params["budget"] == "Monthly cap"


def test_a_scenario_is_built_saved_and_deleted(scenarios_page, workspace):
    at = scenarios_page
    at.text_input[0].input("Grow everything")
    button(at, "Save scenario").click().run()  # the new scenario's starting row: growth 10% from the first month
    saved = yaml.safe_load((workspace / "scenarios" / "grow-everything.yaml").read_text())
    assert saved == {"name": "Grow everything", "months": 12, "levers": [{"kind": "growth", "from": "2026-11",
                                                                          "percent": 10}]}
    assert "Saved scenario 'Grow everything'." in at.success[0].value
    assert at.selectbox(key="sc_edit").value == "Grow everything"
    at.checkbox(key="sc_sure").check().run()
    button(at, "Delete scenario").click().run()
    assert not (workspace / "scenarios" / "grow-everything.yaml").exists()
    assert any(p.name.startswith("grow-everything-") for p in (workspace / "scenarios" / ".history").iterdir())


@pytest.mark.parametrize(("text", "message"), [
    ("name: Bad\nlevers: [{kind: grow, from: 2027-01}]",
     "scenarios/bad.yaml, scenario 'Bad', lever 1, field kind: 'grow' is not a lever kind"),
    ("name: Bad\nlevers: [{kind: growth, percent: -150, from: 2027-01}]",
     "lever 1 (growth), field percent: Input should be greater than or equal to -100"),
])
def test_an_unreadable_scenario_file_is_named_and_the_others_still_show(scenarios_page, workspace, text, message):
    (workspace / "scenarios" / "bad.yaml").write_text(text)
    at = scenarios_page.run()
    assert message in at.warning[0].value.replace("\\", "")
    assert "Compute up" in at.multiselect(key="sc_compare").options
    assert (workspace / "scenarios" / "bad.yaml").read_text() == text  # nothing is overwritten


@pytest.mark.parametrize(("lever", "message"), [
    ("{kind: remove, scope: {ServiceCategory: Quantum}, from: 2027-01}",
     "scenario 'Odd', lever 1 (remove), field scope: ServiceCategory: no cost has the value 'Quantum'"),
    ("{kind: growth, percent: 5, from: 2026-01}", "lever 1 (growth), field from: 2026-01 is before the first month"),
])
def test_a_scenario_that_cannot_run_says_why(scenarios_page, workspace, lever, message):
    (workspace / "scenarios" / "odd.yaml").write_text(f"name: Odd\nmonths: 6\nlevers: [{lever}]\n")
    at = scenarios_page.run()
    at.multiselect(key="sc_compare").select("Odd").run()
    assert any(message in e.value.replace("\\", "") for e in at.error)
    assert len(at.dataframe[0].value.columns) == 4  # month, baseline and the two that run


def test_a_lever_on_a_scope_without_cost_is_reported(scenarios_page, workspace):
    (workspace / "scenarios" / "empty.yaml").write_text(
        "name: Empty\nmonths: 6\nlevers: [{kind: price_change, scope: {ChargeCategory: Tax}, percent: 5, "
        "from: 2027-01}]\n")
    at = scenarios_page.run()
    at.multiselect(key="sc_compare").select("Empty").run()
    assert any("lever 1 (price_change): its scope (Charge category: Tax) has no usage cost" in w.value.replace("\\", "")
               for w in at.warning)


def test_without_scenarios_the_page_says_how_to_start(app):
    at = app.run()
    at.switch_page("../pages/scenarios.py").run()
    assert "No scenarios yet" in at.info[0].value


def test_against_a_scoped_budget_every_figure_is_for_its_scope(scenarios_page, workspace, sample_cache):
    (workspace / "budgets.yaml").write_text(
        "budgets:\n- {name: Compute cap, scope: {ServiceCategory: Compute}, period: quarter, amount: 1500000}\n")
    at = scenarios_page
    at.run()
    at.selectbox(key="sc_budget").set_value("Compute cap").run()
    table = at.dataframe[0].value.set_index("month")
    compute = (("ServiceCategory", ("Compute",)),)
    grown = run(local_queries(sample_cache), parse_scenario(GROWTH), AS_OF, 6, scope=compute)
    assert list(table["Compute up"][:6]) == [round(v) for v in grown.total[0]]
    assert list(table["Baseline"][:6]) == [round(v) for v in grown.baseline[0]]
    # removing storage and adding S3 spend leave compute as it was
    assert list(table["Storage off"][:6]) == list(table["Baseline"][:6])
    assert list(table["Budget"][:6]) == [500_000] * 6  # a quarter's amount spread over its months
    assert any("every figure below is for its scope, Service category: Compute" in c.value.replace("\\", "")
               for c in at.caption)
