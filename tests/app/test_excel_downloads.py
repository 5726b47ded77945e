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
