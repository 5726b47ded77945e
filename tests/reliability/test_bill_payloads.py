"""Text from a bill stays text: Markdown payloads in names, tag keys and values, rule names and file
names never render as links, images, formatting or math on any page, and nothing raises."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analysis.store.cache import Delivery, FocusCache
from tests.app.conftest import app_test

IMAGE = "![pwned](http://evil.example/x.png)"
BOLD = "**pwned-bold**"
MATH = "$pwned^2$"
COLOUR = ":red[pwned]"
FORMULA = '=HYPERLINK("http://evil.example","click")'
PAYLOADS = (IMAGE, BOLD, MATH, COLOUR)
PAGES = ("overview", "explore", "tags", "anomalies", "forecast", "allocation", "showback", "data")
RULES = f"""dimensions:
  - name: Team
    rules:
      - name: "{BOLD} rule"
        when: {{tag: "{IMAGE}", present: true}}
        owner: "{MATH}"
      - name: By team tag
        when: {{tag: team, present: true}}
        owner_from_tag: team
shared:
  - name: "{COLOUR} support"
    dimension: Team
    when: {{column: ServiceName, equals: Support}}
    split: even
"""


def _bill() -> pd.DataFrame:
    days = pd.date_range("2026-06-01", periods=150, freq="D", tz="UTC")
    rows = []
    for i, day in enumerate(days):
        spike = 5_000.0 if i == 140 else 0.0
        for service, cost, tags in (
            (IMAGE, 100.0 + spike, {IMAGE: BOLD, "team": MATH}),
            (FORMULA, 80.0, {"team": COLOUR}),
            ("Support", 20.0, {}),
        ):
            rows.append({"ChargePeriodStart": day, "ChargePeriodEnd": day + pd.Timedelta(days=1),
                         "BilledCost": cost, "EffectiveCost": cost, "BillingCurrency": "USD",
                         "ProviderName": "AWS", "ServiceName": service, "SubAccountName": BOLD,
                         "RegionId": MATH, "ChargeCategory": "Usage", "ServiceCategory": "Compute",
                         "Tags": json.dumps(tags) if tags else None})
    frame = pd.DataFrame(rows)
    frame["BilledCost"] += np.arange(len(frame)) % 7  # some weekly texture
    frame["EffectiveCost"] = frame["BilledCost"]
    return frame


@pytest.fixture(scope="module")
def payload_app(tmp_path_factory):
    root = tmp_path_factory.mktemp("payloads")
    FocusCache(root / "cache").load([Delivery(f"{IMAGE}.csv", [_bill()], "p")])
    (root / "workspace").mkdir()
    (root / "workspace" / "allocation.yaml").write_text(RULES)
    return root


def _rendered(at: AppTest) -> list[str]:
    """Every text the page hands to Markdown: bodies, captions, alerts, headings, labels."""
    kinds = ("markdown", "caption", "error", "warning", "success", "info", "subheader", "title", "header")
    texts = [str(e.value) for kind in kinds for e in getattr(at, kind)]
    texts += [e.label for e in [*at.expander, *at.metric, *at.multiselect, *at.selectbox] if e.label]
    return texts


@pytest.mark.parametrize("page", PAGES)
def test_no_page_renders_bill_text_as_markdown(payload_app, page, monkeypatch):
    monkeypatch.setenv("FINOPS_CACHE_DIR", str(payload_app / "cache"))
    monkeypatch.setenv("FINOPS_WORKSPACE", str(payload_app / "workspace"))
    at = app_test()
    at.run()
    at.switch_page(f"../pages/{page}.py").run()
    assert not at.exception, at.exception
    texts = _rendered(at)
    assert texts  # the page rendered something
    for text in texts:
        for payload in PAYLOADS:
            assert payload not in text, f"{page}: {payload!r} reached Markdown unescaped in {text[:200]!r}"
    if page in SHOWN_ESCAPED:  # the bill's text is on these pages, escaped
        assert any(SHOWN_ESCAPED[page] in text for text in texts), page


SHOWN_ESCAPED = {
    "data": "\\!\\[pwned\\]\\(http\\:\u2060//evil\\.example/x\\.png\\)\\.csv",  # the file name
    "anomalies": "\\!\\[pwned\\]\\(http\\:\u2060//evil\\.example/x\\.png\\): spike",  # the event
    "showback": r"**\:red\[pwned\] support**",  # the shared-cost rule's name
}


WORKBOOK_PAGES = ("overview", "explore", "tags", "anomalies", "forecast", "showback")


@pytest.mark.parametrize("page", WORKBOOK_PAGES)
def test_bill_text_in_a_page_workbook_is_text_never_a_formula(payload_app, page, monkeypatch, downloads):
    import io

    from openpyxl import load_workbook

    monkeypatch.setenv("FINOPS_CACHE_DIR", str(payload_app / "cache"))
    monkeypatch.setenv("FINOPS_WORKSPACE", str(payload_app / "workspace"))
    at = app_test()
    at.run()
    downloads.clear()
    at.switch_page(f"../pages/{page}.py").run()
    assert not at.exception, at.exception
    (data,) = [v for k, v in downloads.items() if k.endswith(".xlsx")]
    book = load_workbook(io.BytesIO(data))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"], f"{page}: a formula in the workbook"
    texts = {c.value for c in cells if c.data_type == "s"}
    if page == "explore":  # its table names every service, the formula-looking one too, as written
        assert FORMULA in texts

