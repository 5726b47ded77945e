"""In a real browser: a bill whose names are formulas and Markdown downloads as CSV text that no
spreadsheet runs, and its names show on the page as written."""

import csv
import io
import os

import pytest
from playwright.sync_api import expect

from analysis.store.cache import Delivery, FocusCache
from tests.e2e.conftest import chromium_page
from tests.reliability.test_bill_payloads import FORMULA, RULES, _bill
from tests.servers import streamlit_server

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def payload_url(tmp_path_factory):
    root = tmp_path_factory.mktemp("payload-e2e")
    FocusCache(root / "cache").load([Delivery("payloads.csv", [_bill()], "p")])
    (root / "workspace").mkdir()
    (root / "workspace" / "allocation.yaml").write_text(RULES)
    env = dict(os.environ, FINOPS_CACHE_DIR=str(root / "cache"), FINOPS_WORKSPACE=str(root / "workspace"))
    with streamlit_server(env) as url:
        yield url


def test_explore_csv_neutralises_formulas_and_the_page_shows_names_as_written(payload_url, tmp_path):
    with chromium_page(accept_downloads=True) as page:
        page.goto(f"{payload_url}/anomalies")
        heading = page.get_by_role("heading", name="![pwned](http")  # the literal text, not an image
        expect(heading).to_be_visible(timeout=90_000)
        expect(heading).to_contain_text("evil.example/x.png): spike")
        assert page.locator("img[src*='evil.example'], a[href*='evil.example']").count() == 0  # no image, no link
        page.goto(f"{payload_url}/explore")
        button = page.get_by_role("button", name="Download this table (CSV)")
        expect(button).to_be_visible(timeout=90_000)
        with page.expect_download() as download:
            button.click()
        data = download.value.path().read_text()
        name = download.value.suggested_filename
    assert name.startswith("spend_by_ServiceName_month_EffectiveCost_USD_") and "_to_" in name
    rows = list(csv.reader(io.StringIO(data)))
    services = {row[0] for row in rows[1:]}
    assert "'" + FORMULA in services and FORMULA not in services
    assert all(len(cell.partition(".")[2]) <= 2 for row in rows[1:] for cell in row[1:])  # cents
    assert not [cell for row in rows for cell in row if cell[:1] in ("=", "+", "@") or cell.startswith("-") and
                not cell[1:2].isdigit()]
