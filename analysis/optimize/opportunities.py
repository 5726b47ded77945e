"""Savings found in billing data alone, ranked by a conservative monthly estimate.

Every estimate reads the last `Assumptions.lookback_days` days before the period's end (EffectiveCost,
scaled to an average month of 30.44 days) through the query layer, so it runs on DuckDB or Snowflake and
within the user's scope. Each opportunity says its method in one sentence, lists the commitments,
resources or scopes behind it and, where a scenario lever can express it, carries that lever for the
Scenarios page. What a bill cannot support (no commitments, no environment tag, no consumption or
generation data) is a note, never a zero.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from analysis.commitments.eligibility import commitment_eligible
from analysis.dimensions import Dimension
from analysis.optimize.commitments import ID, UNUSED, _lines, month_filters
from analysis.query import CostQueries, Filters
from analysis.scope import Scope, scope_text, scoped
from analysis.store.tables import DATE

MONTH_DAYS = 30.44
GENERATION = "x_current_generation"  # "No" on a previous-generation SKU (AWS CUR product/currentGeneration)
HOURS = ("Hours", "Hour", "Hrs", "hours")  # instance time: what a schedule stops
ENVIRONMENT_KEYS = ("env", "environment", "Environment", "Env", "stage")


@dataclass(frozen=True)
class Assumptions:
    """The editable assumptions behind the estimates; the defaults lean low."""

    lookback_days: int = 30  # the recent window every estimate reads
    commitment_discount: float = 0.20  # what a new commitment would take off on-demand cost (0.2 = 20 %)
    commitment_percentile: float = 10.0  # commit to the daily on-demand spend exceeded on 90 % of days
    environment_tag: str | None = None  # tag key naming the environment; None: the first of ENVIRONMENT_KEYS
    production_values: tuple[str, ...] = ("prod", "production", "prd", "live")  # any case
    scheduled_hours: float = 60.0  # hours a week a scheduled non-production resource still runs (5 x 12)
    weekend_ratio: float = 0.9  # around the clock: weekend days cost at least this share of weekdays
    idle_days: int = 7  # cost with no consumption on each of these last days
    generation_saving: float = 0.10  # what moving to the current generation takes off its cost


@dataclass(frozen=True)
class Opportunity:
    """One thing to do, with a monthly estimate, its method and what lies behind it."""

    kind: str  # unused_commitment, commitment, schedule, idle, previous_generation
    title: str
    scope: str  # the commitment, or the scope written as a scenario scope
    monthly_savings: float
    method: str
    behind: pd.DataFrame  # the commitments, resources or services behind it, largest first
    risk: str | None = None
    lever: dict | None = None  # a scenario lever (fields as in a scenario file) or None


@dataclass(frozen=True)
class Found:
    """The ranked opportunities of a period and scope, and what could not be looked for."""

    opportunities: list[Opportunity]
    window: tuple[dt.date, dt.date]
    notes: list[str] = field(default_factory=list)

    def table(self) -> pd.DataFrame:
        """One row per opportunity: kind, title, scope, monthly savings, method, risk."""
        return pd.DataFrame([{"kind": o.kind, "title": o.title, "scope": o.scope,
                              "monthly_savings": o.monthly_savings, "method": o.method, "risk": o.risk}
                             for o in self.opportunities],
                            columns=["kind", "title", "scope", "monthly_savings", "method", "risk"])


def find_opportunities(q: CostQueries, filters: Filters, end: dt.date,
                       assume: Assumptions = Assumptions()) -> Found:
    """Opportunities in the `assume.lookback_days` days before `end` (exclusive) within `filters`' values."""
    window = replace(filters, start=end - dt.timedelta(days=assume.lookback_days), end=end)
    notes: list[str] = []
    idle = _idle(q, window, assume, notes)
    idle_ids = {i for o in idle for i in o.behind["ResourceId"]}  # counted once: as idle, not scheduled too
    schedules = _schedules(q, window, assume, notes, idle_ids)
    stoppable = pd.concat([o.behind[["ProviderName", "monthly_cost"]] for o in [*idle, *schedules]]
                          or [pd.DataFrame(columns=["ProviderName", "monthly_cost"])], ignore_index=True)
    demand, unused = _on_demand_daily(q, window), _unused_daily(q, window)
    found = [*_unused_commitments(window, unused, demand.copy(), notes),
             *_new_commitments(window, assume, notes, demand, unused, stoppable),
             *schedules, *idle, *_previous_generation(q, window, assume, notes, idle_ids)]
    found = [o for o in found if o.monthly_savings > 0.005]
    found.sort(key=lambda o: (-o.monthly_savings, o.kind, o.scope))
    return Found(found, (window.start, end), notes)


def _monthly(amount: float, days: int) -> float:
    return float(amount) / days * MONTH_DAYS


def _unit(window: Filters) -> str:
    return f" {window.currency}" if window.currency else ""


def _days(window: Filters) -> int:
    return (window.end - window.start).days


def _growth_lever(scope: Scope, saving: float, scope_cost: float, start: dt.date) -> dict | None:
    """A growth lever of -saving/scope_cost on `scope` from `start` (the month after the last day read), or None."""
    if scope_cost <= 0:
        return None
    percent = -round(min(float(saving) / scope_cost, 1.0) * 100, 1)
    return {"kind": "growth", "scope": dict(scope), "from": f"{start:%Y-%m}", "percent": percent}


def _first_month_after(window: Filters) -> dt.date:
    """The first day of the month after the window's last day: where a lever can start."""
    return month_filters(f"{window.end - dt.timedelta(days=1):%Y-%m}", None).end


# ----- commitments ---------------------------------------------------------------------------------------
def _on_demand_daily(q: CostQueries, window: Filters) -> pd.DataFrame:
    """Eligible on-demand EffectiveCost per provider, service and day: no commitment covered it."""
    keys = ["ProviderName", "ServiceName"]
    eligible = commitment_eligible(window.values)
    if eligible is None:
        return pd.DataFrame({**{k: pd.Series(dtype="string") for k in keys}, "day": pd.Series(dtype="datetime64[us]"),
                             "cost": pd.Series(dtype="float64")})
    t = _lines(q, replace(window, values=eligible))
    t = t.filter(t[ID].isnull())
    return _days_as_timestamps(t.group_by([*keys, t[DATE].name("day")]).aggregate(cost=t.EffectiveCost.sum()))


def _unused_daily(q: CostQueries, window: Filters) -> pd.DataFrame:
    """Unused commitment cost per commitment, with its provider, service category and day."""
    t = _lines(q, window)
    t = t.filter(t[ID].notnull(), t.CommitmentDiscountStatus == UNUSED)
    g = t.group_by([t[ID], t[DATE].name("day")]).aggregate(
        name=t.CommitmentDiscountName.max(), provider=t.ProviderName.max(), service=t.ServiceName.max(),
        category=t.CommitmentDiscountCategory.max(), unused=t.EffectiveCost.sum())
    return _days_as_timestamps(g)


def _days_as_timestamps(t: ir.Table) -> pd.DataFrame:
    frame = t.to_pandas()
    frame["day"] = pd.to_datetime(frame["day"])
    return frame


def _unused_commitments(window: Filters, unused: pd.DataFrame, demand: pd.DataFrame,
                        notes: list[str]) -> list[Opportunity]:
    """Per commitment with `unused` rows, the part of it eligible on-demand spend (`demand`, which this
    consumes) could use."""
    if unused.empty:
        notes.append("unused commitments: no Unused commitment rows in the window")
        return []
    days, out = _days(window), []
    order = unused.groupby(ID)["unused"].sum().sort_values(ascending=False).index
    for cid in order:  # the most idle first; each takes on-demand spend the earlier ones left
        rows = unused[unused[ID] == cid]
        provider, name, service = (rows[c].iloc[0] for c in ("provider", "name", "service"))
        name = name if pd.notna(name) else cid  # FOCUS makes CommitmentDiscountName optional
        usable = (demand["ProviderName"] == provider) & (
            (demand["ServiceName"] == service) if rows["category"].iloc[0] == "Usage" else True)
        pool = demand[usable].groupby("day")["cost"].sum()
        daily = rows.set_index("day")["unused"]
        moved = np.minimum(daily, pool.reindex(daily.index).fillna(0.0)).clip(lower=0)
        for day, amount in moved[moved > 0].items():  # what this commitment takes is gone for the next one
            take = usable & (demand["day"] == day)
            demand.loc[take, "cost"] *= 1 - amount / max(pool[day], 1e-12)
        behind = pd.DataFrame({"commitment": [name], "provider": [provider], "unused_cost": [daily.sum()],
                               "on_demand_it_could_cover": [pool.sum()]})
        out.append(Opportunity(
            "unused_commitment", f"Use the idle part of {name}", str(cid), _monthly(moved.sum(), days),
            "Each day, the smaller of the commitment's unused cost and the eligible on-demand spend it could "
            "cover (same provider; same service for a usage commitment), which would then run under it.",
            behind, risk=f"{_monthly(daily.sum(), days):,.2f}{_unit(window)} a month goes unused now"))
    return out


def _new_commitments(window: Filters, assume: Assumptions, notes: list[str], demand: pd.DataFrame,
                     unused: pd.DataFrame, stoppable: pd.DataFrame) -> list[Opportunity]:
    """Per provider, a commitment level for the eligible on-demand spend (`demand`) left once idle commitments
    (`unused`) are filled and the idle and schedulable resources (`stoppable`: their `monthly_cost`) are
    stopped."""
    demand = demand.groupby(["ProviderName", "day"], as_index=False)["cost"].sum()
    if demand.empty:
        notes.append("new commitments: no commitment-eligible on-demand usage (Usage priced Standard in "
                      "Compute or Databases) in the window")
        return []
    days, disc, out = _days(window), assume.commitment_discount, []
    calendar = pd.date_range(window.start, window.end - dt.timedelta(days=1))
    for provider, rows in demand.groupby("ProviderName", sort=True):
        spend = rows.set_index("day")["cost"].reindex(calendar, fill_value=0.0)
        idle = unused[unused["provider"] == provider].groupby("day")["unused"].sum()
        spend -= idle.reindex(calendar, fill_value=0.0)  # fill idle commitments first
        if len(stoppable):
            spend -= stoppable.loc[stoppable["ProviderName"] == provider, "monthly_cost"].sum() / MONTH_DAYS
        spend = spend.clip(lower=0.0)
        level = float(np.percentile(spend, assume.commitment_percentile))
        if level <= 0:
            continue
        saving = float((np.minimum(spend, level) - level * (1 - disc)).sum())
        short = spend < level
        wasted = float((level - spend[short]).sum() * (1 - disc))
        scope: Scope = (("ProviderName", (str(provider),)),)
        out.append(Opportunity(
            "commitment", f"Commit {level:,.2f}{_unit(window)} a day of {provider} on-demand compute and databases",
            scope_text(scope), _monthly(saving, days),
            f"Commit to the daily eligible on-demand spend exceeded on {100 - assume.commitment_percentile:g}% "
            f"of the last {days} days (once idle commitments are filled and idle and schedulable resources "
            f"stopped), at {disc:.0%} off; the estimate is what "
            "those days would have saved net of any unused part.",
            pd.DataFrame({"provider": [provider], "daily_level": [level], "mean_daily_on_demand": [spend.mean()],
                          "days_below_level": [int(short.sum())]}),
            risk=f"below the level on {int(short.sum())} of {days} days: "
                 f"{_monthly(wasted, days):,.2f}{_unit(window)} a month would go unused",
            lever={"kind": "commitment", "scope": dict(scope),
                   "from": f"{_first_month_after(window):%Y-%m}",
                   "percent": round(min(100.0, 100 * level / float(spend.mean())), 1), "discount": round(disc * 100, 1),
                   "term_months": 12}))
    return out


# ----- resources -----------------------------------------------------------------------------------------
def _environment_tag(q: CostQueries, assume: Assumptions, notes: list[str]) -> str | None:
    keys = [Dimension.parse(d).name for d in q.tag_keys()]
    wanted = [assume.environment_tag] if assume.environment_tag else list(ENVIRONMENT_KEYS)
    key = next((k for k in wanted if k in keys), None)
    if key is None:
        notes.append("non-production schedules: " + (
            f"the tag {assume.environment_tag!r} is not in this bill" if assume.environment_tag else
            "no environment tag (env, environment or stage) in this bill; pick the tag that names it"))
    return key


def _schedules(q: CostQueries, window: Filters, assume: Assumptions, notes: list[str],
               idle: set[str]) -> list[Opportunity]:
    key = _environment_tag(q, assume, notes)
    if key is None:
        return []
    dimension = str(Dimension.tag(key))
    t = q.filtered(window, {dimension, "ResourceId", "ServiceCategory", "PricingUnit", ID})
    env = q.expr(t, dimension)
    t = t.mutate(env=env).filter(env.notnull(), ~env.lower().isin([v.lower() for v in assume.production_values]),
                                 t.ChargeCategory == "Usage", t.ServiceCategory == "Compute",
                                 t.PricingUnit.isin(HOURS), t.ResourceId.notnull(), t[ID].isnull())
    weekend = t[DATE].day_of_week.index() >= 5
    g = t.group_by([t.ResourceId, t.ResourceName, t.ProviderName, t.SubAccountName, t.ServiceName, t.env]).aggregate(
        cost=t.EffectiveCost.sum(), days=t[DATE].nunique(),
        weekend=t.EffectiveCost.sum(where=weekend).coalesce(0.0),
        weekend_days=t[DATE].nunique(where=weekend).coalesce(0)).to_pandas()
    days = _days(window)
    weekend_days = sum(1 for d in pd.date_range(window.start, window.end - dt.timedelta(days=1)) if d.weekday() >= 5)
    if g.empty or weekend_days == 0:
        return []
    per_weekend = g["weekend"] / weekend_days
    per_weekday = (g["cost"] - g["weekend"]) / (days - weekend_days)
    clock = g[(g["days"] == days) & (per_weekend >= assume.weekend_ratio * per_weekday) & (g["cost"] > 0)
              & ~g["ResourceId"].isin(idle)]
    off = 1 - assume.scheduled_hours / 168
    out = []
    for account, rows in clock.groupby("SubAccountName", sort=True):
        values = tuple(sorted(rows["env"].unique()))
        scope: Scope = tuple(sorted({("ServiceCategory", ("Compute",)), ("SubAccountName", (str(account),)),
                                     (dimension, values)}))
        saving = rows["cost"].sum() * off
        behind = rows.assign(monthly_cost=rows["cost"] / days * MONTH_DAYS,
                             monthly_savings=rows["cost"] / days * MONTH_DAYS * off)
        out.append(Opportunity(
            "schedule", f"Schedule {len(rows)} non-production compute resource(s) in {account}",
            scope_text(scope), _monthly(saving, days),
            f"Non-production ({key} not {'/'.join(assume.production_values)}) on-demand compute billed by the hour "
            f"on every day of the last {days}, weekends as much as weekdays, would run "
            f"{assume.scheduled_hours:g} of 168 hours a week on a schedule.",
            behind.drop(columns=["weekend", "weekend_days", "days", "cost"]).sort_values("monthly_savings",
                                                                                      ascending=False),
            lever=_growth_lever(scope, saving, q.total(scoped(window, scope)), _first_month_after(window))))
    return out


def _by_service(q: CostQueries, window: Filters, rows: pd.DataFrame, kind: str, title: str, method: str,
                saving_share: float) -> list[Opportunity]:
    """One opportunity per sub-account and service of `rows` (resource frame with a `cost` column)."""
    days, out = _days(window), []
    for (account, service), group in rows.groupby(["SubAccountName", "ServiceName"], sort=True):
        scope: Scope = (("ServiceName", (str(service),)), ("SubAccountName", (str(account),)))
        saving = group["cost"].sum() * saving_share
        behind = group.assign(monthly_cost=group["cost"] / days * MONTH_DAYS).drop(columns=["cost"])
        out.append(Opportunity(kind, title.format(n=len(group), service=service, account=account), scope_text(scope),
                               _monthly(saving, days), method,
                               behind.sort_values("monthly_cost", ascending=False),
                               lever=_growth_lever(scope, saving, q.total(scoped(window, scope)),
                                                   _first_month_after(window))))
    return out


def _idle(q: CostQueries, window: Filters, assume: Assumptions, notes: list[str]) -> list[Opportunity]:
    recent = replace(window, start=window.end - dt.timedelta(days=assume.idle_days))
    t = q.filtered(recent, {"ResourceId", "ConsumedQuantity"})
    t = t.filter(t.ChargeCategory == "Usage", t.ResourceId.notnull())
    g = t.group_by([t.ResourceId, t.ResourceName, t.ProviderName, t.SubAccountName, t.ServiceName]).aggregate(
        cost=t.EffectiveCost.sum(), rows=t.count(), measured=t.ConsumedQuantity.count(),
        consumed=t.ConsumedQuantity.abs().sum().coalesce(0.0), days=t[DATE].nunique()).to_pandas()
    if g.empty:
        notes.append(f"idle resources: no usage charged to a resource in the last {assume.idle_days} days")
        return []
    if not g["measured"].any():
        notes.append("idle resources: no ConsumedQuantity in the window, so usage cannot be told from cost")
        return []
    idle = g[(g["measured"] == g["rows"]) & (g["consumed"] == 0) & (g["cost"] > 0) & (g["days"] == assume.idle_days)]
    # the estimate reads only the idle days: scale them to the lookback window the other kinds use
    idle = idle.assign(cost=idle["cost"] / assume.idle_days * _days(window))[
        ["ResourceId", "ResourceName", "ProviderName", "SubAccountName", "ServiceName", "cost"]]
    return _by_service(q, window, idle, "idle", "Remove or stop {n} idle {service} resource(s) in {account}",
                       f"Resources billed on each of the last {assume.idle_days} days with a consumed quantity of "
                       "zero on every row: the whole cost is the estimate.", 1.0)


def _previous_generation(q: CostQueries, window: Filters, assume: Assumptions, notes: list[str],
                         idle: set[str]) -> list[Opportunity]:
    if GENERATION not in q.lines.columns or not q.filtered(window, {GENERATION})[GENERATION].count().to_pandas():
        notes.append("previous generations: no row in the window says whether its SKU is of a previous generation "
                     "(x_current_generation, from a cost report's product/currentGeneration)")
        return []
    t = q.filtered(window, {"ResourceId", GENERATION})
    t = t.filter(t[GENERATION] == "No", t.ChargeCategory == "Usage", t[ID].isnull())
    g = t.group_by([t.ResourceId, t.ResourceName, t.ProviderName, t.SubAccountName, t.ServiceName, t.SkuId]).aggregate(
        cost=t.EffectiveCost.sum()).to_pandas()
    g = g[~g["ResourceId"].isin(idle)]
    share = assume.generation_saving
    return _by_service(q, window, g, "previous_generation",
                       "Move {n} previous-generation {service} resource(s) in {account} to the current one",
                       f"On-demand cost of SKUs the provider marks as previous generation, times {share:.0%}: the "
                       "assumed price gap to the current generation of the same size.", share)

