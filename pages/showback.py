"""Showback / chargeback: cost per owner by month, direct and shared, with a drill-down."""


import streamlit as st

from analysis.allocation.rules import RulesError, parse_rules
from analysis.allocation.split import ALL_OWNERS, by_owner, complete_months, showback_table
from analysis.reports.excel import Chart
from analysis.reports.safe_csv import download_name, safe_csv
from analysis.store.workspace import token
from app import workbook
from app.charts import horizontal_bars, stacked_bars, top_n
from app.door import allocation, owner_breakdown, rules_problem, saved_rules_text
from app.ui import empty_state, md, money, money_column, page_view

view = page_view("Showback")
text = saved_rules_text()
problem = rules_problem(text)
if problem:
    st.error(f"The saved allocation rules cannot be used on this data, so nothing can be shown: {md(problem)}. "
             "Fix them on **Allocation rules**.", icon=":material/error:")
    st.stop()
rules = parse_rules(text)

dimension = st.selectbox("Allocation dimension", [d.name for d in rules.dimensions], key="sb_dim")
try:
    long = allocation(text, view.filters, dimension, view.metric)
except RulesError as error:
    st.error(md(error))
    st.stop()
if long.empty:
    empty_state("No cost in the selected range.")
    st.stop()
cur = view.currency
wide = by_owner(long)
st.caption("Each owner's cost is its direct cost (placed by the rules) plus its part of shared costs "
           "(split per month by the shared-cost rules). Totals equal the bill to the cent.")
last_day = view.last_day
chart = wide.rename(columns={"month": "period", "total": "cost", "owner": "Owner"})[["period", "Owner", "cost"]]
st.altair_chart(stacked_bars(top_n(chart, "Owner", 12), "Owner", cur, "month", height=340,
                             last_day=last_day), width="stretch")

table = showback_table(wide, last_day)
st.dataframe(table, hide_index=True, width="stretch",
             column_config={c: money_column(c, cur) for c in table.columns if c != "Owner"})
left, right = st.columns([1, 4])
left.download_button("Download owner × month (CSV)", safe_csv(wide, ["direct", "shared", "total"]),
                     file_name=download_name("showback", dimension, view.metric, cur, view.filters.start, "to",
                                             view.last_day), mime="text/csv", icon=":material/download:")
with right:
    owners_by_month = workbook.by_period(chart)
    workbook.download(view, "Showback", [
        ("Owners", table, workbook.money_spec(table, view), ()),
        ("Owner x month", wide.rename(columns={"month": "Month"}), workbook.money_spec(wide, view), ()),
        ("By month", owners_by_month, workbook.money_spec(owners_by_month, view),
         [Chart(f"{dimension} by month", "Month", list(owners_by_month.columns[1:]), "stacked", f"{view.metric} ({cur})")])],
        extra=[("Allocation dimension", dimension), ("Allocation rules version", token(text))],
        name=("showback", dimension))

st.subheader("Owner drill-down")
owners = [o for o in table["Owner"] if o != ALL_OWNERS]
owner = st.selectbox("Owner", owners, key="sb_owner")
mine = wide[wide["owner"] == owner]
c1, c2, c3 = st.columns(3)
c1.metric("Direct", money(float(mine["direct"].sum()), cur), border=True)
c2.metric("Shared", money(float(mine["shared"].sum()), cur), border=True)
whole = complete_months(mine, last_day).sort_values("month").tail(2)
last_two = whole["total"].tolist()
c3.metric(f"Last full month ({whole['month'].iloc[-1]:%b %Y})" if len(whole) else "Last full month",
          money(last_two[-1] if last_two else 0.0, cur),
          money(last_two[-1] - last_two[0], cur) if len(last_two) == 2 else None, delta_color="inverse", border=True,
          help="Compared with the month before; a month the range ends inside is left out, so whole months are "
               "compared with whole months.")
sources = long[(long["owner"] == owner) & (long["kind"] == "shared")].groupby("source")["cost"].sum()
if not sources.empty:
    st.markdown("Shared part comes from: " + ", ".join(f"**{md(s)}** {md(money(v, cur))}" for s, v in sources.items()))
left, right = st.columns(2)
for column, by, title in ((left, "ServiceName", "Direct cost by service"), (right, "SubAccountName", "Direct cost by sub-account")):
    with column:
        st.markdown(f"**{title}**")
        frame = owner_breakdown(text, view.filters, dimension, owner, by, view.metric).head(12)
        if frame.empty:
            st.caption("No direct cost.")
        else:
            st.altair_chart(horizontal_bars(frame, by, "cost", cur), width="stretch")
