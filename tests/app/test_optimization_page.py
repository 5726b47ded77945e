"""The Optimization page: its KPIs, tables and ranked opportunities equal the analysis on the same view,
the eligible scope and the assumptions change them, an opportunity goes to Scenarios as a lever and is saved
there, a bill without commitments says what it cannot compute, and a viewer gets no Send control."""

import datetime as dt

import pandas as pd
import pytest
import yaml

from analysis.optimize.commitments import commitment_view
from analysis.optimize.opportunities import Assumptions, find_opportunities
from analysis.query import Filters, local_queries
from analysis.store.cache import FocusCache
from app.ui import money
from tests.app.conftest import RANGE_START, app_test, button, metric
from tests.app.test_roles import EDITOR, VIEWER
from tests.conftest import SAMPLE_END

VIEW = Filters(RANGE_START, SAMPLE_END, currency="USD")  # the sidebar's default range


@pytest.fixture
def page(app):
    at = app.run()
    return at.switch_page("../pages/optimization.py").run()


def _table(at, column: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_the_commitment_figures_equal_the_analysis(page, sample_cache):
    expected = commitment_view(local_queries(sample_cache), VIEW)
    assert metric(page, "Utilization").value == f"{expected.utilization.value:.1%}"
    assert metric(page, "Unused commitment cost").value == money(expected.unused_cost.value, "USD")
    assert metric(page, "Coverage of eligible usage").value == f"{expected.coverage.share.value:.1%}"
    assert metric(page, "Effective savings rate").value == f"{expected.savings_rate.value:.2%}"
    table = _table(page, "Commitment")
    assert sorted(table["Unused cost"].round(6)) == sorted(expected.commitments["unused_cost"].round(6))
    assert set(table["Basis"]) == {"quantity"} and set(table["Unit"]) == {"USD", "Hours"}
    assert not page.info  # nothing the sample cannot compute


def test_the_eligible_scope_changes_coverage_as_the_analysis_does(page, sample_cache):
    page.multiselect(key="op_eligible").unselect("Databases").run()
    expected = commitment_view(local_queries(sample_cache), VIEW, ("Compute",))
    assert metric(page, "Coverage of eligible usage").value == f"{expected.coverage.share.value:.1%}"


def test_the_ranked_list_equals_the_analysis_and_follows_the_assumptions(page, sample_cache):
    q = local_queries(sample_cache)
    found = find_opportunities(q, VIEW, VIEW.end)
    listed = _table(page, "Opportunity")
    assert list(listed["Opportunity"]) == [o.title for o in found.opportunities]
    assert list(listed["Monthly savings"].round(6)) == [round(o.monthly_savings, 6) for o in found.opportunities]
    total = sum(o.monthly_savings for o in found.opportunities)
    assert metric(page, "Potential savings a month").value == money(total, "USD")
    page.number_input(key="op_discount").set_value(35.0).run()
    cheaper = find_opportunities(q, VIEW, VIEW.end, Assumptions(commitment_discount=0.35))
    new = {o.title: o.monthly_savings for o in cheaper.opportunities if o.kind == "commitment"}
    shown = _table(page, "Opportunity").set_index("Opportunity")["Monthly savings"]
    assert new and all(shown[title] == pytest.approx(value, rel=1e-9) for title, value in new.items())


def test_an_opportunity_is_sent_to_scenarios_and_saved_there(page, workspace, sample_cache):
    found = find_opportunities(local_queries(sample_cache), VIEW, VIEW.end)
    index = next(i for i, o in enumerate(found.opportunities) if o.kind == "commitment")
    page.selectbox(key="op_pick").select(index).run()
    assert "Method." in " ".join(m.value for m in page.markdown)
    button(page, "Send to Scenarios").click().run()
    assert page.title[0].value == "Scenarios"
    assert any("New scenario from the Optimization page" in i.value.replace("\\", "") for i in page.info)
    page.switch_page("../pages/scenarios.py").run()  # AppTest reruns its own page, not the one switched to
    button(page, "Save scenario").click().run()
    (saved,) = (workspace / "scenarios").glob("optimization-*.yaml")
    lever = found.opportunities[index].lever
    text = yaml.safe_load(saved.read_text())
    assert text["levers"] == [{"kind": "commitment", "scope": {"ProviderName": lever["scope"]["ProviderName"][0]},
                               "from": lever["from"], "percent": lever["percent"], "discount": 20,
                               "term_months": 12}]


def test_a_viewer_reads_the_page_but_sends_nothing(sample_cache, tmp_path, monkeypatch):
    from tests.app.test_roles import ACCESS
    from tests.app.test_sign_in import AUTH

    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "access.yaml").write_text(ACCESS)
    monkeypatch.setenv("FINOPS_CACHE_DIR", str(sample_cache.root))
    monkeypatch.setenv("FINOPS_WORKSPACE", str(workspace))
    for user, allowed in ((VIEWER, False), (EDITOR, True)):
        at = app_test()
        at.secrets["auth"] = AUTH
        at.user = {"is_logged_in": True, "email_verified": True} | user
        at.run()
        at.switch_page("../pages/optimization.py").run()
        found = find_opportunities(local_queries(sample_cache), VIEW, VIEW.end)
        at.selectbox(key="op_pick").select(next(i for i, o in enumerate(found.opportunities) if o.lever)).run()
        assert ("Send to Scenarios" in {b.label for b in at.button}) is allowed


def test_a_bill_without_commitments_or_list_prices_says_what_it_cannot_compute(sample_frame, tmp_path, monkeypatch):
    day = sample_frame["ChargePeriodStart"].dt.date
    bare = sample_frame[(day >= dt.date(2026, 9, 1)) & sample_frame["CommitmentDiscountId"].isna()].assign(
        ListCost=float("nan"), Tags=None)
    cache = FocusCache(tmp_path / "cache")
    cache.add_source([bare], "bare.csv")
    monkeypatch.setenv("FINOPS_CACHE_DIR", str(cache.root))
    monkeypatch.setenv("FINOPS_WORKSPACE", str(tmp_path / "workspace"))
    at = app_test().run()
    at.switch_page("../pages/optimization.py").run()
    assert metric(at, "Utilization").value == "n/a" and metric(at, "Effective savings rate").value == "n/a"
    assert metric(at, "Unused commitment cost").value == "—"
    notes = " ".join(i.value.replace("\\", "") for i in at.info)
    assert "utilization: no commitment discount rows" in notes
    assert "effective savings rate: ListCost is empty on" in notes
    assert "non-production schedules: no environment tag" in notes
    assert "unused commitments: no Unused commitment rows in the window" in notes


def test_the_workbook_holds_the_figures_and_the_ranked_list(downloads, page, sample_cache):
    from tests.app.conftest import workbook_of

    book = workbook_of(downloads, "optimization_EffectiveCost_USD")
    assert book.sheetnames == ["Cover", "KPIs", "Commitments", "By month", "Savings", "Opportunities"]
    kpis = {r[0].value: r[1].value for r in book["KPIs"].iter_rows(min_row=2) if r[0].value}
    expected = commitment_view(local_queries(sample_cache), VIEW)
    assert kpis["Utilization"] == pytest.approx(expected.utilization.value, abs=1e-9)
    assert kpis["Unused commitment cost"] == pytest.approx(expected.unused_cost.value, abs=0.005)
    ws = book["Opportunities"]
    (table,) = ws.tables.values()
    rows = [[c.value for c in row] for row in ws[table.ref]]
    found = find_opportunities(local_queries(sample_cache), VIEW, VIEW.end)
    assert rows[0][:3] == ["Opportunity", "Kind", "Monthly savings (EffectiveCost, USD)"]
    assert [r[2] for r in rows[1:]] == pytest.approx([o.monthly_savings for o in found.opportunities], abs=0.005)
    assert book["By month"]["B2"].number_format.endswith("%")
