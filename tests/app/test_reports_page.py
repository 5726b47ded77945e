"""The Reports page: the month picker defaults to the last complete month, the button makes the finance pack,
and the downloaded bytes are a workbook whose month total is pandas'; a bad scope is an error, not a traceback."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from analysis.reports.pack import SHEETS
from tests.app.conftest import button, days


def _reports(app):
    at = app.run()
    at.switch_page("../pages/reports.py").run()
    return at


def test_the_button_makes_the_pack_of_the_last_complete_month(app, downloads, sample_frame):
    at = _reports(app)
    assert at.selectbox(key="rp_month").value == dt.date(2026, 10, 1)
    assert at.selectbox(key="rp_metric").value == "EffectiveCost"
    assert not at.get("download_button")
    button(at, "Make the finance pack").click().run()
    assert at.get("download_button")
    (name,) = [n for n in downloads if n.startswith("finance_pack")]
    assert name == "finance_pack_EffectiveCost_USD_2026-10.xlsx"
    book = load_workbook(io.BytesIO(downloads[name]))
    assert book.sheetnames == [s for s in SHEETS if s != "Budgets"]  # this workspace holds no budgets
    figures = {a.value: b.value for a, b in book["Summary"].iter_rows(max_col=2) if a.value}
    october = sample_frame[(days(sample_frame) >= dt.date(2026, 10, 1)) & (days(sample_frame) < dt.date(2026, 11, 1))]
    assert figures["Month total EffectiveCost (USD)"] == pytest.approx(october["EffectiveCost"].sum(), abs=0.005)
    assert f"{round(october['EffectiveCost'].sum()):,}" in at.success[0].value  # the month total, as the summary says


def test_a_scope_and_another_metric_give_their_own_pack(app, downloads, sample_frame):
    at = _reports(app)
    at.selectbox(key="rp_month").select(dt.date(2026, 9, 1))
    at.selectbox(key="rp_metric").select("BilledCost")
    at.text_input(key="rp_scope").input("ProviderName=Google Cloud")
    button(at, "Make the finance pack").click().run()
    book = load_workbook(io.BytesIO(downloads["finance_pack_BilledCost_USD_2026-09.xlsx"]))
    figures = {a.value: b.value for a, b in book["Summary"].iter_rows(max_col=2) if a.value}
    rows = sample_frame[(days(sample_frame) >= dt.date(2026, 9, 1)) & (days(sample_frame) < dt.date(2026, 10, 1))
                        & (sample_frame["ProviderName"] == "Google Cloud")]
    assert figures["Month total BilledCost (USD)"] == pytest.approx(rows["BilledCost"].sum(), abs=0.005)
    assert figures["Scope"] == "Provider: Google Cloud"


@pytest.mark.parametrize(("scope", "message"), [("ProviderName=Nope", "'Nope'"), ("Colour", "dimension=value")])
def test_a_bad_scope_is_an_error_not_a_traceback(app, scope, message):
    at = _reports(app)
    at.text_input(key="rp_scope").input(scope)
    button(at, "Make the finance pack").click().run()
    assert any(message in e.value for e in at.error)
    assert not at.get("download_button")
