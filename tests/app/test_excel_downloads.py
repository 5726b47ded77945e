"""Every page's "Download Excel": the workbook holds the view on screen, to the cent, with its context."""

from __future__ import annotations

import io
import zipfile

import pytest

from tests.app.conftest import AS_OF, RANGE_START, in_range, workbook_of


def _table(book, sheet):
    """The Excel Table of a sheet as (headers, rows of values)."""
    ws = book[sheet]
    (table,) = ws.tables.values()
    rows = [[c.value for c in row] for row in ws[table.ref]]
    return rows[0], rows[1:]


def _cover(book) -> dict:
    return {row[0].value: row[1].value for row in book["Cover"].iter_rows(min_row=3) if row[0].value}


def test_explore_workbook_is_the_table_on_screen(app, downloads, sample_frame):
    at = app.run()
    at.switch_page("../pages/explore.py").run()
    shown = at.dataframe[0].value
    book = workbook_of(downloads, "spend_by_ServiceName_month")
    assert book.sheetnames == ["Cover", "KPIs", "Table", "Chart data"]
    headers, rows = _table(book, "Table")
    assert headers[:2] == ["Service", "Total (EffectiveCost, USD)"]
    total = sum(r[1] for r in rows)
    expected = in_range(sample_frame)["EffectiveCost"].sum()
    assert total == pytest.approx(expected, abs=0.01) and total == pytest.approx(shown["Total"].sum(), abs=0.01)
    assert [r[0] for r in rows] == list(shown["Service"])
    ws = book["Table"]
    assert ws["B2"].data_type == "n" and ws["B2"].number_format.startswith('#,##0.00 "USD"')
    assert ws.freeze_panes == "A2"
    cover = _cover(book)
    assert cover["From"].date() == RANGE_START and cover["To (last day included)"].date() == AS_OF
    assert cover["Metric"] == "Effective cost (amortized) (EffectiveCost)" and cover["Currency"] == "USD"
    assert cover["Grouped by"] == "Service" and cover["Grain"] == "month"
    chart_headers, chart_rows = _table(book, "Chart data")
    assert chart_headers[0] == "Month" and chart_rows[0][0].day == 1  # real dates
    names = zipfile.ZipFile(io.BytesIO(next(v for k, v in downloads.items() if k.endswith(".xlsx")))).namelist()
    assert "xl/charts/chart1.xml" in names  # a native chart, not a picture

    at.selectbox(key="x_by").select("ProviderName").run()  # the workbook follows the view
    book = workbook_of(downloads, "spend_by_ProviderName_month")
    headers, rows = _table(book, "Table")
    assert headers[0] == "Provider" and {r[0] for r in rows} == set(sample_frame["ProviderName"])


def test_overview_workbook_has_the_kpis_and_the_charts_data(app, downloads, sample_frame, sample_cache):
    from analysis.query import local_queries
    from analysis.visibility.overview import kpis

    at = app.run()
    book = workbook_of(downloads, "overview_EffectiveCost_USD")
    assert book.sheetnames == ["Cover", "KPIs", "By provider", "By service category", "Largest increases",
                               "Largest decreases", "Tag coverage"]
    figures = {r[0].value: r[1] for r in book["KPIs"].iter_rows(min_row=2)}
    assert figures["Month to date"].number_format.startswith('#,##0.00 "USD"')
    assert figures["Month to date vs same days last month"].number_format == "0.0%"
    headers, rows = _table(book, "By provider")
    expected = in_range(sample_frame).groupby("ProviderName")["EffectiveCost"].sum()
    for provider, cost in expected.items():
        column = headers.index(f"{provider} (EffectiveCost, USD)")
        assert sum(r[column] for r in rows) == pytest.approx(cost, abs=0.01)
    expected_kpis = kpis(local_queries(sample_cache), at.session_state["view"].filters, "EffectiveCost")
    assert figures["Month to date"].value == pytest.approx(expected_kpis.month_to_date, abs=0.005)
    assert figures["Last 30 days"].value == pytest.approx(expected_kpis.last_30_days, abs=0.005)


def test_showback_workbook_adds_up_to_the_bill(app, downloads, sample_frame):
    at = app.run()
    at.switch_page("../pages/showback.py").run()
    book = workbook_of(downloads, "showback_Team")
    assert book.sheetnames == ["Cover", "Owners", "Owner x month", "By month"]
    headers, rows = _table(book, "Owner x month")
    total = sum(r[headers.index("total (EffectiveCost, USD)")] for r in rows)
    assert total == pytest.approx(in_range(sample_frame)["EffectiveCost"].sum(), abs=0.01)
    cover = _cover(book)
    assert cover["Allocation dimension"] == "Team" and len(cover["Allocation rules version"]) == 16


def test_tags_forecast_and_anomalies_workbooks_hold_what_the_pages_show(app, downloads):
    at = app.run()
    at.switch_page("../pages/tags.py").run()
    book = workbook_of(downloads, "tags_EffectiveCost")
    assert book.sheetnames[:3] == ["Cover", "KPIs", "Coverage"]
    kpis = {r[0].value: r[1].value for r in book["KPIs"].iter_rows(min_row=2)}
    untagged = next(m for m in at.metric if m.label == "Untagged cost").value
    assert f"${kpis['Untagged cost']:,.0f}" == untagged

    at.switch_page("../pages/forecast.py").run()
    book = workbook_of(downloads, "forecast_total_30d_EffectiveCost_USD")
    headers, rows = _table(book, "Projected periods")
    shown = next(d.value for d in at.dataframe if "kind" in d.value.columns)  # the projected periods
    assert [r[headers.index("forecast (EffectiveCost, USD)")] for r in rows] == pytest.approx(
        list(shown["forecast"]), abs=0.005)
    cover = _cover(book)
    assert cover["Horizon (days)"] == 30 and cover["Interval"] == "80%"

    at.switch_page("../pages/anomalies.py").run()
    book = workbook_of(downloads, "anomalies_EffectiveCost")
    headers, rows = _table(book, "Events")
    events = at.dataframe[0].value
    assert len(rows) == len(events)
    assert sorted(r[headers.index("impact (EffectiveCost, USD)")] for r in rows) == pytest.approx(
        sorted(events["impact"]), abs=0.005)


def test_budgets_and_scenarios_workbooks(app, downloads, workspace):
    import shutil

    from tests.conftest import ROOT

    workspace.mkdir(parents=True)
    shutil.copy(ROOT / "data" / "workspace" / "budgets.yaml", workspace)
    shutil.copytree(ROOT / "data" / "workspace" / "scenarios", workspace / "scenarios")
    at = app.run()
    at.switch_page("../pages/budgets.py").run()
    book = workbook_of(downloads, "budgets_EffectiveCost")
    headers, rows = _table(book, "Budgets")
    table = at.dataframe[0].value
    assert [r[0] for r in rows] == list(table["name"])
    assert [round(r[headers.index("actual (EffectiveCost, USD)")]) for r in rows] == list(table["actual"])
    assert book["Budgets"].cell(2, headers.index("used") + 1).number_format == "0.0%"  # a share, not money

    at.switch_page("../pages/scenarios.py").run()
    book = workbook_of(downloads, "scenarios_EffectiveCost")
    headers, rows = _table(book, "Monthly totals")
    table = at.dataframe[0].value
    assert [r[0] for r in rows] == list(table["month"])
    assert rows[-1][headers.index("Baseline (EffectiveCost, USD)")] == pytest.approx(table["Baseline"].iloc[-1], abs=1)
    assert {"Scenario 1 by month", "Scenario 1 levers", "Scenario 2 levers"} <= set(book.sheetnames)
