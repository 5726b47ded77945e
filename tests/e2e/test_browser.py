"""A real `streamlit run` on a free port, driven by Playwright in Debian's headless Chromium."""

import os
import re
import shutil

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from tests.fixture_paths import FIXTURES, SAMPLE_1000
from tests.servers import streamlit_server

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def app_url(sample_cache, tmp_path_factory):
    own = tmp_path_factory.mktemp("e2e") / "cache"
    shutil.copytree(sample_cache.root, own)  # uploads below must not change the shared sample cache
    env = dict(os.environ, FINOPS_CACHE_DIR=str(own),
               FINOPS_WORKSPACE=str(tmp_path_factory.mktemp("workspace")))
    with streamlit_server(env) as url:
        yield url


def _no_exception(page) -> None:
    page.wait_for_timeout(300)
    page.wait_for_load_state("networkidle")
    errors = page.locator("[data-testid='stException']").all_inner_texts()
    assert errors == [], errors[0][:2000] if errors else ""


def _choose(page, box, option: str) -> None:
    """Pick `option` in a multiselect. Right after a page has drawn, the first click can land before the box
    takes clicks and leaves it focused but closed, so click until the list shows (as a person would)."""
    for _ in range(10):
        box.click()
        listed = page.get_by_role("option", name=option)
        try:
            listed.wait_for(timeout=1_000)
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            continue
        listed.click()
        page.keyboard.press("Escape")
        return
    raise AssertionError(f"the list of {box.inner_text()!r} never showed {option!r}")


def _kpi(page, label: str) -> str:
    metric = page.locator("[data-testid='stMetric']", has_text=label).first
    return metric.locator("[data-testid='stMetricValue']").inner_text()


def test_every_page_opens_and_a_filter_changes_a_kpi(page, app_url):
    page.goto(app_url)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible(timeout=60_000)
    expect(page.locator("[data-testid='stMetric']").first).to_be_visible(timeout=60_000)
    _no_exception(page)
    before = _kpi(page, "Month to date")
    assert re.match(r"^\$[\d,]+$", before)

    provider = page.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect']", has_text="Provider")
    _choose(page, provider, "Microsoft")
    expect(page.locator("[data-testid='stMetric']", has_text="Month to date")
           .locator("[data-testid='stMetricValue']")).not_to_have_text(before, timeout=30_000)
    after = _kpi(page, "Month to date")
    assert after != before
    assert "provider=Microsoft" in page.url

    for link, title in (("Explore", "Explore"), ("Tags", "Tags"), ("Anomalies", "Anomalies"),
                        ("Forecast", "Forecast"), ("Optimization", "Optimization"), ("Allocation rules", "Allocation"),
                        ("Showback", "Showback"),
                        ("Budgets", "Budgets"), ("Scenarios", "Scenarios"), ("Reports", "Reports"),
                        ("Data", "Data"), ("Access", "Access"), ("Audit", "Audit")):
        page.locator("[data-testid='stSidebarNav']").get_by_role("link", name=link).click()
        expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible(timeout=60_000)
        page.wait_for_load_state("networkidle")
        _no_exception(page)
        # the provider filter is kept across page switches
        expect(provider).to_contain_text("Microsoft")

    page.locator("[data-testid='stSidebarNav']").get_by_role("link", name="Overview").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible(timeout=60_000)
    expect(page.locator("[data-testid='stMetric']", has_text="Month to date")
           .locator("[data-testid='stMetricValue']")).to_have_text(after, timeout=30_000)


def _upload(page, paths) -> None:
    """Choose files, wait until the uploader shows each of them sent to the server, then submit."""
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files([str(p) for p in paths])
    expect(page.locator("[data-testid='stFileChip']")).to_have_count(len(paths), timeout=30_000)
    expect(page.locator("[data-testid='stFileChipIconSpinner']")).to_have_count(0, timeout=30_000)
    page.get_by_role("button", name="Validate and load").click()


def test_upload_is_one_transaction_and_a_restated_month_replaces(page, app_url, tmp_path):
    page.goto(f"{app_url}/data")
    expect(page.get_by_role("heading", name="Data")).to_be_visible(timeout=60_000)
    rows_before = int(_kpi(page, "Rows").replace(",", ""))
    bad = tmp_path / "not_billing.csv"
    bad.write_text("name,age\nalice,31\nbob,42\n")
    _upload(page, [SAMPLE_1000, bad])  # one good, one bad: nothing may change
    error = page.locator("[data-testid='stAlert']", has_text="not_billing.csv")
    expect(error.first).to_be_visible(timeout=60_000)
    expect(error.first).to_contain_text("nothing changed")
    expect(page.get_by_text("ChargePeriodStart").first).to_be_visible()
    assert int(_kpi(page, "Rows").replace(",", "")) == rows_before

    notes = tmp_path / "notes.txt"  # not a billing file: the upload says why instead of doing nothing
    notes.write_text("call finance on Monday\n")
    _upload(page, [notes])
    expect(page.locator("[data-testid='stAlert']", has_text="notes.txt").first).to_contain_text(
        "doesn't look like FOCUS billing data", timeout=60_000)

    _upload(page, [SAMPLE_1000])
    expect(page.locator("[data-testid='stAlert']", has_text="focus_sample_1000.csv: 1,000 rows loaded")).to_be_visible(
        timeout=60_000)
    expect(page.locator("[data-testid='stMetric']", has_text="Rows").locator("[data-testid='stMetricValue']")
           ).to_have_text(f"{rows_before + 1000:,}", timeout=30_000)

    restated = tmp_path / "focus_sample_1000_restated.csv"  # the same month delivered again, one row fewer
    restated.write_text("".join(SAMPLE_1000.read_text(encoding="utf-8-sig").splitlines(keepends=True)[:-1]))
    _upload(page, [restated])
    done = page.locator("[data-testid='stAlert']", has_text="focus_sample_1000_restated.csv: 999 rows loaded")
    expect(done).to_be_visible(timeout=60_000)
    expect(done).to_contain_text("from 'focus_sample_1000.csv'")
    expect(page.locator("[data-testid='stMetric']", has_text="Rows").locator("[data-testid='stMetricValue']")
           ).to_have_text(f"{rows_before + 999:,}", timeout=30_000)
    _no_exception(page)


def test_native_exports_of_three_clouds_load_in_one_upload(page, app_url):
    """A legacy CUR (Parquet), Google's BigQuery export (JSON lines) and an OCI FOCUS report (gzipped CSV)."""
    page.goto(f"{app_url}/data")
    expect(page.get_by_role("heading", name="Data")).to_be_visible(timeout=60_000)
    rows_before = int(_kpi(page, "Rows").replace(",", ""))
    files = [FIXTURES / "aws" / "cur_legacy_parquet_2018-10-01.parquet",
             FIXTURES / "gcp" / "billing_export_standard.jsonl",
             next((FIXTURES / "oci" / "FOCUS Reports").rglob("*.csv.gz"))]
    _upload(page, files)
    done = page.locator("[data-testid='stAlert']", has_text="cur_legacy_parquet_2018-10-01.parquet: 3,685 rows loaded")
    expect(done).to_be_visible(timeout=90_000)
    expect(done).to_contain_text("billing_export_standard.jsonl: 13 rows loaded")
    expect(done).to_contain_text("0001000001600001-00001.csv.gz: 20 rows loaded")
    expect(page.locator("[data-testid='stMetric']", has_text="Rows").locator("[data-testid='stMetricValue']")
           ).to_have_text(f"{rows_before + 3685 + 13 + 20:,}", timeout=30_000)
    _no_exception(page)


def test_a_shared_link_opens_the_same_view(page, app_url, sample_frame):
    from tests.app.conftest import in_range

    page.goto(f"{app_url}/explore?provider=AWS&group=RegionId&grain=week&top=5&metric=BilledCost")
    expect(page.get_by_role("heading", name="Explore", exact=True)).to_be_visible(timeout=60_000)
    aws = in_range(sample_frame[sample_frame["ProviderName"] == "AWS"])
    caption = page.locator("[data-testid='stCaptionContainer']", has_text="in total")
    expect(caption).to_contain_text(f"${aws['BilledCost'].sum():,.2f} in total", timeout=60_000)
    expect(page.get_by_role("combobox", name="Grain")).to_have_value("Week")
    expect(page.get_by_role("combobox", name="Group by")).to_have_value(re.compile("Region"))
    expect(page.locator("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg").first
           ).to_be_visible(timeout=30_000)
    page.wait_for_load_state("networkidle")
    for kept in ("provider=AWS", "group=RegionId", "grain=week", "top=5", "metric=BilledCost"):
        assert kept in page.url
    _no_exception(page)
