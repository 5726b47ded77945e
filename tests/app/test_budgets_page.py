"""The Budgets page: figures equal the analysis (and pandas), create, edit, delete, propose, and bad input."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from analysis.budgets.evaluate import evaluate
from analysis.budgets.model import parse_budgets
from analysis.query import local_queries
from tests.app.conftest import AS_OF, button, days, metric

BUDGETS = """budgets:
- name: Compute
  scope: {ServiceCategory: Compute}
  period: month
  amount: 1000000
  alerts: [{actual: 50}, {forecast: 100}]
- name: Storage small
  scope: {ServiceCategory: Storage}
  period: month
  amount: 1000
  alerts: [{actual: 100}]
- name: Whole bill FY
  period: year
  fiscal_year_start: 4
  amounts: {FY2027: 90000000}
"""


@pytest.fixture
def budgets_page(app, workspace):
    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / "budgets.yaml").write_text(BUDGETS)
    at = app.run()
    at.switch_page("../pages/budgets.py").run()
    return at


def _row(at, name):
    table = at.dataframe[0].value
    return table[table["name"] == name].iloc[0]


def test_every_budget_matches_the_analysis_and_pandas(budgets_page, sample_cache, sample_frame):
    at = budgets_page
    q = local_queries(sample_cache)
    compute = sample_frame[(sample_frame["ServiceCategory"] == "Compute") & (days(sample_frame) >= dt.date(2026, 11, 1))
                           & (days(sample_frame) <= AS_OF)]
    for budget in parse_budgets(BUDGETS):
        expected = evaluate(q, budget, AS_OF)
        row = _row(at, budget.name)
        assert row["actual"] == round(expected.actual) and row["forecast"] == round(expected.forecast)
        assert row["status"] == expected.status and row["period"] == expected.period.key
    assert _row(at, "Compute")["actual"] == round(compute["EffectiveCost"].sum())
    assert _row(at, "Compute")["alerts"] == ""  # 50% of a million is not reached in half a month
    assert _row(at, "Storage small")["status"] == "over" and _row(at, "Storage small")["alerts"] == "actual 100%"
    assert _row(at, "Whole bill FY")["period"] == "FY2027"
    assert metric(at, "Over").value == "1" and metric(at, "Budgets").value == "3"


def test_the_burn_chart_shows_actual_forecast_and_the_amount(budgets_page, sample_cache):
    import pyarrow as pa

    at = budgets_page
    at.selectbox(key="bu_pick").set_value("Compute").run()
    frames = [pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in at.get("vega_lite_chart")[0].proto.datasets]
    expected = evaluate(local_queries(sample_cache), parse_budgets(BUDGETS)[0], AS_OF)
    actual = next(f for f in frames if "actual" in f and f["actual"].notna().any())
    assert actual["actual"].max() == pytest.approx(expected.actual, abs=0.01)  # cumulative to date
    forecast = next(f for f in frames if "forecast" in f and f["forecast"].notna().any())
    assert forecast["forecast"].iloc[-1] == pytest.approx(expected.forecast, abs=0.01)
    assert forecast["day"].max().date() == dt.date(2026, 11, 30)  # drawn to the period end
    assert any("amount" in f and f["amount"].iloc[0] == 1_000_000 for f in frames)
    assert metric(at, "Amount").value == "$1,000,000"
    assert at.query_params["budget"] == "Compute"


def _fill(at, **fields):
    for field, value in fields.items():
        if field == "amount":
            at.number_input(key="bu_f_amount").set_value(value)
        elif field == "period":
            at.selectbox(key="bu_f_period").set_value(value)
        elif field == "planned":
            at.text_area(key="bu_f_planned").input(value)
        else:
            at.text_input(key=f"bu_f_{field}").input(value)
    return button(at, "Save budget").click().run()


def test_a_budget_is_created_edited_and_deleted(budgets_page, workspace):
    at = _fill(budgets_page, name="Databases", scope="ServiceCategory=Databases; ProviderName=AWS|Microsoft",
               amount=50000.0, on_actual="80, 100", owner="db@example.com")
    saved = yaml.safe_load((workspace / "budgets.yaml").read_text())["budgets"]
    assert saved[-1] == {"name": "Databases", "scope": {"ProviderName": ["AWS", "Microsoft"],
                                                        "ServiceCategory": "Databases"},
                         "period": "month", "amount": 50000, "alerts": [{"actual": 80}, {"actual": 100},
                                                                         {"forecast": 100}],
                         "owner": "db@example.com"}
    assert "Saved budget 'Databases'." in at.success[0].value
    assert at.selectbox(key="bu_edit").value == "Databases"  # the saved budget stays in the editor
    assert "Databases" in list(at.dataframe[0].value["name"])

    at = _fill(at, amount=60000.0)
    assert yaml.safe_load((workspace / "budgets.yaml").read_text())["budgets"][-1]["amount"] == 60000
    at.checkbox(key="bu_sure").check().run()
    button(at, "Delete budget").click().run()
    names = [b["name"] for b in yaml.safe_load((workspace / "budgets.yaml").read_text())["budgets"]]
    assert names == ["Compute", "Storage small", "Whole bill FY"]


@pytest.mark.parametrize(("fields", "message"), [
    ({"name": "Typo", "scope": "ServiceCategory=Quantum", "amount": 10.0},
     "budget 'Typo', field scope: ServiceCategory: no cost has the value 'Quantum'"),
    ({"name": "Typo", "scope": "SubAcountName=x", "amount": 10.0}, "unknown dimension 'SubAcountName'"),
    ({"name": "compute", "amount": 10.0}, "field name: another budget has this name"),
    ({"name": "Plan", "period": "quarter", "planned": "2027-01: 5"},
     "field amounts: period key '2027-01' does not name a quarter"),
    ({"name": "Bad scope", "scope": "ServiceCategory"}, "field scope: 'ServiceCategory' is not written dimension=value"),
])
def test_invalid_budgets_are_named_and_nothing_is_saved(budgets_page, workspace, fields, message):
    at = _fill(budgets_page, **fields)
    assert message in at.error[0].value.replace("\\", "")
    assert (workspace / "budgets.yaml").read_text() == BUDGETS


def test_a_save_over_someone_elses_save_is_refused(budgets_page, workspace):
    from analysis.budgets.store import BudgetStore

    store = BudgetStore(workspace)
    text, token = store.read()
    store.save(text.replace("amount: 1000\n", "amount: 2000\n"), token)  # another session
    at = _fill(budgets_page, name="New one", amount=5.0)
    assert "Someone saved the budgets since this page was shown" in at.error[0].value
    assert "New one" not in (workspace / "budgets.yaml").read_text()
    assert "amount: 2000" in (workspace / "budgets.yaml").read_text()


def test_a_proposal_from_history_fills_the_amount(budgets_page, sample_frame):
    at = budgets_page
    at.text_input(key="bu_f_scope").input("ServiceCategory=Compute")
    at.slider(key="bu_p_months").set_value(2)
    at.number_input(key="bu_p_growth").set_value(10.0).run()
    months = sample_frame[(sample_frame["ServiceCategory"] == "Compute") & (days(sample_frame) >= dt.date(2026, 9, 1))
                          & (days(sample_frame) < dt.date(2026, 11, 1))]
    expected = round(months["EffectiveCost"].sum() / 2 * 1.1)
    assert f"**${expected:,}**" in "".join(m.value for m in at.markdown)
    button(at, "Use this amount").click().run()
    assert at.number_input(key="bu_f_amount").value == expected


def test_without_budgets_the_page_says_how_to_start(app):
    at = app.run()
    at.switch_page("../pages/budgets.py").run()
    assert "No budgets yet" in at.info[0].value
    assert at.selectbox(key="bu_edit").value == "(new budget)"


def test_an_unreadable_budget_file_is_named_and_kept(app, workspace):
    workspace.mkdir(parents=True)
    (workspace / "budgets.yaml").write_text("budgets:\n- name: A\n  amount: -5\n")
    at = app.run()
    at.switch_page("../pages/budgets.py").run()
    assert "budgets.yaml, budget 'A', field amount" in at.error[0].value.replace("\\", "")
    assert (workspace / "budgets.yaml").read_text() == "budgets:\n- name: A\n  amount: -5\n"
