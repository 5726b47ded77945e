"""Budgets: every budget's actual to date and forecast for the period end, a burn chart, and editing."""

import datetime as dt

import pandas as pd
import streamlit as st

from analysis.budgets.model import BudgetError
from analysis.budgets.store import BudgetStore
from analysis.reports.excel import Chart
from analysis.scope import describe
from app import budget_forms, charts, url, workbook
from app.door import allocation_dimensions, budget_status, scope_problems, workspace
from app.permits import sees
from app.ui import empty_state, md, money, page_view, short_money, whole_money_column
from app.versions import versions_panel

view = page_view("Budgets")
st.caption("Each budget is judged in its period holding the as-of day: actual to date, and a forecast for the "
           "period end (actual to date plus the Forecast page's model fitted on the budget's own scope, with its "
           "80% interval). **Over**: actual above the amount; **at risk**: forecast above it; else **on track**. "
           "Budgets ignore the sidebar's filters: each has its own scope.")
store = BudgetStore(workspace())
try:
    budgets, token = store.budgets()
except BudgetError as error:
    st.error(f"The saved budgets cannot be read: {md(error)}. Restore a saved version below or fix the file.")
    versions_panel(store, "bu_token", "bu_restored")
    st.stop()
mine = [b for b in budgets if sees(b.scope)]  # other teams' budgets: neither names nor amounts shown
st.session_state.setdefault("bu_token", token)  # the version this page showed: the base of the next save
first, last = view.period
url.seed("as_of", "bu_as_of", last, None, dt.date.fromisoformat, label="As of")
if not first <= st.session_state["bu_as_of"] <= last:
    st.session_state["bu_as_of"] = last
as_of = st.columns(4)[0].date_input("As of", min_value=first, max_value=last, key="bu_as_of",
                      help="The day to judge (default: the data's last day). Each budget's period is the one holding it.")

dimensions = tuple(d.removeprefix("alloc:") for d in allocation_dimensions())
rows, statuses = [], {}
with st.spinner("Forecasting each budget's period…"):
    for budget in mine:
        problems = scope_problems(budget.scope, dimensions)
        if problems:
            rows.append({"name": budget.name, "scope": describe(budget.scope), "status": "scope problem",
                         "alerts": "; ".join(problems)})
            continue
        s = statuses[budget.name] = budget_status(budget, as_of, view.currency)
        rows.append({"name": budget.name, "scope": describe(budget.scope), "period": s.period.key, "amount": s.amount,
                     "actual": s.actual, "used": s.used, "forecast": s.forecast,
                     "interval": f"{short_money(s.lower, view.currency)} – {short_money(s.upper, view.currency)}",
                     "variance": s.variance, "status": s.status, "alerts": ", ".join(s.alerts)})
if not mine:
    empty_state("No budgets yet. Create one below (or import your spreadsheet): a scope, a period and an amount, "
                "with alert thresholds on actual and forecast spend.")
else:
    table = pd.DataFrame(rows)
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Budgets", len(mine), border=True)
    c2.metric("Over", int((table["status"] == "over").sum()), border=True, help="Actual to date above the amount.")
    c3.metric("At risk", int((table["status"] == "at risk").sum()), border=True,
              help="Forecast for the period end above the amount.")
    c4.metric("With alerts crossed", sum(bool(s.alerts) for s in statuses.values()), border=True)
    cur = view.currency
    money_columns = ["amount", "actual", "forecast", "variance"]
    table[money_columns] = table[money_columns].astype(float).round(0)  # whole units: the table fits at 1440 px
    st.dataframe(table.reindex(columns=["name", "status", "scope", "period", "amount", "actual", "used", "forecast",
                                        "interval", "variance", "alerts"]),
                 hide_index=True, width="stretch", column_config={
                     "name": st.column_config.TextColumn("Budget", width=150),
                     "scope": st.column_config.TextColumn("Scope", width=150, help="Hover a cell for the whole scope."),
                     "period": "Period", "amount": whole_money_column("Amount", cur),
                     "actual": whole_money_column("Actual", cur),
                     "used": st.column_config.ProgressColumn("Used", format="percent", min_value=0, max_value=1,
                                                             width="small"),
                     "forecast": whole_money_column("Forecast", cur, "For the period end."),
                     "interval": st.column_config.TextColumn("80% interval"),
                     "variance": whole_money_column("Variance", cur, "Amount minus forecast: negative overruns."),
                     "status": st.column_config.TextColumn("Status", width=80), "alerts": st.column_config.TextColumn("Alerts crossed")})
    st.caption(f"Amounts in {cur}, whole units. Select a budget below for its burn chart.")
    shown = [b.name for b in mine if b.name in statuses]
    url.seed("budget", "bu_pick", shown[0] if shown else None, shown, label="Budget")
    url.publish({"as_of": as_of, "budget": st.session_state["bu_pick"]})
    if shown:
        s = statuses[st.selectbox("Burn chart of", shown, key="bu_pick")]
        st.subheader(f"{md(s.budget.name)}: {s.period.key} ({s.period.start:%d %b %Y} – "
                     f"{s.period.end - dt.timedelta(days=1):%d %b %Y})")
        k1, k2, k3, k4 = st.columns(4)
        k1.metric("Amount", money(s.amount, cur) if s.amount is not None else "none for this period", border=True)
        k2.metric("Actual to date", money(s.actual, cur), border=True,
                  delta=f"{s.used:.0%} used" if s.used is not None and s.used != float("inf") else None,
                  delta_color="off", delta_arrow="off")
        k3.metric("Forecast, period end", money(s.forecast, cur), border=True,
                  delta=f"80%: {money(s.lower, cur)} – {money(s.upper, cur)}", delta_color="off", delta_arrow="off")
        k4.metric("Status", s.status.capitalize(), border=True,
                  delta=f"{money(abs(s.variance), cur)} {'under' if s.variance >= 0 else 'over'}"
                  if s.variance is not None else None, delta_color="normal" if (s.variance or 0) >= 0 else "inverse")
        st.altair_chart(charts.budget_burn(s.burn, s.amount, cur, "80%"), width="stretch")
        st.caption("Blue: cumulative actual · dashed: forecast to the period end · shaded: its 80% interval · "
                   "red: the budget." + (f" {md(s.note)}" if s.note else ""))
        burn = s.burn.rename(columns={"day": "Day"})
        workbook.download(view, "Budgets", [
            ("Budgets", table, workbook.money_spec(table, view, percent=["used"]), ()),
            ("Burn", burn, workbook.money_spec(burn, view), [Chart(f"{s.budget.name}: {s.period.key}", "Day",
                                                                   ["actual", "forecast", "lower", "upper"], "line",
                                                                   view.metric)])],
            kpis=[("Budgets", len(mine), "number"), ("Over", int((table["status"] == "over").sum()), "number"),
                  ("At risk", int((table["status"] == "at risk").sum()), "number")],
            extra=[("As of", as_of), ("Burn chart of", s.budget.name)], dated=False)

st.divider()
edit, sheet, history = st.tabs(["Create or edit", "Import or export a sheet", "Saved versions"])
with edit:
    budget_forms.editor(store, budgets, view, as_of, dimensions)
with sheet:
    budget_forms.sheet_panel(store, budgets, dimensions)
with history:
    versions_panel(store, "bu_token", "bu_restored")
st.session_state["bu_token"] = token
