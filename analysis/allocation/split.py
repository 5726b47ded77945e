"""Allocate cost per month and owner: direct cost by the rules, shared costs split among owners.

Invariant (tested with hypothesis): for every month and metric, the allocated total equals the
source total; nothing is dropped. Shared cost with no owner to take it goes to Unallocated.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import ibis.expr.types as ir
import pandas as pd

from analysis.allocation.compile import owner, shared_pick
from analysis.allocation.rules import RulesError, RuleSet, SharedCost
from analysis.rounding import round_columns

LONG_COLUMNS = ["month", "owner", "kind", "source", "cost"]


def load_metric_table(path: Path | str) -> pd.DataFrame:
    """A CSV of month, owner, value (e.g. requests, headcount); errors name the file, column and rows."""
    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError) as error:
        raise RulesError(f"metric table {path.name}: cannot be read ({error})") from error
    missing = [c for c in ("month", "owner", "value") if c not in frame.columns]
    if missing:
        raise RulesError(f"metric table {path.name}: missing column(s) {', '.join(missing)}; "
                         f"columns are {', '.join(frame.columns)}")
    months = pd.to_datetime(frame["month"], errors="coerce", format="mixed")
    values = pd.to_numeric(frame["value"], errors="coerce")
    for column, bad in (("month", months.isna()), ("value", values.isna() | (values < 0))):
        if bad.any():
            rows = ", ".join(str(i + 2) for i in frame.index[bad][:5])
            what = "not a month" if column == "month" else "not a number of zero or more"
            raise RulesError(f"metric table {path.name}, column {column}: {what} in rows {rows}")
    return pd.DataFrame({"month": months.dt.to_period("M").dt.to_timestamp(), "owner": frame["owner"],
                         "value": values.astype(float)})


def load_metric_tables(rules: RuleSet, folder: Path | str) -> dict[str, pd.DataFrame]:
    """Metric tables named by `split: metric` rules, read relative to the rule file's folder."""
    return {s.name: load_metric_table(Path(folder) / s.metric_file) for s in rules.shared if s.metric_file}


def _weights(item: SharedCost, month: pd.Timestamp, month_direct: pd.Series, unallocated: str,
             metrics: dict[str, pd.DataFrame]) -> pd.Series:
    """Weights of the owners sharing one month of `item` (they need not sum to 1)."""
    candidates = [o for o in month_direct.index if o != unallocated]
    targets = item.targets or candidates
    if item.split == "fixed":
        return pd.Series(item.percentages, dtype=float)
    if item.split == "metric":
        table = metrics[item.name]
        rows = table[table["month"] == month]
        if rows.empty:
            raise RulesError(f"shared cost {item.name!r}: metric table {item.metric_file} has no values "
                             f"for {month:%Y-%m}")
        weights = rows.groupby("owner")["value"].sum()
        weights = weights.reindex(item.targets).fillna(0.0) if item.targets else weights
        return weights if weights.sum() > 0 else pd.Series(1.0, index=weights.index)
    if not targets:
        return pd.Series({unallocated: 1.0})
    if item.split == "proportional":
        weights = month_direct.reindex(targets).fillna(0.0).clip(lower=0.0)
        if weights.sum() > 0:
            return weights
    return pd.Series(1.0, index=targets)


def allocate(table: ir.Table, rules: RuleSet, dimension: str, metric: str = "EffectiveCost",
             metrics: dict[str, pd.DataFrame] | None = None, check_targets: bool = True) -> pd.DataFrame:
    """Cost per month and owner in long form: `month, owner, kind (direct|shared), source, cost`.

    `source` is the shared-cost rule a shared amount came from. Runs one grouped query where
    the data is, then splits the small result in pandas. `check_targets` refuses a shared cost whose
    target owner has no rows; a user's restricted view lacks other teams' rows, so it does not check (a
    target without rows there gets no proportional share).
    """
    dim = rules.dimension(dimension)
    month = table.ChargeDate.truncate("M").cast("date").name("month")
    expr = table.group_by([month, owner(table, dim).name("owner"),
                           shared_pick(table, rules, dimension).name("shared_rule")])
    rows = expr.aggregate(cost=table[metric].sum()).to_pandas()
    rows["month"] = pd.to_datetime(rows["month"])
    rows["cost"] = rows["cost"].astype(float).fillna(0.0)
    is_direct = rows["shared_rule"].isna()
    direct = rows[is_direct].groupby(["month", "owner"])["cost"].sum()
    parts = [direct.reset_index().assign(kind="direct", source="")]
    known_owners = set(rows["owner"])
    months = set(direct.index.get_level_values("month"))
    for item in (s for s in rules.shared if s.dimension == dimension):
        for target in (item.targets or []) + list(item.percentages or {}) if check_targets else ():
            if target not in known_owners:
                raise RulesError(f"shared cost {item.name!r}, field 'targets': owner {target!r} does not exist "
                                 f"in dimension {dimension!r} for this data")
        pool = rows[rows["shared_rule"] == item.name].groupby("month")["cost"].sum()
        for when, amount in pool.items():
            month_direct = direct.xs(when, level="month") if when in months else pd.Series(dtype=float)
            weights = _weights(item, when, month_direct, dim.unallocated, metrics or {})
            shares = amount * weights / weights.sum()
            parts.append(pd.DataFrame({"month": when, "owner": shares.index, "kind": "shared",
                                       "source": item.name, "cost": shares.to_numpy()}))
    frame = pd.concat(parts, ignore_index=True)[LONG_COLUMNS] if parts else pd.DataFrame(columns=LONG_COLUMNS)
    return frame.sort_values(["month", "owner", "kind"], ignore_index=True)


def by_owner(long: pd.DataFrame) -> pd.DataFrame:
    """Owner x month with direct, shared and total columns (showback view)."""
    wide = long.pivot_table(index=["month", "owner"], columns="kind", values="cost", aggfunc="sum", fill_value=0.0)
    wide = wide.reindex(columns=["direct", "shared"], fill_value=0.0)
    wide["total"] = wide["direct"] + wide["shared"]
    return wide.reset_index()


ALL_OWNERS = "All owners"


def complete_months(wide: pd.DataFrame, last_day: dt.date) -> pd.DataFrame:
    """The rows of `wide` in months that end on or before `last_day` (the data's or the range's last day)."""
    ends = (pd.to_datetime(wide["month"]) + pd.offsets.MonthEnd(0)).dt.date
    return wide[(ends <= last_day).to_numpy()]


def showback_table(wide: pd.DataFrame, last_day: dt.date) -> pd.DataFrame:
    """Owner rows x month columns (`YYYY-MM`; a month that ends after `last_day` is labelled
    `YYYY-MM (to DD Mon)`) with `Total` first, largest total first, then an `All owners` row, and the
    change between the two latest complete months (a partial month is never compared with a whole one).
    Amounts are rounded to cents so that every column's owners add up to its `All owners` figure."""
    table = wide.pivot_table(index="owner", columns="month", values="total", aggfunc="sum", fill_value=0.0)
    complete = set(complete_months(pd.DataFrame({"month": table.columns}), last_day)["month"])
    table.columns = [m.strftime("%Y-%m") + ("" if m in complete else f" (to {last_day:%d %b})") for m in table.columns]
    months = list(table.columns)
    table.insert(0, "Total", table.sum(axis=1))
    table = round_columns(table.sort_values("Total", ascending=False), ["Total", *months])
    table.loc[ALL_OWNERS] = table.sum(axis=0).round(2)
    whole = [m for m in months if "(to" not in m]
    if len(whole) > 1:
        table[f"Change {whole[-1]} vs {whole[-2]}"] = (table[whole[-1]] - table[whole[-2]]).round(2)
    return table.rename_axis("Owner").reset_index()
