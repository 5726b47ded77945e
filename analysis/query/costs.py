"""The one query layer: every page and report reads billing data through `CostQueries`.

Queries are ibis expressions, so the same code runs on DuckDB over the Parquet cache (the
embedded default) and on Snowflake; user values reach the engine only as literals that ibis writes
and escapes for its SQL dialect.
Two tables back it: `focus_lines` (FOCUS line items plus `ChargeDate` and `x_tag_*` columns)
and `focus_daily`, a daily rollup by the common dimensions that answers most page queries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import ibis
import ibis.expr.types as ir
import pandas as pd

from analysis.dimensions import (
    METRICS,
    Dimension,
    column_of,
    is_allocation,
    missing_label,
    tag_column,
    tag_dimension,
)
from analysis.focus.schema import TAG_PREFIX, TAGGED_COLUMN
from analysis.query.filters import Filters
from analysis.store.tables import DAILY, DATE, LINES, daily_rollup

Grain = Literal["day", "week", "month"]
GRAINS: tuple[Grain, ...] = ("day", "week", "month")


@dataclass(frozen=True)
class Derived:
    """A dimension computed from other columns, such as `alloc:Team` (the owner the rules give)."""

    expr: Callable[[ir.Table], ir.Value]
    columns: frozenset[str]  # the dimensions it reads, so that the right table is queried


# The rows a user may see: those matching any of these scopes (each scope an AND of dimension values, as in
# `analysis.scope`); `((),)` is the whole bill, `()` nothing. None means no restriction (the operator).
Restriction = tuple[tuple[tuple[str, tuple[str, ...]], ...], ...]


class MixedCurrencyError(ValueError):
    """Raised when amounts in several billing currencies would be added together."""



@dataclass
class CostQueries:
    """Named, tested queries over one ibis backend holding `focus_lines` and `focus_daily`."""

    backend: ibis.BaseBackend
    lines_table: str = LINES
    daily_table: str = DAILY
    derived: dict[str, Derived] = field(default_factory=dict)  # e.g. `alloc:Team` -> its owner expression
    json_tags: dict[str, tuple[str, ...]] = field(default_factory=dict)  # `tag:<key>` kept in Tags only -> spellings
    restriction: Restriction | None = None  # the rows a signed-in user may see (see `restricted`)
    _currencies: list[str] | None = field(default=None, init=False, repr=False)

    # ----- tables -------------------------------------------------------------------------
    # Every query starts from these two tables, so a restriction applied here reaches every page, analysis,
    # download, command and notebook call: there is no other way to the billing data.
    @property
    def lines(self) -> ir.Table:
        return self._restrict(self.backend.table(self.lines_table))

    @property
    def daily(self) -> ir.Table:
        t = self.backend.table(self.daily_table)
        if self.restriction is None or self._has(t, self._restriction_dimensions()):
            return self._restrict(t)
        return daily_rollup(self.lines)  # the restriction needs line-item columns: roll up the allowed lines

    def restricted(self, restriction: Restriction) -> CostQueries:
        """The same queries on only the rows matching any of `restriction`'s scopes (a user's view).

        Allocation dimensions (`alloc:Team`) in a scope need the rules' `with_derived` first. A restricted
        query cannot be widened: restricting it again keeps only rows both restrictions allow.
        """
        out = self._copy(self.derived)
        out.restriction = restriction if self.restriction is None else _both(self.restriction, restriction)
        out._currencies = None
        return out

    def owners_only(self, dimension: str) -> tuple[CostQueries, set[str]] | None:
        """For a user whose every scope is owners of allocation `dimension` (`alloc:Team: payments`): the
        unrestricted queries and those owners, so that an allocation is split over the whole bill (their share
        of shared costs included) and then cut to their owners; None for any other restriction."""
        if not self.restriction or () in self.restriction:
            return None
        if any(len(scope) != 1 or scope[0][0] != dimension for scope in self.restriction):
            return None
        whole = self._copy(self.derived)
        whole.restriction = None
        return whole, {v for scope in self.restriction for v in scope[0][1]}

    def _copy(self, derived: dict[str, Derived]) -> CostQueries:
        out = CostQueries(self.backend, self.lines_table, self.daily_table, derived=derived, json_tags=self.json_tags,
                          restriction=self.restriction)
        out._currencies = self._currencies
        return out

    def _restriction_dimensions(self) -> set[str]:
        return {d for scope in self.restriction or () for d, _ in scope}

    def _restrict(self, t: ir.Table) -> ir.Table:
        if self.restriction is None or () in self.restriction:
            return t
        if not self.restriction:
            return t.filter(ibis.literal(False))
        allowed = [ibis.and_(*(self._condition(t, d, v) for d, v in scope)) for scope in self.restriction]
        return t.filter(ibis.or_(*allowed))

    def _condition(self, t: ir.Table, dimension: str, values: tuple[str, ...]) -> ir.BooleanValue:
        """Rows whose `dimension` is one of `values` (its missing-value label selects empty rows)."""
        column = self.expr(t, dimension)
        empty = missing_label(dimension)
        wanted = [v for v in values if v != empty]
        condition = column.isin(wanted) if wanted else ibis.literal(False)
        return condition | column.isnull() if empty in values else condition

    def _has(self, t: ir.Table, dimensions: set[str]) -> bool:
        """Whether `t` holds every column the dimensions (derived ones through what they read) need."""
        derived = {d for d in dimensions if d in self.derived}
        needed = (set(dimensions) - derived).union(*(self.derived[d].columns for d in derived))
        return all(column_of(d) in t.columns for d in needed)

    def tag_keys(self) -> list[str]:
        """Tag dimensions (`tag:<key>`) present in the data."""
        return [tag_dimension(c) for c in self.daily.columns if c.startswith(TAG_PREFIX)] + sorted(self.json_tags)

    def currencies(self) -> list[str]:
        """Billing currencies present, most cost first."""
        if self._currencies is None:
            t = self.daily
            expr = (
                t.group_by(t.BillingCurrency)
                .aggregate(cost=t.EffectiveCost.abs().sum())
                .order_by(ibis.desc("cost"))
            )
            self._currencies = [c for c in expr.to_pandas()["BillingCurrency"] if c is not None]
        return self._currencies

    def with_derived(self, derived: dict[str, Derived]) -> CostQueries:
        """The same engine with computed dimensions (the allocation rules' `alloc:<name>` owners)."""
        out = self._copy(derived)
        out._currencies = self.currencies()  # same data: no need to ask the engine again
        return out

    def cursor(self) -> CostQueries:
        """The same data through a connection of its own, for use in another thread.

        A DuckDB connection must not be shared by threads; a cursor of it sees the same database. Other
        engines are returned as they are.
        """
        raw = getattr(self.backend, "con", None)
        if self.backend.name != "duckdb" or raw is None:
            return self
        out = CostQueries(ibis.duckdb.from_connection(raw.cursor()), self.lines_table, self.daily_table,
                          derived=self.derived, json_tags=self.json_tags, restriction=self.restriction)
        out._currencies = self._currencies
        return out

    def expr(self, t: ir.Table, dimension: str) -> ir.Value:
        """The value of a dimension on `t`: a column, a tag column, or a derived dimension's expression."""
        if dimension in self.derived:
            return self.derived[dimension].expr(t)
        if is_allocation(dimension):
            raise ValueError(f"No allocation dimension {Dimension.parse(dimension).name!r} in the rules in use.")
        if dimension in self.json_tags and column_of(dimension) not in t.columns:
            tags = t.Tags.cast("json")  # a key beyond the tag-column cap: read from the line items' Tags
            return ibis.coalesce(*[tags[spelling].str for spelling in self.json_tags[dimension]])
        return t[column_of(dimension)]

    def _table_for(self, dimensions: set[str]) -> ir.Table:
        return self.daily if self._has(self.backend.table(self.daily_table), dimensions) else self.lines

    def filtered(self, filters: Filters, extra: set[str] = frozenset(), one_currency: bool = True) -> ir.Table:
        currency = filters.currency
        if one_currency and currency is None and len(self.currencies()) > 1:
            raise MixedCurrencyError(
                "The data holds several billing currencies (" + ", ".join(self.currencies())
                + "); choose one so that amounts are never added across currencies."
            )
        t = self._table_for(filters.dimensions | set(extra))
        predicates = []
        if filters.start is not None:
            predicates.append(t[DATE] >= filters.start)
        if filters.end is not None:
            predicates.append(t[DATE] < filters.end)
        if currency is not None:
            predicates.append(t.BillingCurrency == currency)
        predicates += [self._condition(t, dimension, values) for dimension, values in filters.values]
        return t.filter(*predicates) if predicates else t

    # ----- queries ------------------------------------------------------------------------
    def total(self, filters: Filters, metric: str = "EffectiveCost") -> float:
        """Sum of `metric` over the filtered data (0.0 when nothing matches)."""
        check_metric(metric)
        t = self.filtered(filters)
        value = t[metric].sum().to_pandas()
        return 0.0 if value is None or pd.isna(value) else float(value)

    def series(
        self, filters: Filters, metric: str = "EffectiveCost", grain: Grain = "day", by: tuple[str, ...] = ()
    ) -> pd.DataFrame:
        """Cost per period (column `period`, a Timestamp at the period start) and per `by` value."""
        check_metric(metric)
        if grain not in GRAINS:
            raise ValueError(f"Unknown grain {grain!r}; use one of {', '.join(GRAINS)}.")
        t = self.filtered(filters, set(by))
        period = t[DATE] if grain == "day" else t[DATE].truncate("W" if grain == "week" else "M")
        keys = [period.cast("date").name("period")] + [self.expr(t, d).name(d) for d in by]
        frame = t.group_by(keys).aggregate(cost=t[metric].sum()).to_pandas()
        frame["period"] = pd.to_datetime(frame["period"])
        return _labelled(frame, by).sort_values(["period", *by], ignore_index=True)

    def breakdown(
        self, filters: Filters, by: tuple[str, ...], metric: str = "EffectiveCost", limit: int | None = None
    ) -> pd.DataFrame:
        """Cost per combination of `by` values, largest first."""
        check_metric(metric)
        return self.ranked(self.filtered(filters, set(by)), by, metric, limit)

    def ranked(self, t: ir.Table, by: tuple[str, ...], metric: str, limit: int | None = None) -> pd.DataFrame:
        """Sum of `metric` on `t` per `by` value, largest first, empty values labelled."""
        expr = t.group_by([self.expr(t, d).name(d) for d in by]).aggregate(cost=t[metric].sum())
        expr = expr.order_by(ibis.desc("cost"))
        if limit is not None:
            expr = expr.limit(limit)
        return _labelled(expr.to_pandas(), by).reset_index(drop=True)

    def values(self, dimension: str, filters: Filters | None = None, limit: int = 500) -> list[str]:
        """Distinct values of a dimension, most activity first, the missing-value label included.

        Values are listed across all currencies (ordering by absolute cost only), so a currency
        switch never hides a value.
        """
        t = self.filtered(filters or Filters(), {dimension}, one_currency=False)
        column = self.expr(t, dimension).name(dimension)
        expr = t.group_by(column).aggregate(cost=t.EffectiveCost.abs().sum()).order_by(ibis.desc("cost")).limit(limit)
        return list(_labelled(expr.to_pandas(), (dimension,))[dimension])

    def existing(self, dimension: str, values: tuple[str, ...]) -> list[str]:
        """Those of `values` the data holds for `dimension` (all of it is searched, not only the top values)."""
        t = self._table_for({dimension})
        column = self.expr(t, dimension)
        wanted = [v for v in values if v != missing_label(dimension)]
        condition = column.isin(wanted) if wanted else ibis.literal(False)
        if missing_label(dimension) in values:
            condition = condition | column.isnull()
        found = t.filter(condition).select(column.name(dimension)).distinct().to_pandas()
        present = set(found[dimension].astype("string").fillna(missing_label(dimension)))
        return [v for v in values if v in present]

    def period(self) -> tuple[dt.date, dt.date] | None:
        """First and last charge day in the data (both inclusive), or None when empty."""
        t = self.daily
        row = t.aggregate(first=t[DATE].min(), last=t[DATE].max()).to_pandas().iloc[0]
        if pd.isna(row["first"]):
            return None
        return pd.Timestamp(row["first"]).date(), pd.Timestamp(row["last"]).date()

    def tag_coverage(self, filters: Filters, metric: str = "EffectiveCost") -> pd.DataFrame:
        """Per tag key: cost carrying the key, total cost and the share (0-1); plus `(any tag)`."""
        check_metric(metric)
        t = self.filtered(filters)
        columns = [c for c in t.columns if c.startswith(TAG_PREFIX)]
        aggregates = {"total": t[metric].sum(), "any": t[metric].sum(where=t[TAGGED_COLUMN])}
        aggregates |= {c: t[metric].sum(where=t[c].notnull()) for c in columns}
        row = t.aggregate(**aggregates).to_pandas().iloc[0].fillna(0.0)
        total = float(row["total"])
        keys = ["(any tag)"] + [Dimension.of_tag_column(c).name for c in columns]
        tagged = [float(row["any"])] + [float(row[c]) for c in columns]
        frame = pd.DataFrame({"key": keys, "tagged_cost": tagged, "total_cost": total})
        frame["share"] = frame["tagged_cost"] / total if total else 0.0
        return frame

    def untagged(self, filters: Filters, by: tuple[str, ...], metric: str = "EffectiveCost") -> pd.DataFrame:
        """Cost carrying no tag at all, per `by` value, largest first."""
        check_metric(metric)
        t = self.filtered(filters, set(by))
        return self.ranked(t.filter(~t[TAGGED_COLUMN]), by, metric)

    def missing_tags(
        self, filters: Filters, required: list[str], metric: str = "EffectiveCost", limit: int = 200
    ) -> pd.DataFrame:
        """Resources lacking any of the `required` tag keys, ranked by cost, with what they miss (the
        `limit` costliest; `missing_tags_total` counts them all)."""
        columns = ["ResourceId", "ResourceName", "ServiceName", "SubAccountName", "missing", "cost"]
        if not required:
            return pd.DataFrame(columns=columns)
        groups, present, absent = self._missing_tag_groups(filters, required, metric)
        frame = groups.order_by(ibis.desc("cost")).limit(limit).to_pandas()
        lacks = [f"lacks_{i}" for i in range(len(present))]
        frame["missing"] = [
            ", ".join(k for k in required if k in absent or row[present.index(k)])
            for row in frame[lacks].itertuples(index=False)
        ]
        return frame.drop(columns=lacks)[columns]

    def missing_tags_total(self, filters: Filters, required: list[str], metric: str = "EffectiveCost"
                           ) -> tuple[int, float]:
        """How many resources lack any of the `required` tag keys, and their cost."""
        if not required:
            return 0, 0.0
        groups, _, _ = self._missing_tag_groups(filters, required, metric)
        total = groups.aggregate(resources=groups.count(), cost=groups.cost.sum()).to_pandas().iloc[0]
        return int(total["resources"]), float(total["cost"] or 0.0)

    def _missing_tag_groups(self, filters: Filters, required: list[str], metric: str
                            ) -> tuple[ir.Table, list[str], list[str]]:
        """Per resource lacking a required key: its cost and, per key present in the data, whether it lacks it."""
        check_metric(metric)
        t = self.filtered(filters, {"ResourceId"})
        present = [k for k in required if tag_column(k) in t.columns]
        absent = [k for k in required if k not in present]  # no resource carries these keys at all
        flags = {k: t[tag_column(k)].isnull() for k in present}
        if not absent:
            t = t.filter(ibis.or_(*flags.values()))
        t = t.filter(t.ResourceId.notnull())
        aggregates = {"cost": t[metric].sum()}
        aggregates |= {f"lacks_{i}": flag.cast("int8").max() for i, flag in enumerate(flags.values())}
        groups = t.group_by(["ResourceId", "ResourceName", "ServiceName", "SubAccountName"]).aggregate(**aggregates)
        return groups, present, absent

    def summary(self) -> dict:
        """What is loaded: rows, providers, accounts, currencies, period, totals per currency."""
        t = self.daily
        per_currency = (
            t.group_by(t.BillingCurrency)
            .aggregate(**{m: t[m].sum() for m in METRICS}, rows=t.x_Rows.sum())
            .to_pandas()
        )
        period = self.period()
        return {
            "rows": int(per_currency["rows"].sum()) if len(per_currency) else 0,
            "providers": sorted(v for v in self.values("ProviderName") if v != missing_label("ProviderName")),
            "sub_accounts": int(t.SubAccountId.nunique().to_pandas()),
            "currencies": self.currencies(),
            "period": period,
            "totals": {
                row["BillingCurrency"]: {m: float(row[m] or 0.0) for m in METRICS}
                for _, row in per_currency.iterrows()
            },
        }

def _both(a: Restriction, b: Restriction) -> Restriction:
    """The rows two restrictions both allow: any pair of their scopes, intersected dimension by dimension."""
    out = []
    for left in a:
        for right in b:
            merged, ok = dict(left), True
            for dimension, values in right:
                kept = tuple(v for v in merged.get(dimension, values) if v in values)
                ok = ok and bool(kept)
                merged[dimension] = kept
            if ok:
                out.append(tuple(sorted(merged.items())))
    return tuple(dict.fromkeys(out))


def check_metric(metric: str) -> None:
    if metric not in METRICS:
        raise ValueError(f"Unknown cost metric {metric!r}; use one of {', '.join(METRICS)}.")


def _labelled(frame: pd.DataFrame, by: tuple[str, ...]) -> pd.DataFrame:
    """Replace empty dimension values with their on-screen label; costs as float."""
    frame = frame.copy()
    for dimension in by:
        frame[dimension] = frame[dimension].astype("string").fillna(missing_label(dimension))
    frame["cost"] = frame["cost"].astype(float).fillna(0.0)
    return frame
