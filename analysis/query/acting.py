"""Whose view the query layer serves: a command run `--as` someone, a notebook, or (through the app's door) a
signed-in user. Set once with `viewing_as`; every engine the query layer opens in that context is restricted
to the user's rows (`CostQueries.restricted`), so no command or analysis can read around it."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from analysis.dimensions import is_allocation
from analysis.query.costs import CostQueries, Restriction

if TYPE_CHECKING:
    from analysis.allocation.rules import RuleSet

_VIEW: contextvars.ContextVar[tuple[Restriction, RuleSet | None] | None] = contextvars.ContextVar("view", default=None)


@contextmanager
def viewing_as(restriction: Restriction, rules: RuleSet | None = None) -> Iterator[None]:
    """Restrict every query layer opened in the block to `restriction` (the allocation `rules` give the
    `alloc:` dimensions it names)."""
    token = _VIEW.set((restriction, rules))
    try:
        yield
    finally:
        _VIEW.reset(token)


def needs_rules(restriction: Restriction) -> bool:
    """True when a scope of the restriction names an allocation dimension (`alloc:Team`)."""
    return any(is_allocation(dimension) for scope in restriction for dimension, _ in scope)


def in_view(q: CostQueries) -> CostQueries:
    """`q` as the current viewer may see it (unchanged outside `viewing_as`)."""
    view = _VIEW.get()
    if view is None:
        return q
    restriction, rules = view
    if rules is not None and needs_rules(restriction):
        from analysis.allocation.queries import with_rules  # the allocation package builds on this one

        q = with_rules(q, rules)
    return q.restricted(restriction)
