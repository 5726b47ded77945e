"""Cached access to the query layer: small keys in, small frames out.

The engine is DuckDB over the local cache, or Snowflake when `.streamlit/secrets.toml` has a
`[snowflake]` section (connection settings for snowflake-connector-python).
"""

from __future__ import annotations

import importlib
import os
import threading
from pathlib import Path

import streamlit as st

from analysis.store.cache import DEFAULT_CACHE, FocusCache
from analysis.dimensions import is_allocation
from analysis.query import CostQueries, Filters
from analysis.query import local_queries

REPO_WORKSPACE = Path(__file__).resolve().parents[1] / "data" / "workspace"  # shipped defaults


def workspace() -> Path:
    """The user's workspace folder (`FINOPS_WORKSPACE`, default data/workspace): policies, rules."""
    return Path(os.environ.get("FINOPS_WORKSPACE", REPO_WORKSPACE))


def cache() -> FocusCache:
    """The FOCUS cache this app reads (`FINOPS_CACHE_DIR`, default data/cache)."""
    return FocusCache(os.environ.get("FINOPS_CACHE_DIR", DEFAULT_CACHE))


def tag_labels() -> dict[str, str]:
    """`tag:<key>` -> the key as users write it (`tag:cost_center` -> `cost-center`)."""
    return cache().tag_keys()


def dimension_label(dimension: str) -> str:
    """Label of a dimension for widgets, tag keys spelled as users write them."""
    from analysis.dimensions import is_tag, label

    return f"Tag: {tag_labels().get(dimension, dimension[4:])}" if is_tag(dimension) else label(dimension)


def tag_coverage(filters, metric: str):
    """Tag coverage per key, keys spelled as users write them."""
    frame = ask("tag_coverage", filters, metric).copy()
    labels = tag_labels()
    frame["key"] = [labels.get("tag:" + k, k) for k in frame["key"]]
    return frame


def snowflake_settings() -> dict | None:
    """Connection settings from the `[snowflake]` secrets section, or None for the local engine."""
    try:
        return dict(st.secrets["snowflake"]) if "snowflake" in st.secrets else None
    except FileNotFoundError:
        return None


def engine_name() -> str:
    return "Snowflake" if snowflake_settings() else "DuckDB (local cache)"


def engine_problem() -> str | None:
    """Why the query engine cannot be used (a Snowflake login that fails), or None when it can."""
    from analysis.store.snowflake import SnowflakeConnectionError

    try:
        _queries(*_key())
    except SnowflakeConnectionError as error:
        return str(error)
    return None


def _key() -> tuple[str, int]:
    """Cache key of the data: where it lives and its version (Snowflake data is refreshed hourly)."""
    settings = snowflake_settings()
    if settings:
        return "snowflake:" + repr(sorted((k, str(v)) for k, v in settings.items() if k != "password")), 0
    c = cache()
    return str(c.root), c.version()


@st.cache_resource(max_entries=2, show_spinner=False, ttl=3600)
def _queries(root: str, version: int) -> CostQueries:
    if root.startswith("snowflake:"):
        from analysis.query import snowflake_queries
        from analysis.store.snowflake import connect

        return snowflake_queries(connect(**snowflake_settings()))
    return local_queries(FocusCache(root))


# One DuckDB connection serves every session; Streamlit runs sessions (and an interrupted rerun beside
# its successor) in separate threads, so queries on it take turns.
_ENGINE_LOCK = threading.RLock()


def _with_rules(root: str, version: int, rules_text: str | None) -> CostQueries:
    q = _queries(root, version)
    if rules_text is None:
        return q
    from analysis.allocation.rules import parse_rules

    return q.with_rules(parse_rules(rules_text))


def _rules_for(args: tuple, wanted: bool = False) -> str | None:
    """The saved rules' text when asked for, or when a filter uses an allocation dimension."""
    def mentions(value: object) -> bool:
        if isinstance(value, Filters):
            return any(is_allocation(d) for d in value.dimensions)
        if isinstance(value, tuple | list):
            return any(mentions(v) for v in value)
        return isinstance(value, str) and is_allocation(value)

    uses = wanted or mentions(args)
    return saved_rules_text() if uses else None


@st.cache_data(max_entries=512, ttl=3600, show_spinner=False)
def _run(root: str, version: int, method: str, args: tuple, kwargs: tuple, rules_text: str | None = None) -> object:
    with _ENGINE_LOCK:
        return getattr(_with_rules(root, version, rules_text), method)(*args, **dict(kwargs))


def ask(method: str, *args: object, with_rules: bool = False, **kwargs: object) -> object:
    """Call a `CostQueries` method through Streamlit's data cache (arguments must be hashable).

    `with_rules=True` applies the saved allocation rules, so `alloc:<dimension>` can be used.
    """
    return _run(*_key(), method, args, tuple(sorted(kwargs.items())), _rules_for(args, with_rules))


def saved_rules_text() -> str:
    """The saved allocation rules, or the shipped sample rules when none are saved yet."""
    from analysis.allocation.store import RuleStore

    text, _ = RuleStore(workspace()).read()
    return text or (REPO_WORKSPACE / "allocation.yaml").read_text()


TOTAL = "(total)"


def scope_dimensions() -> list[str]:
    """What a monitor or a forecast can be split by: `TOTAL` first, then the usual dimensions, the tag
    keys and the allocation dimensions."""
    return [TOTAL, "ProviderName", "SubAccountName", "ServiceName", "RegionId", *ask("tag_keys"),
            *allocation_dimensions()]


def scope_label(dimension: str) -> str:
    """"Total spend" for `TOTAL`, else the dimension's label."""
    return "Total spend" if dimension == TOTAL else dimension_label(dimension)


def allocation_dimensions() -> list[str]:
    """`alloc:<name>` for each dimension of the saved rules (none when they are invalid)."""
    from analysis.allocation.rules import RulesError, parse_rules

    try:
        return [f"alloc:{d.name}" for d in parse_rules(saved_rules_text()).dimensions]
    except RulesError:
        return []


@st.cache_data(max_entries=128, ttl=3600, show_spinner=False)
def _computed(root: str, version: int, function: str, args: tuple, kwargs: tuple, rules_text: str | None) -> object:
    module, name = function.rsplit(".", 1)
    with _ENGINE_LOCK:
        q = _with_rules(root, version, rules_text)
        return getattr(importlib.import_module(f"analysis.{module}"), name)(q, *args, **dict(kwargs))


def compute(function: str, *args: object, **kwargs: object) -> object:
    """Call `analysis.<module>.<function>(queries, ...)`, e.g. `compute("overview.kpis", filters)`, cached."""
    return _computed(*_key(), function, args, tuple(sorted(kwargs.items())), _rules_for(args))


def overview(function: str, *args: object, **kwargs: object) -> object:
    """Call an `analysis.visibility.overview` function on the query layer, cached."""
    return compute(f"visibility.overview.{function}", *args, **kwargs)


def anomaly_scan(*args: object) -> tuple:
    """Events and bands of an anomaly monitor (`analysis.anomalies.monitor.scan`), cached."""
    return compute("anomalies.monitor.scan", *args)


def anomaly_explain(*args: object):
    """Root cause of one anomalous day (`analysis.anomalies.monitor.root_cause`), cached."""
    return compute("anomalies.monitor.root_cause", *args)


def forecast_view(*args: object):
    """Daily forecast, reconciled parts and period projections (`analysis.forecast.report.forecast_view`), cached."""
    return compute("forecast.report.forecast_view", *args)


def forecast_accuracy(*args: object):
    """Backtest of a forecast model against seasonal naive (`analysis.forecast.report.accuracy`), cached."""
    return compute("forecast.report.accuracy", *args)


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def _allocated(root: str, version: int, method: str, rules_text: str, args: tuple) -> object:
    from analysis.allocation.split import load_metric_tables

    filters, *rest = args
    with _ENGINE_LOCK:
        q = _with_rules(root, version, rules_text)
        extra = {"metrics": load_metric_tables(q.rules, workspace())} if method == "allocation" else {}
        return getattr(q, method)(filters, q.rules, *rest, **extra)


def allocated(method: str, rules_text: str, filters: object, *args: object) -> object:
    """Call an allocation query (`allocation`, `rule_coverage`, `owner_breakdown`) for a rule text, cached."""
    return _allocated(*_key(), method, rules_text, (filters, *args))


def forget() -> None:
    """Drop cached results after the cache changed."""
    _run.clear()
    _computed.clear()
    _allocated.clear()
    _queries.clear()
