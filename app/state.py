"""Cached access to the query layer: small keys in, small frames out."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from analysis.cache import DEFAULT_CACHE, FocusCache
from analysis.query import CostQueries

WORKSPACE = Path(os.environ.get("FINOPS_WORKSPACE", Path(__file__).resolve().parents[1] / "data" / "workspace"))


def cache() -> FocusCache:
    """The FOCUS cache this app reads (`FINOPS_CACHE_DIR`, default data/cache)."""
    return FocusCache(os.environ.get("FINOPS_CACHE_DIR", DEFAULT_CACHE))


def version() -> int:
    """Cache version: part of every cache key, so a new load is seen at once."""
    return cache().version()


@st.cache_resource(max_entries=2, show_spinner=False)
def _queries(root: str, version: int) -> CostQueries:
    return FocusCache(root).queries()


def queries() -> CostQueries:
    """The query layer for the current cache version."""
    c = cache()
    return _queries(str(c.root), c.version())


@st.cache_data(max_entries=512, ttl=3600, show_spinner=False)
def _run(root: str, version: int, method: str, args: tuple, kwargs: tuple) -> object:
    return getattr(_queries(root, version), method)(*args, **dict(kwargs))


def ask(method: str, *args: object, **kwargs: object) -> object:
    """Call a `CostQueries` method through Streamlit's data cache (arguments must be hashable)."""
    c = cache()
    return _run(str(c.root), c.version(), method, args, tuple(sorted(kwargs.items())))


@st.cache_data(max_entries=128, ttl=3600, show_spinner=False)
def _computed(root: str, version: int, function: str, args: tuple, kwargs: tuple) -> object:
    import analysis.overview as overview

    return getattr(overview, function)(_queries(root, version), *args, **dict(kwargs))


def overview(function: str, *args: object, **kwargs: object) -> object:
    """Call an `analysis.overview` function on the query layer, cached."""
    c = cache()
    return _computed(str(c.root), c.version(), function, args, tuple(sorted(kwargs.items())))


def forget() -> None:
    """Drop cached results after the cache changed."""
    _run.clear()
    _computed.clear()
    _queries.clear()
