"""The AppTest fixture and helpers shared by every page test. Each run of the app fails the test when
the page raised an exception, so no test can pass over a broken page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT, SAMPLE_END

AS_OF = SAMPLE_END - dt.timedelta(days=1)
RANGE_START = dt.date(2026, 6, 1)  # the sidebar's default range: the last six calendar months


class CheckedAppTest(AppTest):
    """An AppTest whose every run fails the test if the script raised."""

    def run(self, *, timeout: float | None = None) -> CheckedAppTest:
        result = super().run(timeout=timeout)
        if result.exception:
            pytest.fail("the page raised: " + "; ".join(e.message for e in result.exception), pytrace=False)
        return result


def app_test(timeout: float = 120) -> CheckedAppTest:
    """The app's entry point under AppTest (set FINOPS_CACHE_DIR and FINOPS_WORKSPACE first)."""
    return CheckedAppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=timeout)


@pytest.fixture
def workspace(tmp_path) -> Path:
    return tmp_path / "workspace"


@pytest.fixture
def app(sample_cache, workspace, monkeypatch) -> CheckedAppTest:
    """The app on the small sample cache, with a workspace of its own."""
    monkeypatch.setenv("FINOPS_CACHE_DIR", str(sample_cache.root))
    monkeypatch.setenv("FINOPS_WORKSPACE", str(workspace))
    return app_test()


def days(frame: pd.DataFrame) -> pd.Series:
    """The charge day of each row."""
    return frame["ChargePeriodStart"].dt.date


def in_range(frame: pd.DataFrame, start: dt.date = RANGE_START, end: dt.date = SAMPLE_END) -> pd.DataFrame:
    """Rows charged in [start, end): by default the sidebar's default range."""
    return frame[(days(frame) >= start) & (days(frame) < end)]


def metric(at: AppTest, label: str):
    """The KPI with this label."""
    return next(m for m in at.metric if m.label == label)


def button(at: AppTest, label: str):
    """The button with this label."""
    return next(b for b in at.button if b.label == label)


def workbook_of(files: dict[str, bytes], prefix: str):
    """The one downloaded .xlsx whose name starts with `prefix`, opened with openpyxl."""
    import io

    from openpyxl import load_workbook

    (name,) = [n for n in files if n.startswith(prefix) and n.endswith(".xlsx")]
    return load_workbook(io.BytesIO(files[name]))
