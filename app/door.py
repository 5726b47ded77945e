"""The one door from pages to data: typed functions over the query layer and the analyses, each cached on
small keys (where the data lives and its version, the signed-in user's restriction, the arguments, the
allocation rules in use). Every query a page makes is computed on the user's rows only: the restriction is
applied here, in the one door, never on the pages, and it is part of every cache key.

The engine is DuckDB over the local cache, or Snowflake when `.streamlit/secrets.toml` has a
`[snowflake]` section. Streamlit runs each session in its own thread: every thread queries DuckDB
through a cursor of its own, so sessions do not wait for each other.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from analysis.access.roles import OPERATOR, Access, Identity, identity_from_claims, resolve
from analysis.access.store import AccessStore
from analysis.allocation import queries as allocation_queries
from analysis.allocation.rules import RulesError, RuleSet, parse_rules
from analysis.allocation.split import load_metric_tables
from analysis.allocation.store import rules_in_use
from analysis.anomalies import monitor
from analysis.budgets.evaluate import BudgetStatus, evaluate
from analysis.budgets.model import Budget
from analysis.budgets.propose import propose_amount
from analysis.dimensions import TOTAL, Dimension, is_allocation, is_tag, label
from analysis.forecast import report
from analysis.optimize import commitments as commitment_figures
from analysis.optimize.opportunities import Assumptions, Found, find_opportunities
from analysis.query import CostQueries, Filters, local_queries, snowflake_queries
from analysis.query.acting import needs_rules
from analysis.query.costs import Restriction
from analysis.scenarios.engine import ScenarioResult
from analysis.scenarios.engine import run as run_scenario
from analysis.scenarios.model import Scenario
from analysis.scope import Scope
from analysis.scope import scope_problems as _scope_problems
from analysis.store.cache import DEFAULT_CACHE, FocusCache
from analysis.store.workspace import workspace_folder
from analysis.visibility import overview

R = TypeVar("R")


# ----- where the data and the workspace live ---------------------------------------------
def workspace() -> Path:
    """The user's workspace folder (`FINOPS_WORKSPACE`, default data/workspace): policies, rules."""
    return workspace_folder()


def cache() -> FocusCache:
    """The FOCUS cache this app reads (`FINOPS_CACHE_DIR`, default data/cache)."""
    return FocusCache(os.environ.get("FINOPS_CACHE_DIR", DEFAULT_CACHE))


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
    if not snowflake_settings():
        return None
    from analysis.store.snowflake import SnowflakeConnectionError  # the connector loads only when used

    try:
        _engine(*_key())
    except SnowflakeConnectionError as error:
        return str(error)
    return None


def saved_rules_text() -> str:
    """The saved allocation rules, or the shipped sample rules when none are saved yet."""
    return rules_in_use(workspace())


# ----- engines -----------------------------------------------------------------------------
def _key() -> tuple[str, int]:
    """Cache key of the data: where it lives and its version (Snowflake data is refreshed hourly)."""
    settings = snowflake_settings()
    if settings:
        return "snowflake:" + repr(sorted((k, str(v)) for k, v in settings.items() if k != "password")), 0
    c = cache()
    return str(c.root), c.version()


@st.cache_resource(max_entries=2, show_spinner=False, ttl=3600)
def _engine(root: str, version: int) -> CostQueries:
    if root.startswith("snowflake:"):
        from analysis.store.snowflake import connect

        return snowflake_queries(connect(**snowflake_settings()))
    return local_queries(FocusCache(root))


_THREAD = threading.local()
_SNOWFLAKE_LOCK = threading.Lock()  # the Snowflake connection is shared: its queries take turns


@functools.lru_cache(maxsize=16)
def _rules(text: str) -> RuleSet:
    return parse_rules(text)


def _queries(root: str, version: int, rules_text: str | None) -> CostQueries:
    """This thread's queries on the engine, with the allocation rules of `rules_text` when given."""
    engines = _THREAD.__dict__.setdefault("engines", {})
    if (root, version) not in engines:
        engines.clear()  # an older version of the data is not asked for again
        engines[(root, version)] = _engine(root, version).cursor()
    q = engines[(root, version)]
    return allocation_queries.with_rules(q, _rules(rules_text)) if rules_text is not None else q


def _uses_rules(args: tuple) -> bool:
    """True when an argument (a filter, a dimension, a list of them) names an allocation dimension."""
    def mentions(value: object) -> bool:
        if isinstance(value, Filters):
            return any(is_allocation(d) for d in value.dimensions)
        if isinstance(value, tuple | list):
            return any(mentions(v) for v in value)
        if isinstance(value, Budget):
            return mentions(value.scope)
        if isinstance(value, Scenario):
            return mentions(tuple(lever.scope for lever in value.levers))
        return isinstance(value, str) and is_allocation(value)

    return mentions(args)


_CACHES: list = []


def door(function: Callable[..., R]) -> Callable[..., R]:
    """Make `function(q, *args)` a page-facing `function(*args)` run on the signed-in user's rows only, cached
    on the data's key, the user's restriction, the arguments and, when an argument or the restriction names
    an allocation dimension, the saved rules' text."""
    def run(root: str, version: int, rules_text: str | None, restriction: Restriction | None, args: tuple) -> R:
        q = _queries(root, version, rules_text)
        if restriction is not None:
            q = q.restricted(restriction)
        if q.backend.name == "duckdb":
            return function(q, *args)
        with _SNOWFLAKE_LOCK:
            return function(q, *args)

    run.__qualname__ = run.__name__ = f"door_{function.__name__}"  # one cache per function
    cached = st.cache_data(max_entries=256, ttl=3600, show_spinner=False)(run)
    _CACHES.append(cached)

    @functools.wraps(function)
    def page_facing(*args: object) -> R:
        restriction = user_restriction()
        ruled = _uses_rules(args) or (restriction is not None and needs_rules(restriction))
        return cached(*_key(), saved_rules_text() if ruled else None, restriction, args)

    return page_facing


# ----- who is asking -----------------------------------------------------------------------
VIEW_AS = "view_as"  # session key: {"email", "groups"} of the user an admin previews the app as
def sign_in_configured() -> bool:
    """Whether `.streamlit/secrets.toml` has an `[auth]` section (else the app is one person's, unrestricted)."""
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, KeyError, StreamlitSecretNotFoundError):
        return False


def current_access() -> Access:
    """The user's role and scopes: the operator's (everything) without sign-in; nothing when signed out or
    when no grant of access.yaml matches. An admin previewing the app as someone else ("view as" on the
    Access page) gets that user's access until they stop."""
    real = signed_in_access()
    preview = st.session_state.get(VIEW_AS)
    if preview and real.may("access"):
        access_file, _ = AccessStore(workspace()).access()
        if access_file is not None:
            return resolve(access_file, Identity(preview["email"], True, tuple(preview["groups"])))
    return real


def signed_in_access() -> Access:
    """The access of whoever is signed in (the operator's without sign-in), ignoring any preview."""
    if not sign_in_configured():
        return OPERATOR
    claims = st.user.to_dict() if st.user.is_logged_in else {}
    if not claims:
        return Access("(signed out)", "none", ())
    access_file, _ = AccessStore(workspace()).access()
    if access_file is None:
        return Access(str(claims.get("email") or claims.get("name") or "unknown user"), "none", ())
    return resolve(access_file, identity_from_claims(claims, access_file.groups_claim))


def user_restriction() -> Restriction | None:
    """The rows the current user may see, as the query layer takes them (None: every row)."""
    access = current_access()
    return None if access.whole_bill else access.scopes


def forget() -> None:
    """Drop cached results after the cache changed."""
    for cached in _CACHES:
        cached.clear()
    _engine.clear()
    _THREAD.__dict__.pop("engines", None)


# ----- the query layer ------------------------------------------------------------------------
@door
def period(q: CostQueries):
    """First and last day with data, or None."""
    return q.period()


@door
def currencies(q: CostQueries) -> list[str]:
    return q.currencies()


@door
def summary(q: CostQueries) -> dict:
    return q.summary()


@door
def tag_keys(q: CostQueries) -> list[str]:
    return q.tag_keys()


@door
def values(q: CostQueries, dimension: str, filters: Filters) -> list[str]:
    return q.values(dimension, filters)


@door
def existing(q: CostQueries, dimension: str, wanted: tuple[str, ...]) -> list[str]:
    return q.existing(dimension, wanted)


@door
def series(q: CostQueries, filters: Filters, metric: str, grain: str, by: tuple[str, ...] = ()) -> pd.DataFrame:
    return q.series(filters, metric, grain, by)


@door
def untagged(q: CostQueries, filters: Filters, by: tuple[str, ...], metric: str) -> pd.DataFrame:
    return q.untagged(filters, by, metric)


@door
def _tag_coverage(q: CostQueries, filters: Filters, metric: str) -> pd.DataFrame:
    return q.tag_coverage(filters, metric)


def tag_coverage(filters: Filters, metric: str) -> pd.DataFrame:
    """Tag coverage per key, keys spelled as users write them."""
    frame = _tag_coverage(filters, metric).copy()
    labels = tag_labels()
    frame["key"] = [labels.get(str(Dimension.tag(k)), k) for k in frame["key"]]
    return frame


@door
def missing_tags(q: CostQueries, filters: Filters, required: tuple[str, ...], metric: str) -> pd.DataFrame:
    return q.missing_tags(filters, required, metric)


@door
def missing_tags_total(q: CostQueries, filters: Filters, required: tuple[str, ...], metric: str) -> tuple[int, float]:
    return q.missing_tags_total(filters, required, metric)


# ----- analyses -------------------------------------------------------------------------------
@door
def overview_kpis(q: CostQueries, filters: Filters, metric: str):
    return overview.kpis(q, filters, metric)


@door
def top_movers(q: CostQueries, *args: object) -> pd.DataFrame:
    return overview.top_movers(q, *args)


@door
def anomaly_scan(q: CostQueries, *args: object) -> tuple:
    """Events and bands of an anomaly monitor (`analysis.anomalies.monitor.scan`)."""
    return monitor.scan(q, *args)


@door
def anomaly_explain(q: CostQueries, *args: object) -> pd.DataFrame:
    """Root cause of one anomalous day (`analysis.anomalies.monitor.root_cause`)."""
    return monitor.root_cause(q, *args)


@door
def commitment_view(q: CostQueries, filters: Filters, categories: tuple[str, ...]):
    """Utilization, unused cost, coverage and savings (`analysis.optimize.commitments.commitment_view`)."""
    return commitment_figures.commitment_view(q, filters, categories)


@door
def commitment_trend(q: CostQueries, filters: Filters, categories: tuple[str, ...]) -> pd.DataFrame:
    """The commitment figures month by month (`analysis.optimize.commitments.trend`)."""
    return commitment_figures.trend(q, filters, categories)


@door
def opportunities(q: CostQueries, filters: Filters, assume: Assumptions) -> Found:
    """Savings opportunities of the days before the range's end (`analysis.optimize.opportunities`)."""
    return find_opportunities(q, filters, filters.end, assume)


@door
def forecast_view(q: CostQueries, *args: object):
    """Daily forecast, reconciled parts and period projections (`analysis.forecast.report.forecast_view`)."""
    return report.forecast_view(q, *args)


@door
def forecast_accuracy(q: CostQueries, *args: object):
    """Backtest of a forecast model against seasonal naive (`analysis.forecast.report.accuracy`)."""
    return report.accuracy(q, *args)


@door
def rules_problem(q: CostQueries, rules_text: str) -> str | None:
    """Why the rules in `rules_text` cannot be used on this data (invalid, or naming a column or tag key
    the data lacks), or None."""
    try:
        rules = _rules(rules_text)
    except RulesError as error:
        return str(error)
    return allocation_queries.problem_with(q, rules)


@door
def allocation(q: CostQueries, rules_text: str, filters: Filters, dimension: str, metric: str) -> pd.DataFrame:
    """Cost per month and owner of an allocation dimension, for the rules in `rules_text`."""
    rules = _rules(rules_text)
    return allocation_queries.allocation(allocation_queries.with_rules(q, rules), filters, rules, dimension,
                                         metric, load_metric_tables(rules, workspace()))


@door
def rule_coverage(q: CostQueries, rules_text: str, filters: Filters, dimension: str, metric: str) -> pd.DataFrame:
    """Cost each rule placed, unmatched last, for the rules in `rules_text`."""
    rules = _rules(rules_text)
    return allocation_queries.rule_coverage(allocation_queries.with_rules(q, rules), filters, rules, dimension, metric)


@door
def owner_breakdown(q: CostQueries, rules_text: str, filters: Filters, dimension: str, owner: str, by: str,
                    metric: str) -> pd.DataFrame:
    """One owner's direct cost per `by` value, for the rules in `rules_text`."""
    rules = _rules(rules_text)
    return allocation_queries.owner_breakdown(allocation_queries.with_rules(q, rules), filters, rules, dimension,
                                              owner, by, metric)


# ----- labels and pickers ---------------------------------------------------------------------
def tag_labels() -> dict[str, str]:
    """`tag:<key>` -> the key as users write it (`tag:cost_center` -> `cost-center`)."""
    return cache().tag_keys()


def dimension_label(dimension: str) -> str:
    """Label of a dimension for widgets, tag keys spelled as users write them."""
    return f"Tag: {tag_labels().get(dimension, Dimension.parse(dimension).name)}" if is_tag(dimension) else label(dimension)


def allocation_dimensions() -> list[str]:
    """`alloc:<name>` for each dimension of the saved rules (none when they cannot be used on this data)."""
    text = saved_rules_text()
    if rules_problem(text):
        return []
    return [str(Dimension.allocation(d.name)) for d in _rules(text).dimensions]


def scope_dimensions() -> list[str]:
    """What a monitor or a forecast can be split by: `TOTAL` first, then the usual dimensions, the tag
    keys and the allocation dimensions."""
    return [TOTAL, "ProviderName", "SubAccountName", "ServiceName", "RegionId", *tag_keys(), *allocation_dimensions()]


def scope_label(dimension: str) -> str:
    """"Total spend" for `TOTAL`, else the dimension's label."""
    return "Total spend" if dimension == TOTAL else dimension_label(dimension)


# ----- budgets --------------------------------------------------------------------------------
@door
def budget_status(q: CostQueries, budget: Budget, as_of, currency: str | None) -> BudgetStatus:
    """A budget's current period on `as_of` (`analysis.budgets.evaluate.evaluate`)."""
    return evaluate(q, budget, as_of, currency=currency)


@door
def scope_problems(q: CostQueries, scope: Scope, allocation: tuple[str, ...]) -> list[str]:
    """What in a scope the data lacks (`analysis.scope.scope_problems`)."""
    return _scope_problems(q, scope, allocation)


@door
def proposed_budget(q: CostQueries, *args: object) -> tuple[float, pd.DataFrame]:
    """An amount from history (`analysis.budgets.propose.propose_amount`)."""
    return propose_amount(q, *args)


# ----- scenarios ------------------------------------------------------------------------------
@door
def scenario_result(q: CostQueries, scenario: Scenario, last_day, months: int, currency: str | None,
                    scope: Scope = ()) -> ScenarioResult:
    """A scenario against the baseline, for the whole bill or a scope (`analysis.scenarios.engine.run`)."""
    return run_scenario(q, scenario, last_day, months, currency, scope)
