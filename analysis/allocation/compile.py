"""Compile allocation rules into ibis expressions, so they run where the data is (DuckDB, Snowflake)."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from analysis.allocation.rules import AllOf, AnyOf, Condition, Dimension, Match, RulesError, RuleSet
from analysis.dimensions import Dimension as QueryDimension
from analysis.dimensions import tag_column


def _tag_value(t: ir.Table, key: str, dimension: Dimension, where: str) -> ir.StringValue:
    column = tag_column(key)
    if column not in t.columns:
        raise RulesError(f"{where}: tag {key!r} does not exist in the data")
    value = t[column]
    mapping = dimension.value_map.get(key.lower())
    return value.substitute(mapping) if mapping else value


def condition(t: ir.Table, cond: Condition, dimension: Dimension, where: str) -> ir.BooleanValue:
    """A boolean expression for a rule condition (null-safe: a missing value never matches a test)."""
    if isinstance(cond, AllOf):
        return ibis.and_(*(condition(t, c, dimension, where) for c in cond.all))
    if isinstance(cond, AnyOf):
        return ibis.or_(*(condition(t, c, dimension, where) for c in cond.any))
    assert isinstance(cond, Match)
    if cond.column is not None:
        if cond.column not in t.columns:
            raise RulesError(f"{where}: column {cond.column!r} does not exist in the data")
        value = t[cond.column]
    else:
        value = _tag_value(t, cond.tag, dimension, where)
    if cond.present is not None:
        return value.notnull() if cond.present else value.isnull()
    if cond.equals is not None:
        test = value == cond.equals
    elif cond.one_of is not None:
        test = value.isin(cond.one_of)
    elif cond.regex is not None:
        test = value.cast("string").re_search(cond.regex)
    else:
        test = value.cast("string").startswith(cond.prefix)
    return test.fill_null(False)


def _branches(t: ir.Table, dimension: Dimension) -> list[tuple[ir.BooleanValue, ir.StringValue, str]]:
    out = []
    for rule in dimension.rules:
        where = f"dimension {dimension.name!r}, rule {rule.name!r}"
        test = condition(t, rule.when, dimension, where + ", field 'when'")
        if rule.owner is not None:
            out.append((test, ibis.literal(rule.owner), rule.name))
        else:
            tag = _tag_value(t, rule.owner_from_tag, dimension, where + ", field 'owner_from_tag'")
            out.append((test & tag.notnull(), tag, rule.name))
    return out


def owner(t: ir.Table, dimension: Dimension) -> ir.StringValue:
    """The owner each row goes to: the first matching rule's, else the Unallocated owner."""
    branches = _branches(t, dimension)
    if not branches:
        return ibis.literal(dimension.unallocated)
    return ibis.cases(*((test, value) for test, value, _ in branches), else_=ibis.literal(dimension.unallocated))


def matched_rule(t: ir.Table, dimension: Dimension) -> ir.StringValue:
    """Name of the rule that placed each row (null when none did): for rule coverage."""
    branches = _branches(t, dimension)
    if not branches:
        return ibis.null("string")
    return ibis.cases(*((test, ibis.literal(name)) for test, _, name in branches), else_=ibis.null("string"))


def shared_pick(t: ir.Table, rules: RuleSet, dimension: str) -> ir.StringValue:
    """Name of the first shared-cost rule of `dimension` picking each row, else null."""
    items = [s for s in rules.shared if s.dimension == dimension]
    if not items:
        return ibis.null("string")
    dim = rules.dimension(dimension)
    return ibis.cases(
        *((condition(t, s.when, dim, f"shared cost {s.name!r}, field 'when'"), ibis.literal(s.name)) for s in items),
        else_=ibis.null("string"),
    )


def referenced(rules: RuleSet) -> set[str]:
    """Dimensions the rules read (`tag:<key>` or a column), to pick the cheapest table."""
    found: set[str] = set()

    def walk(cond: Condition) -> None:
        if isinstance(cond, AllOf | AnyOf):
            for c in cond.all if isinstance(cond, AllOf) else cond.any:
                walk(c)
        else:
            found.add(cond.column if cond.column is not None else str(QueryDimension.tag(cond.tag)))

    for dimension in rules.dimensions:
        for rule in dimension.rules:
            walk(rule.when)
            if rule.owner_from_tag:
                found.add(str(QueryDimension.tag(rule.owner_from_tag)))
    for item in rules.shared:
        walk(item.when)
    return found
