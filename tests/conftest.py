"""Shared test set-up: the repository root on sys.path, fixture paths, and a small sample cache."""

import datetime as dt
import os
import shutil
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


def tag_values(frame: pd.DataFrame, key: str) -> pd.Series:
    """The value of tag `key` (folded as the cache folds keys: `Team` = `team`, `cost-center` = `cost_center`)
    on each row of a FOCUS frame, from its JSON `Tags` column; None where it is absent."""
    import json
    import re

    def value(text: object) -> object:
        if not isinstance(text, str) or not text:
            return None
        found = [v for k, v in json.loads(text).items() if re.sub(r"[^a-z0-9]+", "_", k.lower()) == key]
        return found[0] if found else None

    return frame["Tags"].map(value)


@pytest.fixture
def downloads(monkeypatch) -> dict[str, bytes]:
    """The bytes of every file the page offered for download in its last runs, by file name: what a click
    on the download button would save (AppTest keeps them in Streamlit's in-memory media storage)."""
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    files: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def keep(self, path_or_data, mimetype, kind, filename=None):
        if isinstance(path_or_data, bytes) and filename:
            files[filename] = path_or_data
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", keep)
    return files


@pytest.fixture(autouse=True, scope="session")
def _own_workspace(tmp_path_factory):
    """Commands the tests run, here or as subprocesses, use a copy of the shipped workspace (its rules, budgets
    and scenarios), so that their saves and audit entries never land in the repository's data/workspace."""
    if "FINOPS_WORKSPACE" in os.environ:
        yield
        return
    copy = tmp_path_factory.mktemp("shipped") / "workspace"
    shutil.copytree(ROOT / "data" / "workspace", copy, ignore=shutil.ignore_patterns(".history", "audit.jsonl"))
    os.environ["FINOPS_WORKSPACE"] = str(copy)
    yield
    os.environ.pop("FINOPS_WORKSPACE", None)
