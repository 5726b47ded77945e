"""The planning pages in a real browser: Budgets (the table, a sheet imported with row-numbered errors first)
and Scenarios opened from a shared link."""

import io
import os
import shutil

import openpyxl
import pytest
import yaml
from playwright.sync_api import expect

from tests.conftest import ROOT
from tests.e2e.conftest import chromium_page
from tests.e2e.test_browser import _no_exception
from tests.servers import streamlit_server

pytestmark = pytest.mark.e2e
HEADER = "name,scope,metric,period,fiscal_year_start,period_key,amount,owner\n"


@pytest.fixture(scope="module")
def budgets_url(sample_cache, tmp_path_factory):
    workspace = tmp_path_factory.mktemp("budget-workspace")
    shutil.copy(ROOT / "data" / "workspace" / "budgets.yaml", workspace / "budgets.yaml")
    env = dict(os.environ, FINOPS_CACHE_DIR=str(sample_cache.root), FINOPS_WORKSPACE=str(workspace))
    with streamlit_server(env) as url:
        yield url, workspace


def test_budgets_table_and_a_sheet_import(budgets_url, tmp_path):
    url, workspace = budgets_url
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "Network,ServiceCategory=Networking,EffectiveCost,month,1,,-50,net@example.com\n")
    good = tmp_path / "plan.csv"
    good.write_text(HEADER + "Network,ServiceCategory=Networking,EffectiveCost,month,1,,40000,net@example.com\n"
                    + "Network,ServiceCategory=Networking,EffectiveCost,month,1,2026-12,45000,net@example.com\n")
    with chromium_page(width=1440) as page:
        page.goto(f"{url}/budgets")
        expect(page.get_by_role("heading", name="Budgets", exact=True)).to_be_visible(timeout=60_000)
        expect(page.locator("[data-testid='stDataFrame']").first).to_be_visible(timeout=60_000)
        _no_exception(page)
        expect(page.locator("[data-testid='stMetric']", has_text="Budgets").first).to_contain_text("4")
        expect(page.locator("[data-testid='stVegaLiteChart']").first).to_be_visible()
        with page.expect_download() as view_download:  # the view as a workbook
            page.get_by_role("button", name="Download Excel").click()
        assert view_download.value.suggested_filename.startswith("budgets_EffectiveCost_USD")
        view_book = openpyxl.load_workbook(io.BytesIO(view_download.value.path().read_bytes()))
        assert view_book.sheetnames == ["Cover", "KPIs", "Budgets", "Burn"]
        assert view_book["Budgets"]["A2"].value == "Platform team"

        page.get_by_role("tab", name="Import or export a sheet").click()
        with page.expect_download() as download:
            page.get_by_role("button", name="Download the sheet (.xlsx)").click()
        assert download.value.suggested_filename == "budgets.xlsx"
        book = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()))
        assert [c.value for c in book.active[1]] == HEADER.strip().split(",")
        assert book.active.max_row == 6  # four budgets, the whole bill with two planned years

        uploader = page.locator("[data-testid='stFileUploaderDropzoneInput']")
        uploader.set_input_files(str(bad))
        expect(page.locator("[data-testid='stAlertContentError']")).to_contain_text(
            "row 2 (budget 'Network'), field amount", timeout=30_000)
        uploader.set_input_files(str(good))
        save = page.get_by_role("button", name="Save 1 imported budget")
        expect(save).to_be_visible(timeout=30_000)
        save.click()
        expect(page.locator("[data-testid='stAlertContentSuccess']")).to_contain_text("Imported 1 budget", timeout=30_000)
        _no_exception(page)
    saved = yaml.safe_load((workspace / "budgets.yaml").read_text())["budgets"]
    network = next(b for b in saved if b["name"] == "Network")
    assert network["amount"] == 40000 and network["amounts"] == {"2026-12": 45000}
    assert len(saved) == 5  # the four shipped budgets are kept


def test_scenarios_page_compares_the_examples_from_a_link(budgets_url):
    url, workspace = budgets_url
    shutil.copytree(ROOT / "data" / "workspace" / "scenarios", workspace / "scenarios", dirs_exist_ok=True)
    with chromium_page(width=1440) as page:
        page.goto(f"{url}/scenarios?compare=Savings+plan+and+Azure+exit&months=6&budget=Whole+bill")
        expect(page.get_by_role("heading", name="Scenarios", exact=True)).to_be_visible(timeout=60_000)
        expect(page.locator("[data-testid='stVegaLiteChart']").first).to_be_visible(timeout=60_000)
        _no_exception(page)
        expect(page.get_by_role("tab", name="Savings plan and Azure exit")).to_be_visible()
        expect(page.locator("[data-testid='stMain'] [data-testid='stMultiSelect']").first).to_contain_text("Savings plan and Azure exit")
        expect(page.locator("[data-testid='stMain'] [data-testid='stMultiSelect']").first).not_to_contain_text("Compute growth")
        expect(page.get_by_text("is spread evenly over the months")).to_be_visible()  # a yearly budget, monthly


def test_an_opportunity_goes_to_scenarios_and_the_filters_come_along(budgets_url):
    url, workspace = budgets_url
    with chromium_page(width=1440) as page:
        page.goto(f"{url}/optimization?provider=AWS")
        expect(page.get_by_role("heading", name="Optimization", exact=True)).to_be_visible(timeout=60_000)
        page.get_by_role("button", name="Send to Scenarios").click(timeout=60_000)
        expect(page.get_by_role("heading", name="Scenarios", exact=True)).to_be_visible(timeout=60_000)
        expect(page.get_by_text("New scenario from the Optimization page")).to_be_visible(timeout=60_000)
        _no_exception(page)
        # the sidebar kept its filters through the switch (st.switch_page used to drop the widgets' state)
        sidebar = page.locator("[data-testid='stSidebar']")
        dates = sidebar.locator("[data-testid='stDateInput'] input")
        expect(dates.nth(1)).to_have_value("2026-11-15", timeout=30_000)  # the range's end is still there
        expect(dates.first).to_have_value("2026-06-01")
        expect(sidebar.locator("[data-testid='stMultiSelect']", has_text="Provider")).to_contain_text("AWS")
        expect(sidebar).not_to_contain_text("Pick the last day too")
        page.get_by_role("button", name="Save scenario").click()
        expect(page.get_by_text("Saved scenario 'Optimization:", exact=False)).to_be_visible(timeout=60_000)
    (saved,) = (workspace / "scenarios").glob("optimization-*.yaml")
    assert yaml.safe_load(saved.read_text())["levers"][0]["kind"] in {"growth", "commitment"}
