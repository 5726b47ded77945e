"""Page speed at the browser: `python -m bench.pages [--cache DIR]`.

Starts `streamlit run` on a free port over a cache (default: a fresh copy of the app's sample cache in
data/cache, built when missing), then in headless Chromium times, for every page of the navigation, the
first visit after the server started and a later full reload, plus Forecast by service with the top 10.
A page counts as shown when its title is visible and its script has run to the end. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.servers import streamlit_server

ROOT = Path(__file__).resolve().parents[1]
PAGES = [("", "Overview"), ("explore", "Explore"), ("tags", "Tags"), ("anomalies", "Anomalies"),
         ("forecast", "Forecast"), ("optimization", "Optimization"), ("allocation", "Allocation"),
         ("showback", "Showback"), ("budgets", "Budgets"),
         ("scenarios", "Scenarios"), ("reports", "Reports"), ("data", "Data"), ("access", "Access"),
         ("audit", "Audit")]
CHROMIUM = "/usr/bin/chromium"


def _shown(page, title: str, timeout_ms: float = 180_000) -> None:
    page.get_by_role("heading", name=title, exact=True).wait_for(timeout=timeout_ms)
    page.wait_for_function(  # the script has run to its end: every figure on the page is there
        "() => document.querySelector('[data-testid=\"stApp\"]')?.getAttribute('data-test-script-state')"
        " === 'notRunning' && !document.querySelector('[data-testid=\"stSpinner\"]')", timeout=timeout_ms)


def _timed(page, url: str, title: str) -> float:
    started = time.perf_counter()
    page.goto(url)
    _shown(page, title)
    return round(time.perf_counter() - started, 2)


def measure(cache: Path) -> dict:
    """Seconds per page: the first visit after the server started, then a full reload; Forecast top 10."""
    workspace = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    shutil.copy(ROOT / "data" / "workspace" / "budgets.yaml", workspace)  # the pages show the examples
    shutil.copytree(ROOT / "data" / "workspace" / "scenarios", workspace / "scenarios")
    env = dict(os.environ, FINOPS_CACHE_DIR=str(cache), FINOPS_WORKSPACE=str(workspace))
    first, reload = {}, {}
    with streamlit_server(env) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        for path, title in PAGES:
            first[title] = _timed(page, f"{url}/{path}", title)
        for path, title in PAGES:
            reload[title] = _timed(page, f"{url}/{path}", title)
        by_service = _timed(page, f"{url}/forecast?dimension=ServiceName&fc_top=10", "Forecast")
        browser.close()
    shutil.rmtree(workspace, ignore_errors=True)
    return {"first_visit_s": first, "reload_s": reload, "forecast_by_service_top10_s": by_service}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, help="cache folder (default: a copy of the sample cache)")
    args = parser.parse_args()
    if args.cache:
        cache = args.cache
    else:
        cache = Path(tempfile.mkdtemp(prefix="bench-pages-cache-")) / "cache"
        subprocess.run([sys.executable, "-m", "analysis", "--cache", str(cache), "sample"], cwd=ROOT, check=True,
                       capture_output=True)
    result = measure(cache)
    for kind in ("first_visit_s", "reload_s"):
        print(kind, " ".join(f"{title} {seconds:.2f}" for title, seconds in result[kind].items()))
    print(f"forecast by service, top 10: {result['forecast_by_service_top10_s']:.2f} s")
    print(json.dumps({"cache": str(cache), **result}))


if __name__ == "__main__":
    main()
