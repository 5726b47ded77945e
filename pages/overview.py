"""Overview: headline KPIs, spend trend, top movers and tag coverage."""


import streamlit as st

from analysis.dimensions import METRICS
from analysis.reports.excel import Chart
from app import workbook
from app.charts import horizontal_bars, stacked_bars, top_n
from app.door import overview_kpis, tag_coverage, top_movers
from app.door import series as spend_series
from app.ui import empty_state, money, money_column, page_view, percent

view = page_view("Overview")

k = overview_kpis(view.filters, view.metric)
cur = view.currency
st.caption(f"As of {k.as_of:%a %d %b %Y} (last day with data, UTC) · {METRICS[view.metric]} · {cur or 'USD'} · "
           "the KPIs use their own windows up to that day; the sidebar's date range applies to the charts and "
           "movers below, the other filters to everything.")
c1, c2, c3, c4 = st.columns(4)
c1.metric("Month to date", money(k.month_to_date, cur), percent(k.month_change), delta_color="inverse",
          help=f"Same days last month: {money(k.same_days_last_month, cur)}", border=True)
c2.metric("Same days last month", money(k.same_days_last_month, cur), border=True)
c3.metric("Month-end run-rate", money(k.month_end_run_rate, cur), border=True,
          help="Month to date plus the remaining days at the mean daily cost of the last 7 days "
               "(first-of-month recurring charges excluded). The Forecast page projects the month with a "
               "model and an interval.")
c4.metric("Last 30 days", money(k.last_30_days, cur), percent(k.change_30_days), delta_color="inverse",
          help=f"The 30 days before: {money(k.previous_30_days, cur)}", border=True)

left, right = st.columns(2)
by_month = {}
for column, dimension, title in ((left, "ProviderName", "Spend by provider"),
                                 (right, "ServiceCategory", "Spend by service category")):
    with column:
        st.subheader(title)
        series = by_month[title] = spend_series(view.filters, view.metric, "month", (dimension,))
        if series.empty:
            empty_state("No spend in the selected range and filters.")
        else:
            st.altair_chart(stacked_bars(top_n(series, dimension), dimension, cur, last_day=view.last_day), width="stretch")

st.subheader("Top movers by service", help="Last 30 days against the 30 days before, up to the last day with data.")
increases, decreases = top_movers(view.filters, view.metric)
mover_columns = {
    "ServiceName": "Service",
    "current": money_column("Last 30 days", cur),
    "previous": money_column("30 days before", cur),
    "change": money_column("Change", cur),
    "change_pct": st.column_config.NumberColumn("Change %", format="percent"),
}
for frame, title in ((increases, "Largest increases"), (decreases, "Largest decreases")):  # full width: no cut-off
    st.markdown(f"**{title}**")
    if frame.empty:
        st.caption("None in this period.")
    else:
        st.dataframe(frame, hide_index=True, column_config=mover_columns, width="stretch")

st.subheader("Tag coverage", help="Share of cost in the selected range that carries each tag key.")
coverage = tag_coverage(view.filters, view.metric)
if coverage.empty or coverage["total_cost"].iloc[0] == 0:
    empty_state("No cost in the selected range.")
else:
    st.altair_chart(horizontal_bars(coverage, "key", "share", cur, value_format=".0%"), width="stretch")

sheets = [(title.removeprefix("Spend ").capitalize(), data, workbook.money_spec(data, view),
           [Chart(title, "Month", list(data.columns[1:]), "stacked", f"{view.metric} ({cur})")])
          for title, data in ((t, workbook.by_period(f)) for t, f in by_month.items() if not f.empty)]
sheets += [(title, frame.rename(columns={"ServiceName": "Service"}),
            workbook.money_spec(frame, view, percent=["change_pct"]), ())
           for frame, title in ((increases, "Largest increases"), (decreases, "Largest decreases"))]
sheets += [("Tag coverage", coverage, workbook.money_spec(coverage, view, percent=["share"]), ())]
workbook.download(view, "Overview", sheets, kpis=[
    ("Month to date", k.month_to_date, "money"), ("Same days last month", k.same_days_last_month, "money"),
    ("Month to date vs same days last month", k.month_change, "percent"),
    ("Month-end run-rate", k.month_end_run_rate, "money"), ("Last 30 days", k.last_30_days, "money"),
    ("The 30 days before", k.previous_30_days, "money"), ("Last 30 days vs the 30 before", k.change_30_days, "percent"),
    ("KPIs as of (last day with data)", k.as_of.isoformat(), "text")])
