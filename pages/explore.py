"""Explore: group spend by any one or two dimensions or tag keys, at a chosen grain."""


import streamlit as st

from analysis.dimensions import DIMENSIONS, METRICS
from analysis.query import GRAINS
from analysis.reports.excel import Chart
from analysis.reports.safe_csv import download_name, safe_csv
from analysis.rounding import round_columns
from app import url, workbook
from app.charts import OTHER, stacked_bars, top_n
from app.door import allocation_dimensions, dimension_label, tag_keys
from app.door import series as spend_series
from app.ui import empty_state, money, money_column, page_view

view = page_view("Explore")

choices = [*DIMENSIONS, *tag_keys(), *allocation_dimensions()]
names = {d: dimension_label(d) for d in choices}
url.seed("group", "x_by", "ServiceName", choices, label="Grouping")
url.seed("then", "x_by2", "(none)", ["(none)", *choices], label="Second grouping")
url.seed("grain", "x_grain", "month", GRAINS, label="Grain")
url.seed("top", "x_top", 10, range(3, 26), url.number, label="Series in chart")
c1, c2, c3, c4 = st.columns([3, 3, 2, 2])
first = c1.selectbox("Group by", choices, format_func=names.get, key="x_by")
second = c2.selectbox("Then by (optional)", ["(none)", *[d for d in choices if d != first]],
                      format_func=lambda d: names.get(d, d), key="x_by2")
grain = c3.selectbox("Grain", GRAINS, format_func=str.capitalize, key="x_grain")
top = c4.number_input("Series in chart", min_value=3, max_value=25, key="x_top",
                      help="The rest is shown as Other in the chart; the table keeps every row.")
by = (first,) if second == "(none)" else (first, second)
url.publish({"group": first, "then": second, "grain": grain, "top": top})

with st.spinner("Querying…"):
    series = spend_series(view.filters, view.metric, grain, by)
if series.empty:
    empty_state("No spend matches the current filters.")
    st.stop()

cur = view.currency
chart_frame = series.copy()
if len(by) == 2:
    key = f"{names[first]} / {names[second]}"
    chart_frame[key] = chart_frame[first] + " / " + chart_frame[second]
    chart_frame = chart_frame.drop(columns=list(by))
else:
    key = first
total = float(series["cost"].sum())
last_day = view.last_day
st.caption(f"{METRICS[view.metric]} · {money(total, cur, precise=True)} in total, {view.filters.start:%d %b %Y} – {last_day:%d %b %Y}")
shown = top_n(chart_frame, key, int(top))
if not st.toggle("Show the rest as Other", True, key="x_other"):
    shown = shown[shown[key] != OTHER]
    st.caption(f"The chart shows the {int(top)} largest, {float(shown['cost'].sum()) / total:.0%} of the cost; "
               "the table lists every row." if total else "")
st.altair_chart(stacked_bars(shown, key, cur, grain, height=380, last_day=last_day), width="stretch")

table = series.pivot_table(index=list(by), columns="period", values="cost", aggfunc="sum", fill_value=0.0)
fmt = {"day": "%Y-%m-%d", "week": "wk %Y-%m-%d", "month": "%Y-%m"}[grain]
table.columns = [c.strftime(fmt) for c in table.columns]
table.insert(0, "Total", table.sum(axis=1))
table = round_columns(table.sort_values("Total", ascending=False), list(table.columns)).reset_index()  # cents add up
table = table.rename(columns={d: names[d] for d in by})
st.dataframe(
    table, hide_index=True, width="stretch", height=min(420, 35 * (len(table) + 1) + 3),
    column_config={c: money_column(c, cur) for c in table.columns if c not in {names[d] for d in by}},
)
left, right = st.columns([1, 4])
left.download_button(
    "Download this table (CSV)", safe_csv(table, [c for c in table.columns if c not in {names[d] for d in by}]),
    file_name=download_name("spend_by", *by, grain, view.metric, cur, view.filters.start, "to", last_day),
    mime="text/csv", icon=":material/download:",
)
chart_data = workbook.by_period(shown, grain)
with right:
    workbook.download(view, "Explore", [
        ("Table", table, workbook.money_spec(table, view), ()),
        ("Chart data", chart_data, workbook.money_spec(chart_data, view),
         [Chart(f"{METRICS[view.metric]} by {grain}", grain.capitalize(), list(chart_data.columns[1:]), "stacked",
                f"{view.metric} ({cur})")])],
        kpis=[(f"Total {METRICS[view.metric]}", total, "money")],
        extra=[("Grouped by", " then ".join(names[d] for d in by)), ("Grain", grain)], name=("spend_by", *by, grain))
