"""What the planning commands (`budgets --check`, `scenario`) share: the cache's queries, its currency and,
when a scope names an allocation dimension, the allocation rules applied to them."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from analysis.allocation.queries import problem_with, with_rules
from analysis.allocation.rules import RulesError, load_rules
from analysis.query import CostQueries, local_queries
from analysis.scope import Scope, is_allocation_scope
from analysis.store.cache import FocusCache
from analysis.store.workspace import SHIPPED_WORKSPACE


class CommandError(Exception):
    """Bad input for a command: its message is printed and the command exits with code 2."""


@dataclass(frozen=True)
class Opened:
    """The cache's queries (with the allocation rules when a scope needs them) and what they cover."""

    q: CostQueries
    currency: str
    span: tuple[dt.date, dt.date]
    allocation: tuple[str, ...]  # the rules' dimension names ('' when no rules were needed)


def open_cache(cache: Path, currency: str | None, scopes: Iterable[Scope], rules: Path | None,
               rules_near: Sequence[Path] = ()) -> Opened:
    """Queries on `cache`; the allocation rules (`rules`, else the first of `rules_near` that exists, else
    the shipped ones) apply when a scope names an `alloc:` dimension. CommandError says what is wrong."""
    q = local_queries(FocusCache(cache))
    span = q.period()
    if span is None:
        raise CommandError(f"The cache {cache} holds no data")
    currencies = q.currencies()
    chosen = currency or (currencies[0] if len(currencies) == 1 else None)
    if chosen not in currencies:
        raise CommandError(f"Choose --currency: the data holds {', '.join(currencies)}")
    if not any(is_allocation_scope(scope) for scope in scopes):
        return Opened(q, chosen, span, ())
    rules_file = rules or next(p for p in (*rules_near, SHIPPED_WORKSPACE / "allocation.yaml") if p.exists())
    try:
        rule_set = load_rules(rules_file)
    except (OSError, RulesError) as error:
        raise CommandError(f"Allocation rules {rules_file} cannot be used: {error}") from error
    problem = problem_with(q, rule_set)
    if problem:
        raise CommandError(f"Allocation rules {rules_file} cannot be used: {problem}")
    return Opened(with_rules(q, rule_set), chosen, span, tuple(d.name for d in rule_set.dimensions))


def fail(message: str) -> int:
    """Print `message` on stderr; the exit code for bad input."""
    print(message, file=sys.stderr)
    return 2
