"""What the browser tests share: Debian's Chromium, headless, and one page per test module on its `app_url`."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@contextmanager
def chromium_page(width: int = 1400, **options: object) -> Iterator[Page]:
    """A page of a headless Debian Chromium started for the block (`options` as for `new_page`)."""
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            yield browser.new_page(viewport={"width": width, "height": 1000}, **options)
        finally:
            browser.close()


@pytest.fixture(scope="module")
def page(app_url):
    """A browser page for the module's app (each module defines `app_url`)."""
    with chromium_page() as page:
        yield page
