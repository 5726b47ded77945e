"""A scenario over the baseline: the forecast by calendar month, with the levers applied in order.

The baseline of a scope is the Forecast page's automatic model fitted on that scope's own daily history
(up to the data's last day) and projected by calendar month: the first month is its actual to date plus the
forecast of the rest. Each month's interval is the central 80% of that month's total over the model's
simulated paths. A lever changes the cost of its scope as earlier levers left it: an earlier change on a
scope that overlaps counts in proportion to the overlap's share of the earlier scope's cost over the last
90 days (the intersection of the two scopes), and new cost placed under a provider and service counts
where that provider and service fall in the scope. A commitment's fee is owed whatever later levers do. The interval
of a change is the lever applied to the low and high ends of its scope's interval.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from analysis.commitments.eligibility import commitment_eligible
from analysis.forecast import fitted
from analysis.forecast.forecaster import project_months
from analysis.forecast.report import scope_daily
from analysis.query import CostQueries, Filters
from analysis.scenarios import levers as lv
from analysis.scenarios.model import Scenario, ScenarioError, lever_label
from analysis.scope import Scope, contains, describe, intersect, scoped

USAGE: Scope = (("ChargeCategory", ("Usage",)),)
SHARE_DAYS = 90  # days of history that say how much of one scope's cost lies in another


@dataclass(frozen=True)
class Part:
    """Part of a lever's change: `scaled` changes the cost of `scope` in proportion; `placed` is new cost
    appearing in `scope`; `fixed` is owed whatever later levers do (a commitment fee)."""

    kind: Literal["scaled", "placed", "fixed"]
    scope: Scope
    delta: np.ndarray  # (3, months)


@dataclass(frozen=True)
class Projection:
    """A scope's months: `actual` to date and the forecast `rest` (3 x months: forecast, low, high)."""

    actual: np.ndarray
    rest: np.ndarray
    has_cost: bool
    problem: str = ""  # why a scope with cost has no forecast (too little history)


@dataclass
class ScenarioResult:
    """Baseline and scenario by month (3 x months, whole months: forecast, low, high) and each lever's change."""

    scenario: Scenario
    months: list[str]
    share: np.ndarray
    baseline: np.ndarray
    total: np.ndarray
    effects: list[tuple[str, str, str, np.ndarray]] = field(default_factory=list)  # label, scope, what, change
    warnings: list[str] = field(default_factory=list)

    def table(self) -> pd.DataFrame:
        """Month by month: baseline and scenario with their intervals, the change, and cumulative totals."""
        out = pd.DataFrame({"month": self.months, "baseline": self.baseline[0], "baseline_lower": self.baseline[1],
                            "baseline_upper": self.baseline[2], "scenario": self.total[0],
                            "scenario_lower": self.total[1], "scenario_upper": self.total[2]})
        out["delta"] = out["scenario"] - out["baseline"]
        out["baseline_cumulative"] = out["baseline"].cumsum()
        out["scenario_cumulative"] = out["scenario"].cumsum()
        return out

    def effect_table(self) -> pd.DataFrame:
        """Each lever: what it does, on which scope, and its change over the months shown."""
        return pd.DataFrame([{"lever": label, "scope": scope, "what": what, "change": float(change.sum())}
                             for label, scope, what, change in self.effects],
                            columns=["lever", "scope", "what", "change"])

    def as_json(self) -> dict:
        cents = lambda values: [round(float(v), 2) for v in values]
        return {"name": self.scenario.name, "months": self.months, "baseline": cents(self.baseline[0]),
                "scenario": cents(self.total[0]), "baseline_total": round(float(self.baseline[0].sum()), 2),
                "scenario_total": round(float(self.total[0].sum()), 2),
                "delta_total": round(float(self.total[0].sum() - self.baseline[0].sum()), 2)}


class _Baselines:
    """Projections of scopes, each fitted once."""

    def __init__(self, q: CostQueries, metric: str, last_day: dt.date, months: int, currency: str | None):
        self.q, self.metric, self.last_day, self.months, self.currency = q, metric, last_day, months, currency
        self.cache: dict[Scope, Projection] = {}
        self.shares: dict[tuple[Scope, Scope], float] = {}

    def __call__(self, scope: Scope | None) -> Projection:
        if scope is None:
            return Projection(np.zeros(self.months), np.zeros((3, self.months)), False)
        if scope not in self.cache:
            daily = scope_daily(self.q, scope, self.metric, self.last_day, self.currency)
            if not (daily.to_numpy() != 0).any():
                self.cache[scope] = Projection(np.zeros(self.months), np.zeros((3, self.months)), False)
            else:
                try:
                    rows = project_months(fitted(daily), self.months)
                except ValueError as error:  # e.g. a scope whose cost began days ago: too little history
                    none = np.zeros(self.months)
                    self.cache[scope] = Projection(none, np.vstack([none] * 3), False, str(error))
                    return self.cache[scope]
                actual = rows["actual"].to_numpy()
                rest = np.vstack([rows[c].to_numpy() - actual for c in ("forecast", "lower", "upper")])
                self.cache[scope] = Projection(actual, rest, True)
        return self.cache[scope]


    def share(self, part: Scope, of: Scope) -> float:
        """The share of `of`'s cost over the last SHARE_DAYS days that is also in `part` (0 to 1)."""
        key = (part, of)
        if key not in self.shares:
            both = intersect(part, of)
            window = Filters(start=self.last_day - dt.timedelta(days=SHARE_DAYS - 1),
                             end=self.last_day + dt.timedelta(days=1), currency=self.currency)
            whole = self.q.total(scoped(window, of), self.metric)
            inside = self.q.total(scoped(window, both), self.metric) if both is not None else 0.0
            self.shares[key] = min(max(inside / whole, 0.0), 1.0) if whole > 0 else 0.0
        return self.shares[key]


def months_from(last_day: dt.date, months: int) -> tuple[list[str], np.ndarray]:
    """The month labels (`2026-11`, ...) from the month holding `last_day`, and the share of each still to come."""
    first = pd.Timestamp(last_day).to_period("M")
    labels = [str(first + k) for k in range(months)]
    share = np.ones(months)
    share[0] = (first.days_in_month - last_day.day) / first.days_in_month
    return labels, share


def run(q: CostQueries, scenario: Scenario, last_day: dt.date, months: int | None = None,
        currency: str | None = None, scope: Scope = ()) -> ScenarioResult:
    """The scenario's months from the month holding `last_day`, against the baseline, for the whole bill or
    the part of it in `scope` (a budget's, say). ScenarioError when a lever starts before the first month
    or the baseline has too little history to forecast; a lever whose scope has no cost, or too little history,
    is reported in `warnings`."""
    n = months or scenario.months
    labels, share = months_from(last_day, n)
    baselines = _Baselines(q, scenario.metric, last_day, n, currency)
    view = baselines(scope)
    if view.problem:
        raise ScenarioError(f"scenario {scenario.name!r}: no baseline forecast for {describe(scope)}: {view.problem}")
    actual = np.vstack([view.actual] * 3)
    parts: list[Part] = []
    result = ScenarioResult(scenario, labels, share, actual + view.rest, view.rest.copy())
    for index, lever in enumerate(scenario.levers):
        label = lever_label(index, lever)
        if lever.start < labels[0]:
            raise ScenarioError(f"scenario {scenario.name!r}, {label}, field from: {lever.start} is before the "
                                f"first month, {labels[0]} (the month holding the data's last day, {last_day})")
        if lever.start not in labels:
            result.warnings.append(f"{label} starts in {lever.start}, after the last month shown ({labels[-1]})")
            continue
        new = _apply(lever, labels.index(lever.start), share, baselines, parts, result.warnings, label)
        parts.extend(new)
        if scope:  # the part of every change that falls in the scope shown
            now = _current(scope, baselines, parts) + sum(
                (p.delta for p in parts if p.kind == "fixed" and contains(scope, p.scope)), np.zeros((3, n)))
            change, result.total = now - result.total, now
        else:
            change = sum((p.delta for p in new), np.zeros((3, n)))
            result.total += change
        result.effects.append((label, describe(lever.scope), lever.describe(), change[0]))
    result.total += actual
    result.total = np.vstack([result.total[0], result.total.min(axis=0), result.total.max(axis=0)])
    return result


def _current(scope: Scope, baselines: _Baselines, parts: list[Part]) -> np.ndarray:
    """The scope's cost still to come as earlier levers left it."""
    own = baselines(scope)
    current = own.rest.copy()
    for part in parts:
        if part.kind == "placed" and contains(scope, part.scope):
            current += part.delta
        elif part.kind == "scaled":
            current += part.delta * baselines.share(scope, part.scope)
    return current


def _apply(lever, start: int, share: np.ndarray, baselines: _Baselines, parts: list[Part], warnings: list[str],
           label: str) -> list[Part]:
    """The parts of one lever's change."""
    if lever.kind == "new_spend":
        where = (("ProviderName", (lever.provider,)), ("ServiceName", (lever.service,)))
        return [Part("placed", where, lv.new_spend(share, start, lever.monthly))]
    scope = {"price_change": intersect(lever.scope, USAGE), "commitment": commitment_eligible(lever.scope)}.get(
        lever.kind, lever.scope)
    if scope is not None and baselines(scope).problem:
        warnings.append(f"{label}: its scope ({describe(lever.scope)}) cannot be forecast "
                        f"({baselines(scope).problem}), so it changes nothing")
        return []
    if scope is None or not baselines(scope).has_cost:
        what = "commitment-eligible cost (on-demand compute and database usage)" if lever.kind == "commitment" \
            else "usage cost" if lever.kind == "price_change" else "cost"
        warnings.append(f"{label}: its scope ({describe(lever.scope)}) has no {what} in the data, so it changes nothing")
        return []
    current = _current(scope, baselines, parts)
    if lever.kind in ("growth", "price_change"):
        delta = lv.growth(current, start, lever.percent, getattr(lever, "compound", "none") == "monthly")
        return [Part("scaled", scope, delta)]
    if lever.kind == "remove":
        return [Part("scaled", scope, lv.remove(current, start))]
    if lever.kind == "migrate":
        out, into = lv.migrate(current, start, lever.percent, lever.price_ratio)
        where = tuple(sorted((d, (v,)) for d, v in (("ProviderName", lever.to_provider),
                                                       ("ServiceName", lever.to_service)) if v))
        return [Part("scaled", scope, out), Part("placed", where, into)]
    covered, fee = lv.commitment(current, share, start, lever.percent, lever.discount, lever.term_months)
    return [Part("scaled", scope, covered), Part("fixed", lever.scope, fee)]
