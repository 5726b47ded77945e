"""Scenarios: the baseline forecast by month against up to four what-if scenarios and a budget."""

import pandas as pd
import streamlit as st

from analysis.budgets.model import BudgetError
from analysis.budgets.periods import MONTHS_IN
from analysis.budgets.store import BudgetStore
from analysis.reports.excel import Chart
from analysis.scenarios.engine import months_from
from analysis.scenarios.model import ScenarioError, lever_label
from analysis.scenarios.store import ScenarioStore
from analysis.scope import describe
from app import charts, scenario_forms, url, workbook
from app.door import allocation_dimensions, scenario_result, scope_problems, workspace
from app.permits import sees
from app.ui import empty_state, md, money, page_view, whole_money_column

view = page_view("Scenarios")
st.caption("The baseline is the Forecast page's model by calendar month: the first month is its actual to date "
           "plus the forecast of the rest; bands are 80% intervals. Each lever changes its scope's cost from its "
           "month on, in order, as the earlier levers left it. Figures are for the whole bill, or for a budget's "
           "scope when one is chosen; the sidebar's filters do not apply.")
store = ScenarioStore(workspace())
saved, unreadable = store.scenarios()
saved = [(s, t) for s, t in saved if scenario_forms.visible(s)]  # other teams' scenarios are not shown
for problem in unreadable if sees(()) else ():  # file names are other teams' too
    st.warning(f"A scenario file cannot be read: {md(problem)}", icon=":material/warning:")
last_day, cur = view.period[1], view.currency
dimensions = tuple(d.removeprefix("alloc:") for d in allocation_dimensions())
names = [s.name for s, _ in saved]
try:
    budgets = [b for b in BudgetStore(workspace()).budgets()[0] if sees(b.scope)]
except BudgetError:
    budgets = []
url.seed("compare", "sc_compare", names[:2], None, lambda text: text.split(","), label="Scenarios")
st.session_state["sc_compare"] = [n for n in st.session_state["sc_compare"] if n in names][:4]
url.seed("budget", "sc_budget", "(none)", ["(none)", *(b.name for b in budgets)], label="Budget")
url.seed("months", "sc_months", max((s.months for s, _ in saved), default=12), None, int, label="Months")
c1, c2, c3 = st.columns([3, 2, 1])
picked = c1.multiselect("Scenarios to compare (up to four)", names, max_selections=4, key="sc_compare")
budget_name = c2.selectbox("Against the budget", ["(none)", *(b.name for b in budgets)], key="sc_budget")
months = c3.number_input("Months", 1, 24, key="sc_months")
url.publish({"compare": ",".join(picked), "budget": budget_name, "months": months})

labels, _ = months_from(last_day, months)
budget = next((b for b in budgets if b.name == budget_name), None)
shown = budget.scope if budget else ()  # against a budget, every figure is for the budget's scope
results = []
with st.spinner("Projecting the baseline and each scenario…"):
    for scenario in (s for s, _ in saved if s.name in picked):
        problems = [f"{lever_label(i, lever)}, field scope: {p}" for i, lever in enumerate(scenario.levers)
                    for p in scope_problems(lever.scope, dimensions)]
        try:
            if problems:
                raise ScenarioError(f"scenario {scenario.name!r}, " + "; ".join(problems))
            results.append(scenario_result(scenario, last_day, months, cur, shown))
        except ScenarioError as error:
            st.error(f"Not shown: {md(error)}")
if not saved:
    empty_state("No scenarios yet. Build one below: levers such as growth, new spend, a decommission, a migration, "
                "a commitment or a price change, each on a scope of the bill from a month on.")
elif results:
    for warning in (w for r in results for w in r.warnings):
        st.warning(f"{md(warning)}", icon=":material/info:")
    base = results[0]
    line = None
    if budget is not None:
        amounts = [budget.amount_for(budget.period_at(pd.Timestamp(m).date())) for m in labels]
        line = pd.DataFrame({"month": pd.to_datetime(labels),
                             "amount": [a / MONTHS_IN[budget.period] if a is not None else None for a in amounts]})
        st.caption(f"Against the budget {md(budget.name)}: every figure below is for its scope, "
                   f"{md(describe(budget.scope))}"
                   + (f"; its {budget.period} amount is spread evenly over the months" if budget.period != "month"
                      else "") + ".")
    series = [("Baseline", base.baseline)] + [(r.scenario.name, r.total) for r in results]
    long = pd.concat([pd.DataFrame({"month": pd.to_datetime(labels), "series": name, "cost": v[0], "lower": v[1],
                                    "upper": v[2]}) for name, v in series], ignore_index=True)
    st.altair_chart(charts.scenario_lines(long, line, cur, "80%"), width="stretch")
    table = pd.DataFrame({"month": labels, **{name: v[0] for name, v in series}})
    if line is not None:
        table["Budget"] = line["amount"].to_numpy()
    table.loc[len(table)] = ["Total", *table.drop(columns="month").sum(min_count=1).to_numpy()]
    st.dataframe(table.round(0), hide_index=True, width="stretch", height=35 * (len(table) + 1) + 3,
                 column_config={"month": "Month", **{c: whole_money_column(c, cur) for c in table.columns[1:]}})
    sheets = [("Monthly totals", table, workbook.money_spec(table, view),
               [Chart("Baseline and scenarios by month", "month", list(table.columns[1:]), "line", view.metric,
                      rows=len(labels))])]
    details = [(r.table(), r.effect_table()) for r in results]  # each scenario's months and levers, made once
    for i, (months_table, levers_table) in enumerate(details, start=1):
        sheets += [(f"Scenario {i} by month", months_table, workbook.money_spec(months_table, view), ()),
                   (f"Scenario {i} levers", levers_table, workbook.money_spec(levers_table, view), ())]
    workbook.download(view, "Scenarios", sheets, dated=False, extra=[
        *((f"Scenario {i}", r.scenario.name) for i, r in enumerate(results, start=1)), ("Months", months),
        ("Figures for", describe(shown)), ("Budget", budget.name if budget else "none")])
    tabs = st.tabs([r.scenario.name for r in results])
    for tab, (detail, levers_table) in zip(tabs, details, strict=True):
        with tab:
            change = float(detail["delta"].sum())
            st.markdown(f"Over {len(labels)} months: **{money(float(detail['scenario'].sum()), cur)}** against "
                        f"{money(float(detail['baseline'].sum()), cur)} for the baseline "
                        f"(**{'+' if change >= 0 else '−'}{money(abs(change), cur)}**).")
            st.dataframe(levers_table.round(0), hide_index=True, width="stretch",
                         column_config={"lever": "Lever", "scope": "Scope", "what": "What it does",
                                        "change": whole_money_column("Change over the months", cur)})
            st.dataframe(detail.round(0), hide_index=True, width="stretch", height=35 * (len(detail) + 1) + 3,
                         column_config={
                "month": "Month", **{c: whole_money_column(c.replace("_", " ").capitalize(), cur)
                                     for c in detail.columns[1:]}})

st.divider()
st.subheader("Build or edit a scenario")
scenario_forms.builder(store, saved, labels[0], dimensions)
