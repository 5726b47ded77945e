"""Scopes: which part of the bill a budget, a scenario lever, an access grant or an alert covers.

A scope maps a dimension (a FOCUS column, `tag:<key>`, `alloc:<dimension>`) to one value or a list of
values: keys combine with AND, the values of a list with OR, `{}` is the whole bill. The same scope is
written in YAML as a mapping and in a spreadsheet cell as `dimension=value; dimension=value|value`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from pydantic import BeforeValidator

from analysis.dimensions import ROLLUP_DIMENSIONS, Dimension, column_of, label
from analysis.query import CostQueries, Filters

Scope = tuple[tuple[str, tuple[str, ...]], ...]  # sorted (dimension, values): hashable, a cache key


class ScopeError(ValueError):
    """A scope that cannot be read or names a dimension or value the data lacks; the message names it."""


def parse_scope(raw: object) -> Scope:
    """A scope from YAML (`{ServiceCategory: Compute, "tag:env": [prod, staging]}`), its cell text
    (`ServiceCategory=Compute; tag:env=prod|staging`) or None/'' (the whole bill)."""
    if raw is None or raw == "":
        return ()
    if isinstance(raw, str):
        return parse_scope(_cell_mapping(raw))
    if not isinstance(raw, Mapping):
        raise ScopeError(f"expected a mapping of dimension to values, found {type(raw).__name__}")
    pairs = {}
    for key, value in raw.items():
        dimension = str(key).strip()
        if not dimension:
            raise ScopeError("a dimension name is empty")
        values = value if isinstance(value, list | tuple) else [value]
        if not values or any(v is None or isinstance(v, Mapping | list) or str(v).strip() == "" for v in values):
            raise ScopeError(f"dimension {dimension!r} needs one value or a list of values")
        pairs[dimension] = tuple(dict.fromkeys(str(v).strip() for v in values))
    return tuple(sorted(pairs.items()))


def _validated(value: object) -> Scope:
    if isinstance(value, tuple):
        return value
    try:
        return parse_scope(value)
    except ScopeError as error:
        raise ValueError(str(error)) from error


# A scope field of a pydantic model (budgets, scenario levers): YAML or cell text in, a Scope out.
ScopeField = Annotated[Scope, BeforeValidator(_validated)]


def _cell_mapping(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        dimension, sep, values = part.partition("=")
        if not sep or not dimension.strip():
            raise ScopeError(f"{part!r} is not written dimension=value")
        if dimension.strip() in out:
            raise ScopeError(f"dimension {dimension.strip()!r} is given twice")
        out[dimension.strip()] = [v.strip() for v in values.split("|")]
    return out


def is_allocation_scope(scope: Scope) -> bool:
    """True when the scope names an allocation dimension (so the allocation rules must apply)."""
    return any(Dimension.parse(d).kind == "allocation" for d, _ in scope)


def scope_text(scope: Scope) -> str:
    """The cell form: `ServiceCategory=Compute; tag:env=prod|staging` ('' for the whole bill)."""
    return "; ".join(f"{d}={'|'.join(values)}" for d, values in scope)


def scope_yaml(scope: Scope) -> dict[str, str | list[str]]:
    """The YAML form: one value as a string, several as a list."""
    return {d: values[0] if len(values) == 1 else list(values) for d, values in scope}


def describe(scope: Scope) -> str:
    """What users read: `Service category: Compute · Tag: env: prod or staging`, or `Whole bill`."""
    return " · ".join(f"{label(d)}: {' or '.join(values)}" for d, values in scope) or "Whole bill"


def intersect(a: Scope, b: Scope) -> Scope | None:
    """The cost in both scopes, as one scope; None when they cannot share any cost (a dimension whose
    value lists have nothing in common)."""
    merged = dict(a)
    for dimension, values in b:
        if dimension in merged:
            common = tuple(v for v in merged[dimension] if v in values)
            if not common:
                return None
            merged[dimension] = common
        else:
            merged[dimension] = values
    return tuple(sorted(merged.items()))


def contains(outer: Scope, inner: Scope) -> bool:
    """True when every cost of `inner` is in `outer`, as written (each of outer's dimensions is in inner,
    with no value outside outer's)."""
    given = dict(inner)
    return all(d in given and set(given[d]) <= set(values) for d, values in outer)


def inside_any(outers: tuple[Scope, ...] | None, inner: Scope) -> bool:
    """True when `inner` lies inside one of `outers` (a user's scopes; None is the whole bill, as is an
    empty scope among them; no scopes at all hold nothing)."""
    return outers is None or any(contains(outer, inner) for outer in outers)


def scoped(filters: Filters, scope: Scope) -> Filters:
    """`filters` narrowed to `scope` (the scope's values replace any filter on the same dimension)."""
    for dimension, values in scope:
        filters = filters.with_values(dimension, values)
    return filters


def scope_problems(q: CostQueries, scope: Scope, allocation: tuple[str, ...] = ()) -> list[str]:
    """What in `scope` the data lacks: an unknown dimension (not a rollup column, a tag key of the data or
    one of the `allocation` dimension names) or a value no row holds. Empty when all is known."""
    problems = []
    tags = {column_of(k) for k in q.tag_keys()}  # tag keys by column: `tag:Team` is `tag:team`
    for dimension, values in scope:
        parsed = Dimension.parse(dimension)
        known = (parsed.kind == "column" and parsed.name in ROLLUP_DIMENSIONS
                 or parsed.kind == "tag" and parsed.column in tags
                 or parsed.kind == "allocation" and parsed.name in allocation)
        if not known:
            kinds = {"column": f"not a dimension (one of {', '.join(ROLLUP_DIMENSIONS)}, tag:<key> or "
                               "alloc:<dimension>)",
                     "tag": "not a tag key of the data", "allocation": "not a dimension of the allocation rules"}
            problems.append(f"unknown dimension {dimension!r}: {kinds[parsed.kind]}")
            continue
        present = set(q.existing(dimension, values))
        missing = [v for v in values if v not in present]
        if missing:
            problems.append(f"{dimension}: no cost has the value{'s' if len(missing) > 1 else ''} "
                            f"{', '.join(repr(v) for v in missing)}")
    return problems
