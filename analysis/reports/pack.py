"""The monthly finance pack: one workbook for a calendar month, for finance to send on.

Sheets, in this order: Summary (the month's total against the month before and the same month a year
earlier, the forecast for the next month, the last 12 months by provider), By service, By account,
Showback (direct, shared and total per owner of each allocation dimension), Budgets (when there are
budgets), Forecast (the next 3 months by provider with intervals), Anomalies (the month's events with
root cause and triage), Tags (coverage per key, the largest untagged costs) and Definitions.

Every figure comes from the query layer and the analyses the pages use, for the month, the scope and the
metric asked for. The pack is made as of the month's last day: forecasts, anomaly detection and budget
status use no data after it, so the pack of a closed month reads the same whenever it is made.
Each data sheet holds one Excel Table; money is stored unrounded in the billing currency with a format
that shows cents; totals are written below the Table or on Summary, never as a row of it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.allocation.queries import allocation, problem_with, with_rules
from analysis.allocation.rules import RulesError, RuleSet, parse_rules
from analysis.allocation.split import by_owner, load_metric_tables
from analysis.anomalies import monitor
from analysis.anomalies.triage import Triage, TriageError, event_id, find_triage, load_triage, view_key
from analysis.budgets.evaluate import evaluate
from analysis.budgets.model import FILE_NAME as BUDGETS_FILE
from analysis.budgets.model import Budget, BudgetError, parse_budgets
from analysis.dimensions import METRICS, TOTAL, Dimension, label
from analysis.focus.schema import COLUMNS
from analysis.forecast import fitted
from analysis.forecast.forecaster import project_months
from analysis.forecast.report import scope_daily
from analysis.query import CostQueries, Filters
from analysis.query.costs import check_metric
from analysis.reports.excel import MONTH, Block, Chart, TableSpec, WorkbookWriter
from analysis.reports.safe_csv import download_name
from analysis.scope import Scope, describe, inside_any, intersect, scope_problems, scoped
from analysis.store.workspace import token

DAY = dt.timedelta(days=1)
LEVEL = 0.8                 # forecast interval
FORECAST_MONTHS = 3
HISTORY_MONTHS = 12         # months on the Summary and Forecast charts
TOP_SERVICES = 10           # services on the By service chart
UNTAGGED_ROWS = 25
MONITORS = (TOTAL, "ServiceName")  # the anomaly monitors scanned: the whole scope, and per service
ANOMALY_SETTINGS = {"sensitivity": 0.5, "min_impact": 100.0, "min_impact_pct": 10.0, "usage_only": True}
SERVICE_BY = ("ServiceName", "ServiceCategory", "ProviderName")
ACCOUNT_BY = ("SubAccountName", "SubAccountId", "ProviderName")
SHEETS = ("Summary", "By service", "By account", "Showback", "Budgets", "Forecast", "Anomalies", "Tags",
          "Definitions")
METRIC_MEANING = {
    "EffectiveCost": "Amortized cost: what the usage cost after every discount, with commitment purchases "
                     "(savings plans, reservations) spread over the usage they cover. The default for analysis.",
    "BilledCost": "What the invoice shows: commitment purchases on the day they are billed, the usage they "
                  "cover at zero.",
    "ListCost": "The cost at the provider's public list prices, before any discount.",
    "ContractedCost": "The cost at the prices negotiated in the contract, before commitment discounts.",
}

COLUMN_MEANING = {  # the FOCUS columns the pack groups by
    "ProviderName": "The provider that made the services available (AWS, Microsoft, Google Cloud...).",
    "ServiceName": "The provider's name of the service (Amazon EC2, Virtual Machines, BigQuery...).",
    "ServiceCategory": "The FOCUS category of the service (Compute, Storage, Databases...).",
    "SubAccountName": "The account the resources belong to: an AWS account, an Azure subscription, a Google Cloud "
                      "project.",
    "SubAccountId": "The provider's identifier of that account.",
}


class PackError(ValueError):
    """Why no pack can be made: a month that is not one, no data for it, a scope the data lacks, rules or
    budgets that cannot be used. The message says which."""


@dataclass(frozen=True)
class PackInputs:
    """What the pack reads besides the bill: allocation rules (their text, whose token names the version
    used), budgets, anomaly triage and the rules' metric tables; `notes` say what could not be read."""

    rules_text: str | None = None
    rules_source: str = ""
    budgets: tuple[Budget, ...] = ()
    triage: Mapping[str, Triage] = field(default_factory=dict)
    metric_tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def rules(self) -> RuleSet | None:
        return parse_rules(self.rules_text, self.rules_source or "allocation.yaml") if self.rules_text else None

    @classmethod
    def from_texts(cls, rules_text: str | None = None, budgets_text: str | None = None,
                   triage: Mapping[str, Triage] | None = None, folder: Path | str | None = None,
                   rules_source: str = "allocation.yaml", budgets_source: str = BUDGETS_FILE,
                   notes: Sequence[str] = ()) -> PackInputs:
        """Inputs from file texts; metric tables are read next to the rules in `folder`. PackError names
        the file and the problem."""
        tables: dict[str, pd.DataFrame] = {}
        if rules_text:
            try:
                rules = parse_rules(rules_text, rules_source)
                tables = load_metric_tables(rules, folder) if folder is not None else {}
            except RulesError as error:
                raise PackError(f"Allocation rules cannot be used: {error}") from error
        try:
            budgets = tuple(parse_budgets(budgets_text, budgets_source)) if budgets_text else ()
        except BudgetError as error:
            raise PackError(f"Invalid budgets: {error}") from error
        return cls(rules_text or None, rules_source, budgets, dict(triage or {}), tables, tuple(notes))

    @classmethod
    def from_workspace(cls, folder: Path | str, rules: Path | str | None = None,
                       budgets: Path | str | None = None) -> PackInputs:
        """The rules, budgets and triage of a workspace folder (`allocation.yaml`, `budgets.yaml`,
        `anomaly_triage.yaml`), or the `rules` and `budgets` files given. A missing budget or triage file
        means none; a triage file that cannot be read is left out and said in `notes`."""
        folder = Path(folder)
        rules_file = Path(rules) if rules else folder / "allocation.yaml"
        budgets_file = Path(budgets) if budgets else folder / BUDGETS_FILE
        texts = {}
        for what, path, required in (("rules", rules_file, rules is not None),
                                     ("budgets", budgets_file, budgets is not None)):
            try:
                texts[what] = path.read_text(encoding="utf-8") if required or path.exists() else None
            except (OSError, UnicodeDecodeError) as error:
                raise PackError(f"Cannot read the {what} file {path}: {getattr(error, 'strerror', None) or error}") \
                    from error
        notes, triage = [], {}
        try:
            triage = load_triage(folder)
        except (TriageError, OSError, UnicodeDecodeError) as error:
            notes.append(f"Triage could not be read, so every event shows as new: {error}")
        return cls.from_texts(texts["rules"], texts["budgets"], triage, rules_file.parent, rules_file.name,
                              budgets_file.name, notes)


@dataclass(frozen=True)
class FinancePack:
    """The workbook (`data`, .xlsx bytes) and what it holds."""

    data: bytes
    month: str  # YYYY-MM
    sheets: tuple[str, ...]
    charts: int
    metric: str
    currency: str
    totals: dict[str, float]  # the month's total per metric (the chosen one first), unrounded

    def summary(self) -> dict:
        """What a scheduled run prints: month, sheets, charts and the month's total (to the cent)."""
        return {"month": self.month, "sheets": list(self.sheets), "charts": self.charts, "currency": self.currency,
                "totals": {self.metric: round(self.totals[self.metric], 2)}}

    @property
    def file_name(self) -> str:
        return pack_file_name(self.metric, self.currency, self.month)


def pack_file_name(metric: str, currency: str | None, month: str) -> str:
    """`finance_pack_EffectiveCost_USD_2026-10.xlsx`."""
    return download_name("finance_pack", metric, currency, month, suffix=".xlsx")


def parse_month(text: str) -> dt.date:
    """The first day of the month written `YYYY-MM`; PackError otherwise."""
    try:
        return dt.datetime.strptime(str(text).strip(), "%Y-%m").date()
    except ValueError:
        raise PackError(f"month {text!r} is not a month written YYYY-MM (e.g. 2026-10)") from None


def default_month(last_day: dt.date) -> dt.date:
    """The last complete calendar month before the month holding `last_day` (the data's last day)."""
    return (last_day.replace(day=1) - DAY).replace(day=1)


def complete_months(period: tuple[dt.date, dt.date]) -> list[dt.date]:
    """First days of the months of the data, newest first: the months a pack can be made for (the month
    holding the last day, month to date, included)."""
    first, last = period
    months, month = [], last.replace(day=1)
    while month >= first.replace(day=1):
        months.append(month)
        month = (month - DAY).replace(day=1)
    return months


def _next(month: dt.date, n: int = 1) -> dt.date:
    year, index = divmod(month.month - 1 + n, 12)
    return dt.date(month.year + year, index + 1, 1)


@dataclass(frozen=True)
class _Month:
    """The month of the pack and its neighbours; `end` exclusive, `as_of` its last day with data."""

    start: dt.date
    end: dt.date
    as_of: dt.date
    previous: dt.date | None  # None when the data does not hold the whole month before
    year_ago: dt.date | None

    @property
    def key(self) -> str:
        return f"{self.start:%Y-%m}"

    @property
    def name(self) -> str:
        return f"{self.start:%B %Y}" + ("" if self.as_of == self.end - DAY else f" (to {self.as_of:%d %b})")


def finance_pack(q: CostQueries, month: str | dt.date | None = None, scope: Scope = (),
                 metric: str = "EffectiveCost", inputs: PackInputs | None = None, currency: str | None = None,
                 tag_labels: Mapping[str, str] | None = None, made: dt.datetime | None = None) -> FinancePack:
    """The finance pack of `month` (`YYYY-MM` or a day in it; default: the last complete month before the
    one holding the data's last day) for the part of the bill in `scope`, in `metric`.

    `inputs` brings the allocation rules (Showback, `alloc:` scopes), budgets (the Budgets sheet, each in
    its own scope) and anomaly triage; `tag_labels` spells tag keys as users write them (`tag:cost_center`
    -> `cost-center`). PackError when the month, scope, currency or rules cannot be used."""
    try:
        check_metric(metric)
    except ValueError as error:
        raise PackError(str(error)) from None
    inputs = inputs or PackInputs()
    period = q.period()
    if period is None:
        raise PackError("the cache holds no data")
    currencies = q.currencies()
    currency = currency or (currencies[0] if len(currencies) == 1 else None)
    if currency not in currencies:
        raise PackError(f"choose a currency: the data holds {', '.join(currencies)}" if currency is None
                        else f"currency {currency!r} is not in the data ({', '.join(currencies)})")
    try:
        rules = inputs.rules
    except RulesError as error:
        raise PackError(f"Allocation rules cannot be used: {error}") from error
    if rules is not None:
        problem = problem_with(q, rules)
        if problem:
            raise PackError(f"Allocation rules cannot be used on this data: {problem}")
        q = with_rules(q, rules)
    dimensions = tuple(d.name for d in rules.dimensions) if rules else ()
    problems = scope_problems(q, scope, dimensions)
    if problems:
        raise PackError("; ".join(problems))
    m = _month(month, period)
    base = scoped(Filters(currency=currency), scope)
    ctx = _Context(q, base, m, metric, currency, scope, dict(tag_labels or {}))
    by_service = ctx.breakdown(SERVICE_BY)
    if by_service.empty or not ctx.has_cost(by_service):
        raise PackError(f"no cost in {m.name} for {describe(scope)} ({currency})")
    totals = {metric: float(by_service[ctx.money].sum())} | {
        other: q.total(ctx.month_filters, other) for other in METRICS if other != metric}
    forecast, history = ctx.forecast()

    book = _Draft()
    ctx.write_summary(book, totals[metric], forecast, history, made)
    ctx.write_breakdown(book, "By service", by_service, SERVICE_BY,
                        Chart(f"Largest services, {m.name}", label("ServiceName"), [ctx.money], rows=TOP_SERVICES,
                              y_title=currency))
    ctx.write_breakdown(book, "By account", ctx.breakdown(ACCOUNT_BY), ACCOUNT_BY)
    if rules is not None:
        ctx.write_showback(book, rules, inputs.metric_tables, totals[metric])
    # A viewer of part of the bill gets only the budgets inside their scopes: another team's budget would be
    # judged on this viewer's rows, and its name and amount are that team's.
    budgets = [b for b in inputs.budgets if inside_any(q.restriction, b.scope)]
    if budgets:
        ctx.write_budgets(book, budgets, dimensions)
    ctx.write_forecast(book, forecast, history)
    ctx.write_anomalies(book, inputs)
    ctx.write_tags(book)
    ctx.write_definitions(book, rules, inputs, made)
    writer = WorkbookWriter(currency, print_landscape=True)
    for args, kwargs in book.sheets:
        writer.table(*args, **kwargs)
    return FinancePack(writer.bytes(), m.key, tuple(writer.book.sheetnames), writer.charts, metric, currency, totals)


class _Draft:
    """The pack's sheets as `WorkbookWriter.table` arguments: all are computed before the workbook is written
    (a write-only workbook is not left half-written when a figure cannot be made)."""

    def __init__(self) -> None:
        self.sheets: list[tuple[tuple, dict]] = []

    def table(self, *args: object, **kwargs: object) -> None:
        self.sheets.append((args, kwargs))


def _month(month: str | dt.date | None, period: tuple[dt.date, dt.date]) -> _Month:
    first, last = period
    start = default_month(last) if month is None else (
        month.replace(day=1) if isinstance(month, dt.date) else parse_month(month))
    end = _next(start)
    if start > last or end <= first:
        raise PackError(f"no data for {start:%Y-%m}: the data runs from {first} to {last}")
    previous = _next(start, -1)
    year_ago = _next(start, -12)
    return _Month(start, end, min(end - DAY, last), previous if previous >= first else None,
                  year_ago if year_ago >= first else None)


@dataclass
class _Context:
    q: CostQueries
    base: Filters
    m: _Month
    metric: str
    currency: str
    scope: Scope
    tag_labels: dict[str, str]

    # ----- names -------------------------------------------------------------------------------
    def unit(self, what: str = "", metric: str | None = None) -> str:
        """A money header naming the metric and currency: `Previous month EffectiveCost (USD)`."""
        return " ".join(filter(None, [what, metric or self.metric])) + f" ({self.currency})"

    @property
    def money(self) -> str:
        return self.unit()

    @property
    def other(self) -> str:
        """The second metric shown next to the chosen one: billed for amortized and the other way round."""
        return "BilledCost" if self.metric == "EffectiveCost" else "EffectiveCost"

    @property
    def month_filters(self) -> Filters:
        return self.base.between(self.m.start, self.m.as_of + DAY)

    def has_cost(self, frame: pd.DataFrame) -> bool:
        return bool((frame[self.money] != 0).any())

    def tag_label(self, key: str) -> str:
        return self.tag_labels.get(str(Dimension.tag(key)), key)

    # ----- breakdowns -----------------------------------------------------------------------------
    def breakdown(self, by: tuple[str, ...]) -> pd.DataFrame:
        """Every value of `by` with cost in the month or the month before (none folded into Other): the month,
        the month before, the change, the share of the month and the other metric; largest first."""
        q, m = self.q, self.m
        current = q.breakdown(self.month_filters, by, self.metric).set_index(list(by))["cost"]
        parts = {self.money: current}
        if m.previous:
            parts[self.unit("Previous month")] = q.breakdown(self.base.between(m.previous, m.start), by,
                                                             self.metric).set_index(list(by))["cost"]
        parts[self.unit(metric=self.other)] = q.breakdown(self.month_filters, by, self.other).set_index(list(by))["cost"]
        frame = pd.DataFrame(parts).fillna(0.0)
        if m.previous:
            previous = frame[self.unit("Previous month")]
            frame.insert(2, self.unit("Change"), frame[self.money] - previous)
            frame.insert(3, "Change (%)", (frame[self.money] - previous) / previous.where(previous != 0).abs())
        total = float(frame[self.money].sum())
        frame.insert(len(frame.columns) - 1, "Share of month", frame[self.money] / total if total else float("nan"))
        frame = frame.sort_values(self.money, ascending=False, kind="stable").reset_index()
        return frame.rename(columns={d: label(d) for d in by})

    def write_breakdown(self, book: _Draft, title: str, frame: pd.DataFrame, by: tuple[str, ...],
                        chart: Chart | None = None) -> None:
        money = [c for c in frame.columns if c.endswith(f"({self.currency})")]
        sums = [(f"Total {c[0].lower()}{c[1:]}" if not c.startswith(self.metric) else f"Month total {c}",
                 float(frame[c].sum()), "money") for c in money]
        above = [f"{title.replace('By', 'Spend by')}, {self.m.name}: {describe(self.scope)}. Every "
                 f"{label(by[0]).lower()} with cost in the month" + (" or the month before" if self.m.previous else "")
                 + "; the rows add up to the totals below."]
        book.table(title, frame, TableSpec(money=money, percent=[c for c in ("Change (%)", "Share of month")
                                                                 if c in frame]),
                   charts=[chart] if chart else (), above=above, below=sums)

    # ----- summary --------------------------------------------------------------------------------
    def write_summary(self, book: _Draft, total: float, forecast: pd.DataFrame, history: pd.DataFrame,
                      made: dt.datetime | None) -> None:
        m, q = self.m, self.q
        lines: list = [f"Finance pack: {m.name}", ("Scope", describe(self.scope)),
                       ("Metric", f"{self.metric}: {METRICS[self.metric]}"), ("Currency", self.currency),
                       (f"Month total {self.money}", total, "money")]
        for name, start in (("month before", m.previous), ("same month a year earlier", m.year_ago)):
            if start is None:
                lines.append((f"Against the {name}", "no data for that whole month"))
                continue
            before = q.total(self.base.between(start, _next(start)), self.metric)
            lines += [(f"{start:%B %Y}", before, "money"), (f"Change vs {start:%B %Y}", total - before, "money"),
                      (f"Change vs {start:%B %Y} (%)", (total - before) / abs(before) if before else None, "percent")]
        whole = forecast[forecast["Provider"] == _WHOLE]
        if len(whole) and pd.notna(whole.iloc[0]["forecast"]):
            row = whole.iloc[0]
            lines += [(f"Forecast {row['Month']:%B %Y}", row["forecast"], "money"),
                      (f"Forecast, {LEVEL:.0%} interval from", row["lower"], "money"),
                      (f"Forecast, {LEVEL:.0%} interval to", row["upper"], "money")]
        else:
            lines.append(("Forecast of the next month",
                          "none: " + (whole.iloc[0]["note"] if len(whole) else "no history")))
        lines += [("Data's last day", q.period()[1]), ("Made", _made(made)), ""]
        series = q.series(self.base.between(max(_next(m.start, 1 - HISTORY_MONTHS), q.period()[0].replace(day=1)),
                                            m.as_of + DAY), self.metric, "month", ("ProviderName",))
        wide = series.pivot_table(index="period", columns="ProviderName", values="cost", aggfunc="sum",
                                  fill_value=0.0)
        wide = wide[wide.sum().sort_values(ascending=False).index]
        providers = [self.unit(metric=f"{p} {self.metric}") for p in wide.columns]
        wide.columns = providers
        wide[self.unit(metric=f"All providers {self.metric}")] = wide.sum(axis=1)
        frame = wide.rename_axis("Month").reset_index()
        lines.append(f"The last {len(frame)} months by provider ({self.metric}, {self.currency})")
        book.table("Summary", frame, TableSpec(money=list(frame.columns[1:]), formats={"Month": MONTH}),
                   charts=[Chart(f"Last {len(frame)} months by provider", "Month", providers, kind="stacked",
                                 y_title=self.currency, legend="b")], above=lines)

    # ----- showback -------------------------------------------------------------------------------
    def write_showback(self, book: _Draft, rules: RuleSet, metric_tables: Mapping[str, pd.DataFrame],
                       total: float) -> None:
        m = self.m
        start = m.previous or m.start
        rows, problem = [], None
        for dimension in rules.dimensions:
            try:
                long = allocation(self.q, self.base.between(start, m.as_of + DAY), rules, dimension.name,
                                  self.metric, dict(metric_tables))
            except RulesError as error:  # e.g. a fixed split among owners an owner scope leaves out
                rows, problem = [], str(error)
                break
            wide = by_owner(long) if len(long) else pd.DataFrame(columns=["month", "owner", "direct", "shared", "total"])
            now = wide[wide["month"] == pd.Timestamp(m.start)].set_index("owner")[["direct", "shared", "total"]]
            if m.previous:
                before = wide[wide["month"] == pd.Timestamp(m.previous)].set_index("owner")["total"]
                now = now.join(before.rename("previous"), how="outer").fillna(0.0)
                now["change"] = now["total"] - now["previous"]
            now = now.sort_values("total", ascending=False, kind="stable")
            rows.append(now.rename_axis("Owner").reset_index().assign(Dimension=dimension.name))
        empty = pd.DataFrame(columns=["Dimension", "Owner", "direct", "shared", "total", "previous", "change"])
        frame = pd.concat(rows, ignore_index=True) if rows else empty
        names = {"direct": self.unit("Direct"), "shared": self.unit("Shared"), "total": self.money,
                 "previous": self.unit("Previous month"), "change": self.unit("Change")}
        frame = frame.rename(columns=names)
        columns = ["Dimension", "Owner", self.money, names["direct"], names["shared"]]
        columns += [names["previous"], names["change"]] if m.previous else []
        frame = frame[columns]
        below = [(f"{d.name} total {self.money}", float(frame.loc[frame["Dimension"] == d.name, self.money].sum()),
                  "money") for d in rules.dimensions] if not problem else []
        above = [(f"Showback, {m.name}: each owner's cost is its direct cost (placed by the allocation rules) plus its "
                  "part of shared costs (split per month by the shared-cost rules). Each dimension adds up to the "
                  f"month total ({total:,.2f} {self.currency}).")]
        if problem:
            above.append(f"No showback for this scope: the allocation rules cannot split its shared costs ({problem}).")
        book.table("Showback", frame, TableSpec(money=columns[2:]), below=below, above=above)

    # ----- budgets --------------------------------------------------------------------------------
    def write_budgets(self, book: _Draft, budgets: Sequence[Budget], dimensions: tuple[str, ...]) -> None:
        metrics = {b.metric for b in budgets}
        unit = next(iter(metrics)) if len(metrics) == 1 else "each budget's metric"
        rows = []
        for budget in budgets:
            problems = scope_problems(self.q, budget.scope, dimensions)
            row = {"Budget": budget.name, "Scope": describe(budget.scope), "Metric": budget.metric}
            if problems:
                rows.append(row | {"Status": "scope problem", "Note": "; ".join(problems)})
                continue
            s = evaluate(self.q, budget, self.m.as_of, LEVEL, self.currency)
            rows.append(row | {
                "Period": s.period.key, "Period start": s.period.start, "Period end": s.period.end - DAY,
                self.unit("Amount", unit): s.amount, self.unit("Actual to date", unit): s.actual,
                "Used": s.used if s.used is None or s.used != float("inf") else None,
                self.unit("Forecast for the period end", unit): s.forecast,
                self.unit(f"Forecast {LEVEL:.0%} interval from", unit): s.lower,
                self.unit(f"Forecast {LEVEL:.0%} interval to", unit): s.upper,
                self.unit("Variance (amount − forecast)", unit): s.variance, "Status": s.status,
                "Alerts crossed": ", ".join(s.alerts), "Note": s.note})
        frame = pd.DataFrame(rows)
        money = [c for c in frame.columns if c.endswith(f"({self.currency})")]
        order = ["Budget", "Scope", "Metric", "Period", "Period start", "Period end", *money[:2], "Used",
                 *money[2:], "Status", "Alerts crossed", "Note"]
        frame = frame.reindex(columns=order)
        book.table("Budgets", frame, TableSpec(money=money, percent=["Used"], dates=["Period start", "Period end"]),
                   above=[(f"Budgets as of {self.m.as_of:%d %B %Y}, each in its own scope and metric (the pack's scope "
                          "does not apply) in the period holding that day. Over: actual above the amount; at risk: "
                          f"the forecast for the period end above it; else on track. Intervals are {LEVEL:.0%}.")])

    # ----- forecast -------------------------------------------------------------------------------
    def forecast(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The next FORECAST_MONTHS months per provider and for the whole scope (`_WHOLE`), as of the month's
        last day (long: Provider, Month, forecast, lower, upper, method, note), and the whole scope's monthly
        history for the chart."""
        q, m = self.q, self.m
        providers = q.breakdown(self.base.between(None, m.as_of + DAY), ("ProviderName",), self.metric)
        rows, history = [], pd.Series(dtype=float)
        names = list(providers["ProviderName"])
        for provider in [_WHOLE, *names]:
            if provider != _WHOLE and len(names) == 1:  # one provider: its history is the whole scope's
                rows += [r | {"Provider": provider} for r in rows if r["Provider"] == _WHOLE]
                continue
            scope = self.scope if provider == _WHOLE else intersect(self.scope, (("ProviderName", (provider,)),))
            daily = scope_daily(q, scope, self.metric, m.as_of, self.currency)
            try:
                if not (daily.to_numpy() != 0).any():
                    raise ValueError("no cost in this scope")
                model = fitted(daily, LEVEL)
                months = project_months(model, FORECAST_MONTHS + 1).iloc[1:]
            except ValueError as error:
                rows += [{"Provider": provider, "Month": pd.Timestamp(_next(m.start, k)), "note": f"No forecast: {error}"}
                         for k in range(1, FORECAST_MONTHS + 1)]
                continue
            for r in months.itertuples():
                rows.append({"Provider": provider, "Month": pd.Timestamp(r.start), "forecast": r.forecast,
                             "lower": r.lower, "upper": r.upper, "method": model.method_, "note": model.note_})
            if provider == _WHOLE:
                history = daily.groupby(daily.index.to_period("M")).sum()
        frame = pd.DataFrame(rows).reindex(columns=["Provider", "Month", "forecast", "lower", "upper", "method", "note"])
        history = history[history.index <= pd.Period(m.start, "M")].tail(HISTORY_MONTHS)
        history = history[history.index.start_time >= pd.Timestamp(q.period()[0].replace(day=1))]
        return frame, pd.DataFrame({"Month": history.index.start_time, "actual": history.to_numpy()})

    def write_forecast(self, book: _Draft, forecast: pd.DataFrame, history: pd.DataFrame) -> None:
        names = {"forecast": self.unit("Forecast"), "lower": self.unit(f"{LEVEL:.0%} interval from"),
                 "upper": self.unit(f"{LEVEL:.0%} interval to"), "method": "Model", "note": "Note"}
        parts = forecast[forecast["Provider"] != _WHOLE].rename(columns=names)
        parts = parts[["Month", "Provider", *names.values()]]
        whole = forecast[forecast["Provider"] == _WHOLE]
        chart = pd.concat([history.rename(columns={"actual": self.unit("Actual")}),
                           whole[["Month", "forecast", "lower", "upper"]].rename(columns=names)], ignore_index=True)
        chart = chart.reindex(columns=["Month", self.unit("Actual"), names["forecast"], names["lower"], names["upper"]])
        money = list(chart.columns[1:])
        below = [("The whole scope is forecast on its own (below, with the chart): the providers' forecasts need not "
                 "add up to it, and intervals never add up.")]
        block = Block(f"Whole scope ({describe(self.scope)}): the last {len(history)} months and the forecast", chart,
                      TableSpec(money=money, formats={"Month": MONTH}),
                      [Chart(f"{self.metric} per month: actual, forecast and {LEVEL:.0%} interval", "Month",
                             money[:2], band=(money[2], money[3]), y_title=self.currency, legend="b")])
        book.table("Forecast", parts, TableSpec(money=list(names.values())[:3], formats={"Month": MONTH}), below=below,
                   blocks=[block], above=[
                       (f"The next {FORECAST_MONTHS} months by provider, forecast as of {self.m.as_of:%d %B %Y} with "
                       f"{LEVEL:.0%} intervals (the Forecast page's automatic model fitted on each provider's own "
                       "daily history).")])

    # ----- anomalies ------------------------------------------------------------------------------
    def write_anomalies(self, book: _Draft, inputs: PackInputs) -> None:
        q, m = self.q, self.m
        history = self.base.between(None, m.as_of + DAY)
        settings = ANOMALY_SETTINGS
        rows = []
        for level in MONITORS:
            by = () if level == TOTAL else (level,)
            events, _ = monitor.scan(q, history, self.metric, by, **settings)
            events = events[(events["end"] >= pd.Timestamp(m.start)) & (events["start"] <= pd.Timestamp(m.as_of))]
            for e in events.to_dict("records"):
                group = str(e[level]) if by else TOTAL
                found = find_triage(inputs.triage, event_id(level, group, e["start"].date(), view_key(q.restriction)),
                                    {level: group} if by else {}, e["start"], e["end"])
                cause = monitor.root_cause(q, history, self.metric, by, group if by else None, e["peak_day"],
                                           settings["usage_only"])
                top = cause.iloc[0] if len(cause) else None
                rows.append({
                    "Monitor": "Total spend" if level == TOTAL else label(level), "Group": group,
                    "First day": e["start"], "Last day": e["end"], "Days": int(e["days"]), "Kind": e["kind"],
                    self.unit("Impact"): float(e["impact"]), "Peak day": e["peak_day"],
                    "Root cause on the peak day": " · ".join(str(top[d]) for d in monitor.ROOT_CAUSE_DIMS)
                    if top is not None else "",
                    self.unit("Root cause delta"): float(top["delta"]) if top is not None else None,
                    "Triage": (found.triage.status + (f" · via {found.via.split('|')[1]}" if found.via else ""))
                    if found else "new",
                    "Comment": found.triage.comment if found else ""})
        columns = ["Monitor", "Group", "First day", "Last day", "Days", "Kind", self.unit("Impact"), "Peak day",
                   "Root cause on the peak day", self.unit("Root cause delta"), "Triage", "Comment"]
        frame = pd.DataFrame(rows, columns=columns)
        frame = frame.iloc[frame[self.unit("Impact")].abs().sort_values(ascending=False, kind="stable").index] \
            if len(frame) else frame
        above = [(f"Anomalies with days in {m.name}, largest absolute impact first: the whole scope and each service, "
                 "judged on usage charges at the Anomalies page's defaults (sensitivity 0.5, impact at least "
                 f"{settings['min_impact']:g} {self.currency} and {settings['min_impact_pct']:g}%).")]
        above += list(inputs.notes)
        if frame.empty:
            above.append("No anomalies in the month at these settings.")
        book.table("Anomalies", frame, TableSpec(money=[self.unit("Impact"), self.unit("Root cause delta")],
                                                 dates=["First day", "Last day", "Peak day"]), above=above)

    # ----- tags -----------------------------------------------------------------------------------
    def write_tags(self, book: _Draft) -> None:
        q = self.q
        coverage = q.tag_coverage(self.month_filters, self.metric)
        total = float(coverage["total_cost"].iloc[0]) if len(coverage) else 0.0
        any_tag = float(coverage["tagged_cost"].iloc[0]) if len(coverage) else 0.0
        frame = pd.DataFrame({
            "Tag key": [k if k.startswith("(") else self.tag_label(k) for k in coverage["key"]],
            self.unit("Cost carrying the key"): coverage["tagged_cost"],
            self.unit("Cost without it"): coverage["total_cost"] - coverage["tagged_cost"],
            "Coverage": coverage["share"]})
        untagged = q.untagged(self.month_filters, ("ServiceName", "SubAccountName"), self.metric).head(UNTAGGED_ROWS)
        largest = pd.DataFrame({label("ServiceName"): untagged["ServiceName"],
                                label("SubAccountName"): untagged["SubAccountName"], self.money: untagged["cost"],
                                "Share of untagged cost": untagged["cost"] / (total - any_tag)
                                if total - any_tag else float("nan")})
        book.table("Tags", frame, TableSpec(money=list(frame.columns[1:3]), percent=["Coverage"]), above=[
            (f"Tag coverage in {self.m.name}: the share of the month's cost carrying each tag key; (any tag) is cost "
            "with at least one tag."), (f"Month total {self.money}", total, "money"),
            (f"Cost without any tag {self.money}", total - any_tag, "money"),
            ("Share without any tag", (total - any_tag) / total if total else None, "percent")],
            blocks=[Block(f"The largest untagged costs (no tag at all), by service and sub-account: the top "
                          f"{len(largest)}", largest, TableSpec(money=[self.money], percent=["Share of untagged cost"]))])

    # ----- definitions ----------------------------------------------------------------------------
    def write_definitions(self, book: _Draft, rules: RuleSet | None, inputs: PackInputs,
                          made: dt.datetime | None) -> None:
        m = self.m
        rows = [("Month", (f"{m.name}: charges whose charge day (ChargePeriodStart, UTC) falls from {m.start} to "
                          f"{m.as_of}. The pack is made as of {m.as_of}: forecasts, anomaly detection and budget status "
                          "use no data after it.")),
                ("Scope", (f"{describe(self.scope)}. Dimension names are FOCUS columns, tag:<key> or "
                          "alloc:<allocation dimension>; keys combine with AND, values of one key with OR.")),
                ("Currency", f"{self.currency}, the billing currency; amounts in different currencies are never added."),
                ("Amounts", ("Stored unrounded and shown to the cent; money headers name the metric and the currency."
                            " Totals are written below each table or on Summary, never as a row of a table."))]
        rows += [(f"{name} ({METRICS[name]})", METRIC_MEANING[name] + (" The metric of this pack." if name == self.metric
                                                                      else ""))
                 for name in METRICS]
        rows += [(f"{COLUMNS[c].label} ({c})", meaning) for c, meaning in COLUMN_MEANING.items()]
        rows += [
            ("Previous month", "The same figure for the calendar month before, when the data holds all of it."),
            ("Change", "The month minus the previous month; Change (%) divides it by the previous month."),
            ("Share of month", "The row's part of the month total."),
            ("Direct, Shared (Showback)", ("Direct: the cost the allocation rules place on the owner (the first "
             "matching rule wins; cost no rule matches goes to the dimension's unallocated owner). Shared: the "
             "owner's part of shared costs (support, tax, unused commitments...) split per month as the rules say.")),
            ("Allocation rules version", (f"{token(inputs.rules_text)} (a hash of the text of "
                                          f"{inputs.rules_source or 'the rules'}; dimensions "
                                          f"{', '.join(d.name for d in rules.dimensions)})") if rules else
             "No allocation rules were used (no Showback sheet)."),
            ("Forecast", (f"Daily cost forecast by the Forecast page's automatic model, fitted on the scope's own daily "
                         f"history up to {m.as_of}: ETS, STL + ETS, STL + ARIMA, Theta and seasonal naive are "
                         "backtested at rolling origins and the best (or the best three combined) is used; charges "
                         "that recur on the first or last day of the month are forecast as that schedule. Month totals "
                         f"and their {LEVEL:.0%} intervals come from 2,000 simulated paths of the model's own backtest "
                         "errors (their bias included), so an interval need not be centred on its forecast: where the "
                         "model ran low or high in its backtest, the forecast can sit at, or just beyond, one end of "
                         "its interval.")),
            ("Anomalies", ("Each day is judged only on the days before it: expected cost is the recent median level "
                          "times a weekday factor, day 1 of a month is compared with earlier month starts, and the "
                          "band is a robust spread of the series' own recent errors. Consecutive flagged days form an "
                          "event; its root cause is the service · sub-account · region that moved most against its "
                          "own expected cost on the event's largest day. Triage comes from the Anomalies page.")),
            ("Tag coverage", "The share of the month's cost whose line items carry the tag key (any value)."),
            ("Budgets", (f"Each budget's period holding {m.as_of}, in its own scope and metric: actual to date and the "
                        f"forecast for the period end with its {LEVEL:.0%} interval.")),
            ("Data's last day", str(self.q.period()[1])), ("Made", _made(made))]
        frame = pd.DataFrame(rows, columns=["Term", "Meaning"])
        book.table("Definitions", frame, above=[f"What the figures of this pack mean ({m.name})."])


_WHOLE = "(whole scope)"


def _made(made: dt.datetime | None) -> str:
    return f"{(made or dt.datetime.now(dt.UTC)):%Y-%m-%d %H:%M} UTC"
