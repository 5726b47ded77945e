"""Shared test set-up: the repository root on sys.path, fixture paths, and a small sample cache."""

import datetime as dt
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from analysis.store.cache import FocusCache

# A fixed end date keeps every expected number stable; mid-month makes month-to-date non-trivial.
SAMPLE_END = dt.date(2026, 11, 16)
SAMPLE_ROWS = 60_000


@pytest.fixture(scope="session")
def sample_frame() -> pd.DataFrame:
    """The small sample as one pandas frame: the independent side of every page assertion."""
    from analysis.sample import generate_sample

    return pd.concat(list(generate_sample(SAMPLE_ROWS, end=SAMPLE_END)), ignore_index=True)


@pytest.fixture(scope="session")
def sample_cache(tmp_path_factory, sample_frame) -> FocusCache:
    """A cache holding the small sample, built once per test process."""
    cache = FocusCache(tmp_path_factory.mktemp("sample-cache"))
    cache.add_source([sample_frame], "Embedded sample (generated)", kind="sample")
    return cache
