"""Commitment discounts (savings plans, reservations, committed use) from FOCUS columns: utilization, unused
cost, coverage and savings for any period and scope (`Filters`). Every sum and ratio is an ibis expression,
so it runs where the data is (DuckDB or Snowflake); a figure that cannot be computed is None with a note
saying why, never a zero that looks like a measurement."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field, replace

import ibis
import ibis.expr.types as ir
import pandas as pd

from analysis.commitments.eligibility import ELIGIBLE_CATEGORIES, commitment_eligible
from analysis.dimensions import missing_label
from analysis.query import CostQueries, Filters
from analysis.store.tables import DATE

USED, UNUSED = "Used", "Unused"
ID = "CommitmentDiscountId"
# Line-item columns a commitment figure reads; a bill without one (FOCUS makes several optional) reads nulls.
COLUMNS: dict[str, str] = {
    ID: "string", "CommitmentDiscountName": "string", "CommitmentDiscountType": "string",
    "CommitmentDiscountCategory": "string", "CommitmentDiscountStatus": "string",
    "CommitmentDiscountQuantity": "float64", "CommitmentDiscountUnit": "string", "ChargeCategory": "string",
    "PricingCategory": "string", "ProviderName": "string", "ListCost": "float64", "ContractedCost": "float64",
}
NO_COMMITMENTS = "no commitment discount rows (CommitmentDiscountStatus Used or Unused) in this period and scope"


@dataclass(frozen=True)
class Figure:
    """A number, or None with the reason it cannot be computed."""

    value: float | None
    note: str | None = None


def _lines(q: CostQueries, filters: Filters) -> ir.Table:
    """The filtered line items, with every column of `COLUMNS` (null where the bill lacks it)."""
    t = q.filtered(filters, set(COLUMNS))
    missing = {c: ibis.null(dtype) for c, dtype in COLUMNS.items() if c not in t.columns}
    return t.mutate(**missing) if missing else t


def _month(t: ir.Table) -> ir.Value:
    return t[DATE].truncate("M").cast("date").name("month")


def _ratio(part: ir.NumericValue, whole: ir.NumericValue) -> ir.NumericValue:
    """part / whole, null when whole is zero or null."""
    return ibis.ifelse(whole == 0, ibis.null("float64"), part / whole)


def _frame(expr: ir.Table) -> pd.DataFrame:
    frame = expr.to_pandas()
    if "month" in frame:
        frame["month"] = pd.to_datetime(frame["month"]).dt.strftime("%Y-%m")
    return frame


def utilization(q: CostQueries, filters: Filters) -> tuple[pd.DataFrame, Figure]:
    """Per commitment and in total: used / (used + unused) over the Used and Unused rows of `filters`.

    Per commitment the basis is `quantity` (`CommitmentDiscountQuantity`) when every one of its Used and
    Unused rows carries a quantity and they add to more than zero, else `cost` (`EffectiveCost`). The total is
    cost-based: quantities of different commitments are in different units. Frame columns: the id, name,
    type, category, provider, used/unused cost and quantity, `basis`, `utilization` (NaN with a `note`
    when the commitment's rows carry neither quantity nor cost), largest unused cost first.
    """
    t = _lines(q, filters)
    t = t.filter(t[ID].notnull(), t.CommitmentDiscountStatus.isin([USED, UNUSED]))
    used, quantity = t.CommitmentDiscountStatus == USED, t.CommitmentDiscountQuantity
    g = t.group_by(t[ID]).aggregate(
        name=t.CommitmentDiscountName.max(), type=t.CommitmentDiscountType.max(),
        category=t.CommitmentDiscountCategory.max(), provider=t.ProviderName.max(),
        unit=t.CommitmentDiscountUnit.max(),
        used_cost=t.EffectiveCost.sum(where=used).coalesce(0.0),
        unused_cost=t.EffectiveCost.sum(where=~used).coalesce(0.0),
        used_quantity=quantity.sum(where=used).coalesce(0.0),
        unused_quantity=quantity.sum(where=~used).coalesce(0.0),
        rows=t.count(), quantities=quantity.count())
    by_quantity = (g.quantities == g.rows) & (g.used_quantity + g.unused_quantity > 0)
    g = g.mutate(**{c: ibis.ifelse(g.quantities > 0, g[c], ibis.null("float64"))  # no quantity: not a zero
                    for c in ("used_quantity", "unused_quantity")},
                 basis=ibis.ifelse(by_quantity, "quantity", "cost"),
                 utilization=ibis.ifelse(by_quantity, _ratio(g.used_quantity, g.used_quantity + g.unused_quantity),
                                         _ratio(g.used_cost, g.used_cost + g.unused_cost)))
    frame = _frame(g.drop("rows", "quantities").order_by([ibis.desc("unused_cost"), ID]))
    frame["note"] = frame["utilization"].isna().map(
        {True: "its Used and Unused rows carry neither a quantity nor a cost", False: None})
    if frame.empty:
        return frame, Figure(None, NO_COMMITMENTS)
    total = t.aggregate(used=t.EffectiveCost.sum(where=used).coalesce(0.0), all=t.EffectiveCost.sum())
    value = _frame(total.mutate(share=_ratio(total.used, total.all))).iloc[0]["share"]
    if pd.isna(value):
        return frame, Figure(None, "the commitments' Used and Unused rows carry no EffectiveCost")
    return frame, Figure(float(value), "cost-based: EffectiveCost of Used rows / of Used and Unused rows")


def unused_by_month(q: CostQueries, filters: Filters) -> pd.DataFrame:
    """Unused commitment cost (waste: `EffectiveCost` of Unused rows) per month (`YYYY-MM`) and commitment,
    for every commitment with Used or Unused rows that month (0.0 when none of it went unused)."""
    t = _lines(q, filters)
    t = t.filter(t[ID].notnull(), t.CommitmentDiscountStatus.isin([USED, UNUSED]))
    g = t.group_by([_month(t), t[ID]]).aggregate(
        provider=t.ProviderName.max(), type=t.CommitmentDiscountType.max(),
        unused_cost=t.EffectiveCost.sum(where=t.CommitmentDiscountStatus == UNUSED).coalesce(0.0))
    return _frame(g.order_by(["month", ibis.desc("unused_cost"), ID]))


@dataclass(frozen=True)
class Coverage:
    """The share of commitment-eligible usage a commitment covered, and its parts (in the `basis` metric)."""

    share: Figure
    covered: float
    on_demand: float
    basis: str  # ListCost (the on-demand equivalent) or EffectiveCost


def coverage(q: CostQueries, filters: Filters, categories: tuple[str, ...] = ELIGIBLE_CATEGORIES) -> Coverage:
    """covered / (covered + eligible on demand).

    Covered: Usage rows of those categories with a `CommitmentDiscountId` and status Used. Eligible on demand: the rows
    `commitment_eligible` selects (FOCUS 1.2 has no eligibility column; it approximates with Usage rows priced
    Standard, i.e. on demand, of the service categories commitments cover on every major cloud, Compute and
    Databases, or of `categories`; spot, purchases, tax and credits are not eligible) that no commitment
    covered. Both are
    measured in `ListCost`, the on-demand equivalent (so a discount does not shrink the covered part), when
    every such row has one, else in `EffectiveCost` (the basis says which).
    """
    by_lists, dones, lefts = _in_basis(_coverage_parts(q, filters, categories, monthly=False))
    by_list, done, left = bool(by_lists.iloc[0]), float(dones.iloc[0]), float(lefts.iloc[0])
    basis = "ListCost" if by_list else "EffectiveCost"
    if done + left == 0:
        why = (f"no commitment-eligible usage (Usage priced Standard in {' or '.join(categories) or 'no category'}, "
               "or covered by a commitment) in this period and scope")
        return Coverage(Figure(None, why), done, left, basis)
    note = f"in {basis}" + ("" if by_list else " (ListCost is empty on some eligible rows)")
    return Coverage(Figure(done / (done + left), note), done, left, basis)


def _covered(t: ir.Table, categories: tuple[str, ...]) -> ir.Table:
    """Usage a commitment covered, in the eligible service categories (or in none the bill names)."""
    return t.filter(t.ChargeCategory == "Usage", t[ID].notnull(), t.CommitmentDiscountStatus == USED,
                    t.ServiceCategory.isin(categories or ("",)) | t.ServiceCategory.isnull())


def _coverage_parts(q: CostQueries, filters: Filters, categories: tuple[str, ...], monthly: bool) -> pd.DataFrame:
    """Covered and eligible on-demand usage (`_covered`, `commitment_eligible` without a commitment): their
    ListCost, EffectiveCost and rows without a ListCost (`_COVER_COLUMNS`, 0 where there are none), per month
    (`YYYY-MM`) or, without `monthly`, for the whole period (one row)."""
    parts = [(_covered(_lines(q, filters), categories), "covered")]
    eligible = commitment_eligible(filters.values, categories)  # None: the scope holds no eligible usage
    if eligible is not None:
        e = _lines(q, replace(filters, values=eligible))
        parts.append((e.filter(e[ID].isnull()), "on_demand"))
    frames = [_frame(t.group_by(_month(t)).aggregate(**_cover_sums(t, who)) if monthly
                     else t.aggregate(**_cover_sums(t, who))) for t, who in parts]
    if monthly:
        frame = functools.reduce(lambda a, b: a.merge(b, on="month", how="outer"), frames)
    else:
        frame = pd.concat(frames, axis=1)
    return frame.reindex(columns=[*["month"] * monthly, *_COVER_COLUMNS]).fillna(dict.fromkeys(_COVER_COLUMNS, 0))


def _in_basis(parts: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Per row of `_coverage_parts`: whether ListCost is the basis (every covered and eligible row has one),
    and the covered and eligible on-demand cost in that basis (else in EffectiveCost)."""
    by_list = parts["covered_no_list"] + parts["on_demand_no_list"] == 0
    return (by_list, parts["covered_list"].where(by_list, parts["covered_effective"]),
            parts["on_demand_list"].where(by_list, parts["on_demand_effective"]))


def savings(q: CostQueries, filters: Filters, by: tuple[str, ...] = ("ProviderName",),
            monthly: bool = True) -> pd.DataFrame:
    """Per month (`YYYY-MM`; without `monthly`, the whole period) and `by` value, over every charge except
    commitment purchases (ChargeCategory Purchase with a `CommitmentDiscountId`, whose cost the Used and Unused
    rows already amortize):

    negotiated = Σ List − Σ Contracted, commitment = Σ Contracted − Σ Effective, total = Σ List − Σ Effective,
    savings_rate (the effective savings rate) = total / Σ List. A figure is NaN, with a `note`, when a cost it
    needs is empty on some rows (ListCost, ContractedCost) or Σ ListCost is zero.
    """
    t = _lines(q, filters)
    t = t.filter(~((t.ChargeCategory == "Purchase") & t[ID].notnull()))
    keys = [_month(t)] * monthly + [q.expr(t, d).name(d) for d in by]
    sums = {"list_cost": t.ListCost.sum().coalesce(0.0), "contracted_cost": t.ContractedCost.sum().coalesce(0.0),
            "effective_cost": t.EffectiveCost.sum().coalesce(0.0), "rows": t.count(),
            "no_list": t.count(where=t.ListCost.isnull()).coalesce(0),  # a count over no rows is null on Snowflake
            "no_contracted": t.count(where=t.ContractedCost.isnull()).coalesce(0)}
    g = t.group_by(keys).aggregate(**sums) if keys else t.aggregate(**sums)
    known_list, known_contracted = g.no_list == 0, g.no_contracted == 0
    nothing = ibis.null("float64")
    g = g.mutate(
        negotiated_savings=ibis.ifelse(known_list & known_contracted, g.list_cost - g.contracted_cost, nothing),
        commitment_savings=ibis.ifelse(known_contracted, g.contracted_cost - g.effective_cost, nothing),
        total_savings=ibis.ifelse(known_list, g.list_cost - g.effective_cost, nothing),
        savings_rate=ibis.ifelse(known_list, _ratio(g.list_cost - g.effective_cost, g.list_cost), nothing))
    frame = _frame(g.order_by(["month"] * monthly + list(by)) if monthly or by else g)
    for d in by:
        frame[d] = frame[d].astype("string").fillna(missing_label(d))
    frame["note"] = [_savings_note(r) for r in frame.itertuples()]
    return frame.drop(columns=["no_list", "no_contracted"])


def _savings_note(row: object) -> str | None:
    notes = [f"{column} is empty on {n:,} of {row.rows:,} rows" for column, n in
             (("ListCost", row.no_list), ("ContractedCost", row.no_contracted)) if n]
    if not row.no_list and row.list_cost == 0:
        notes.append("the list cost is zero, so there is no rate")
    return "; ".join(notes) or None


@dataclass(frozen=True)
class CommitmentView:
    """Every commitment figure of one period and scope, as the command and the page show them."""

    commitments: pd.DataFrame  # `utilization` per commitment
    utilization: Figure
    unused: pd.DataFrame  # `unused_by_month`
    unused_cost: Figure
    coverage: Coverage
    savings: pd.DataFrame  # per month and provider
    savings_rate: Figure  # the whole period, every provider
    notes: list[str] = field(default_factory=list)


def commitment_view(q: CostQueries, filters: Filters,
                    categories: tuple[str, ...] = ELIGIBLE_CATEGORIES) -> CommitmentView:
    """Utilization, unused cost, coverage (of usage in `categories`) and savings for `filters`, each with
    the reason it may be None."""
    commitments, total = utilization(q, filters)
    unused = unused_by_month(q, filters)
    unused_cost = Figure(float(unused["unused_cost"].sum())) if len(unused) else Figure(None, NO_COMMITMENTS)
    rate = _rate(savings(q, filters, by=(), monthly=False))
    cover = coverage(q, filters, categories)
    notes = [f"{name}: {f.note}" for name, f in (("utilization", total), ("unused cost", unused_cost),
                                                 ("coverage", cover.share), ("effective savings rate", rate))
             if f.value is None]
    return CommitmentView(commitments, total, unused, unused_cost, cover, savings(q, filters), rate, notes)


def _rate(whole: pd.DataFrame) -> Figure:
    if whole.empty or not whole.iloc[0]["rows"]:
        return Figure(None, "no charges in this period and scope")
    row = whole.iloc[0]
    if pd.isna(row["savings_rate"]):
        return Figure(None, row.get("note") or "the list cost is zero or empty")
    return Figure(float(row["savings_rate"]), "(Σ ListCost − Σ EffectiveCost) / Σ ListCost, commitment "
                                              "purchases excluded")


def trend(q: CostQueries, filters: Filters, categories: tuple[str, ...] = ELIGIBLE_CATEGORIES) -> pd.DataFrame:
    """Per month (`YYYY-MM`): cost-based utilization, unused cost, coverage (in ListCost, or EffectiveCost
    when a row lacks it) and the effective savings rate; NaN where a month has nothing to measure."""
    t = _lines(q, filters)
    c = t.filter(t[ID].notnull(), t.CommitmentDiscountStatus.isin([USED, UNUSED]))
    used = c.group_by(_month(c)).aggregate(used=c.EffectiveCost.sum(where=c.CommitmentDiscountStatus == USED),
                                           unused_cost=c.EffectiveCost.sum(where=c.CommitmentDiscountStatus == UNUSED))
    frame = savings(q, filters, by=())[["month", "savings_rate"]].merge(_frame(used), on="month", how="left")
    frame = frame.merge(_coverage_parts(q, filters, categories, monthly=True), on="month", how="left")
    _, done, left = _in_basis(frame.fillna(dict.fromkeys(_COVER_COLUMNS, 0)))
    frame["coverage"] = (done / (done + left)).where(done + left != 0)
    frame["utilization"] = (frame["used"] / (frame["used"] + frame["unused_cost"])).where(frame["used"].notna())
    return frame[["month", "utilization", "unused_cost", "coverage", "savings_rate"]]


_COVER_COLUMNS = [f"{who}_{what}" for who in ("covered", "on_demand") for what in ("list", "effective", "no_list")]


def _cover_sums(t: ir.Table, who: str) -> dict:
    return {f"{who}_list": t.ListCost.sum(), f"{who}_effective": t.EffectiveCost.sum(),
            f"{who}_no_list": t.count(where=t.ListCost.isnull())}


def month_filters(month: str, currency: str | None) -> Filters:
    """The calendar month `YYYY-MM` as filters."""
    start = dt.date.fromisoformat(month + "-01")
    return Filters(start=start, end=dt.date(start.year + start.month // 12, start.month % 12 + 1, 1),
                   currency=currency)
