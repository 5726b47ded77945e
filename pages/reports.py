"""Reports: the monthly finance pack, one workbook for a month, to download."""

import streamlit as st

from analysis.dimensions import METRICS
from analysis.reports.pack import PackError, complete_months, default_month
from analysis.scope import ScopeError, describe, parse_scope, scope_text
from app.report_panels import XLSX, finance_pack
from app.ui import md, money, page_view

view = page_view("Reports")
st.caption("The monthly finance pack: one Excel workbook for a calendar month, for finance to send on. It is made as "
           "of the month's last day, so the pack of a closed month reads the same whenever it is made. The same "
           "workbook comes from `python -m analysis report --xlsx FILE` for a scheduled job.")

months = complete_months(view.period)  # newest first
default = default_month(view.period[1])
with st.form("rp_form"):
    c1, c2 = st.columns(2)
    month = c1.selectbox("Month", months, index=months.index(default) if default in months else 0, key="rp_month",
                         format_func=lambda m: f"{m:%B %Y}" + (" (to date)" if m.month == view.period[1].month
                                                               and m.year == view.period[1].year else ""),
                         help="Default: the last complete month before the one holding the data's last day.")
    metric = c2.selectbox("Cost metric", list(METRICS), index=list(METRICS).index(view.metric), key="rp_metric",
                          format_func=METRICS.get)
    text = st.text_input("Scope (optional)", value=scope_text(view.filters.values), key="rp_scope",
                         placeholder="ProviderName=AWS; tag:env=prod|staging; alloc:Team=platform",
                         help="Which part of the bill: dimension=value, several values joined with |, dimensions "
                              "separated by ; (they all apply). Empty: the whole bill. It starts as the sidebar's "
                              "filters; the sidebar's dates do not apply.")
    submitted = st.form_submit_button("Make the finance pack", icon=":material/summarize:", type="primary")

try:
    scope = parse_scope(text)
except ScopeError as error:
    st.error(f"The scope cannot be read: {md(error)}", icon=":material/error:")
    st.stop()
wanted = (month, scope, metric, view.currency)
if submitted:
    with st.spinner(f"Making the finance pack of {month:%B %Y} (forecasts, anomalies, allocation)…"):
        try:
            st.session_state["rp_pack"] = (wanted, finance_pack(*wanted))
        except PackError as error:
            st.session_state.pop("rp_pack", None)
            st.error(f"No finance pack: {md(error)}", icon=":material/error:")

made = st.session_state.get("rp_pack")
if made and made[0] == wanted:
    result = made[1]
    st.success(f"The finance pack of {month:%B %Y} for {md(describe(scope))}: {len(result.sheets)} sheets, "
               f"{result.charts} native charts; month total {md(money(result.totals[metric], result.currency))} "
               f"({metric}).", icon=":material/check_circle:")
    st.download_button("Download the finance pack (Excel)", result.data, file_name=result.file_name, mime=XLSX,
                       icon=":material/download:", key="rp_download")
elif made:
    st.info("The month, metric or scope changed: make the pack again to download it.", icon=":material/info:")

st.markdown("""**What the pack holds**, sheet by sheet:

- **Summary**: the month's total, its change against the month before and the same month a year earlier, the
  forecast for the next month with its 80% interval, and the last 12 months by provider (a native chart).
- **By service** and **By account**: every service (every sub-account) of the month, none folded into Other,
  against the month before, with its share; they add up to the month (totals below each table).
- **Showback**: per owner of each allocation dimension, direct and shared cost, against the month before.
- **Budgets** (when there are budgets): each budget's period on the month's last day, with its forecast.
- **Forecast**: the next 3 months by provider with 80% intervals, and the whole scope's history and forecast.
- **Anomalies**: the month's events by impact, with their root cause and triage status.
- **Tags**: coverage per tag key and the largest untagged costs.
- **Definitions**: what each figure means, how forecasts and anomalies are made, the allocation rules version.

Each data sheet holds one Excel Table; money is stored unrounded in the billing currency and shown to the cent,
with headers naming the metric and currency. Text from the bill is always stored as text, never as a formula.""")
