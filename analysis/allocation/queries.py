"""Allocation over the query layer: owners as a dimension of the queries, cost per owner and month,
what each rule placed, and an owner's direct cost by service or account."""

from __future__ import annotations

import pandas as pd

from analysis.allocation.compile import matched_rule, owner, referenced, shared_pick
from analysis.allocation.rules import RulesError, RuleSet
from analysis.allocation.split import allocate
from analysis.dimensions import Dimension
from analysis.query.costs import CostQueries, Derived, check_metric
from analysis.query.filters import Filters


def with_rules(q: CostQueries, rules: RuleSet) -> CostQueries:
    """The same queries with `alloc:<dimension>` (the owner the rules give) to filter and group by."""
    columns = frozenset(referenced(rules))
    return q.with_derived({str(Dimension.allocation(d.name)): Derived(lambda t, d=d: owner(t, d), columns)
                           for d in rules.dimensions})


def problem_with(q: CostQueries, rules: RuleSet) -> str | None:
    """Why the rules cannot run on this data (a column or tag key it lacks), naming the rule and field;
    None when every rule can. Only builds the expressions: nothing is queried."""
    try:
        for dimension in rules.dimensions:
            owner(q.lines, dimension)
            shared_pick(q.lines, rules, dimension.name)
    except RulesError as error:
        return str(error)
    return None


def allocation(q: CostQueries, filters: Filters, rules: RuleSet, dimension: str, metric: str = "EffectiveCost",
               metrics: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Cost per month and owner of an allocation dimension (see `analysis.allocation.split`).

    A user who sees only some owners of this dimension gets those owners' rows of the whole bill's split,
    their share of shared costs included; any other restricted view is split on its own rows.
    """
    check_metric(metric)
    owners = q.owners_only(str(Dimension.allocation(dimension)))
    if owners is not None:
        whole, mine = owners
        split = allocate(whole.filtered(filters, referenced(rules)), rules, dimension, metric, metrics)
        return split[split["owner"].isin(mine)].reset_index(drop=True)
    return allocate(q.filtered(filters, referenced(rules)), rules, dimension, metric, metrics,
                    check_targets=q.restriction is None)


def rule_coverage(q: CostQueries, filters: Filters, rules: RuleSet, dimension: str,
                  metric: str = "EffectiveCost") -> pd.DataFrame:
    """Cost each rule of a dimension placed (first match wins), unmatched cost last; with shares."""
    check_metric(metric)
    dim = rules.dimension(dimension)
    t = q.filtered(filters, referenced(rules))
    frame = t.group_by(matched_rule(t, dim).name("rule")).aggregate(cost=t[metric].sum()).to_pandas()
    frame["rule"] = frame["rule"].astype("string").fillna(f"(no rule → {dim.unallocated})")
    order = [r.name for r in dim.rules] + [f"(no rule → {dim.unallocated})"]
    frame = frame.set_index("rule").reindex(order).fillna(0.0).rename_axis("rule").reset_index()
    total = float(frame["cost"].sum())
    frame["share"] = frame["cost"] / total if total else 0.0
    return frame


def owner_breakdown(q: CostQueries, filters: Filters, rules: RuleSet, dimension: str, owner_name: str, by: str,
                    metric: str = "EffectiveCost") -> pd.DataFrame:
    """Direct cost of one owner of an allocation dimension per `by` value, largest first."""
    check_metric(metric)
    t = q.filtered(filters, referenced(rules) | {by})
    t = t.filter(owner(t, rules.dimension(dimension)) == owner_name, shared_pick(t, rules, dimension).isnull())
    return q.ranked(t, (by,), metric)
