"""Anomalies: events sorted by impact, the expected band, root causes, and triage."""

import pandas as pd
import streamlit as st

from analysis.anomalies.holidays import HolidayError, HolidaySettings, load_holiday_settings
from analysis.anomalies.monitor import BASELINE_DAYS
from analysis.anomalies.triage import TriageError, event_id, find_triage, load_triage, view_key
from analysis.dimensions import label
from analysis.reports.excel import Chart
from app import alert_panels, anomaly_panels, charts, url, workbook
from app.charts import horizontal_bars
from app.door import (
    TOTAL,
    anomaly_explain,
    anomaly_scan,
    dimension_label,
    scope_dimensions,
    scope_label,
    tag_keys,
    user_restriction,
    workspace,
)
from app.ui import md, money, money_column, page_view, plural

view = page_view("Anomalies")
st.caption("Each day is judged only on the days before it, as a daily run would: expected cost from the recent "
           "level, trend and weekday rhythm, month-start charges learned from earlier month starts (fixed or a "
           "share of usage), holidays judged as holidays, and a band from the series' own noise. Consecutive "
           "flagged days form one event.")
alert_panels.alert_monitors()
levels = scope_dimensions()
url.seed("monitor", "an_level", levels[3], levels, label="Monitor")
url.seed("sensitivity", "an_sens", 0.5, None, float, label="Sensitivity")
url.seed("min_impact", "an_min", 100.0, None, float, label="Min impact")
url.seed("min_pct", "an_pct", 10.0, None, float, label="Min impact %")
url.seed("usage", "an_usage", True, (True, False), url.flag, label="Usage charges only")
with st.form("anomaly_controls"):
    c1, c2, c3, c4 = st.columns([2, 2, 1, 1])
    level = c1.selectbox("Monitor", levels, key="an_level", format_func=scope_label)
    sensitivity = c2.slider("Sensitivity", 0.0, 1.0, step=0.05, key="an_sens",
                            help="Higher flags more. At 0.5 a day must be 6 robust deviations from expected.")
    min_impact = c3.number_input(f"Min impact ({view.currency or 'USD'})", 0.0, step=50.0, key="an_min")
    min_pct = c4.number_input("Min impact %", 0.0, step=5.0, key="an_pct")
    usage_only = st.checkbox("Usage charges only (credits, refunds, tax and purchases are left out)",
                             key="an_usage")
    st.form_submit_button("Scan", icon=":material/search:")

by = () if level == TOTAL else (level,)
try:
    holidays = load_holiday_settings(workspace())
except HolidayError as error:
    st.warning(f"Holiday settings not used, defaults instead: {md(error)}", icon=":material/event_busy:")
    holidays = HolidaySettings()
with st.spinner("Scanning daily spend…"):
    events, band = anomaly_scan(view.filters, view.metric, by, sensitivity, min_impact, min_pct, usage_only,
                                holidays)
shown = events[events["end"] >= pd.Timestamp(view.filters.start)] if len(events) else events
if shown.empty:
    st.success("No anomalies in the selected range at these settings.", icon=":material/check_circle:")
    st.stop()

try:
    triage = load_triage(workspace())
except TriageError as error:
    st.error(f"Triage notes could not be read: {md(error)}")
    triage = {}
group_of = (lambda row: row[level]) if by else (lambda row: TOTAL)
viewer = view_key(user_restriction())  # a team's events are not the whole bill's: their triage is their own
shown = shown.assign(
    group=[group_of(r) for _, r in shown.iterrows()],
    id=[event_id(level, group_of(r), r["start"].date(), viewer) for _, r in shown.iterrows()],
)
found = {r["id"]: find_triage(triage, r["id"], {level: r["group"]} if by else {}, r["start"], r["end"])
         for _, r in shown.iterrows()}
shown["status"] = [f"{f.triage.status}" + (f" · via {f.via.split('|')[1]}" if f.via else "") if f else "new"
                   for f in found.values()]
if st.toggle("Hide events triaged as expected or resolved", key="an_hide_done"):
    done = shown["status"].str.split(" ").str[0].isin(["expected", "resolved"])
    if done.all():
        st.success(f"All {plural(len(shown), 'event')} in range are triaged as expected or resolved.",
                   icon=":material/check_circle:")
        st.stop()
    shown = shown[~done]
st.markdown(f"**{plural(len(shown), 'event')}**, largest absolute impact first. Select one to see why.")
selection = st.dataframe(
    shown[["start", "end", "days", "group", "kind", "impact", "status"]], hide_index=True, width="stretch",
    on_select="rerun", selection_mode="single-row", key="an_table", height=min(420, 35 * (len(shown) + 1) + 3),
    column_config={"start": st.column_config.DateColumn("First day"), "end": st.column_config.DateColumn("Last day"),
                   "days": st.column_config.NumberColumn("Days", width="small"),
                   "group": st.column_config.TextColumn(label(level) if by else "Scope", width="large"), "kind": "Kind",
                   "impact": money_column("Impact", view.currency), "status": "Triage"},
)
rows = selection.selection.rows if selection and selection.selection else []
url.seed("event", "an_event", None, list(shown["id"]), label="Event")
linked = shown.index[shown["id"] == st.session_state["an_event"]]
event = shown.iloc[rows[0]] if rows else (shown.loc[linked[0]] if len(linked) else shown.iloc[0])
url.publish({"monitor": level, "sensitivity": sensitivity, "min_impact": min_impact, "min_pct": min_pct,
             "usage": usage_only, "event": event["id"]})
cur = view.currency

st.subheader(f"{md(event['group'])}: {event['kind']} from {event['start']:%d %b %Y}")
c1, c2, c3 = st.columns(3)
c1.metric("Impact (actual − expected)", money(float(event["impact"]), cur), border=True)
c2.metric("Days", int(event["days"]), border=True)
c3.metric("Peak score", f"{float(event['score']):.1f}", border=True, help="Robust deviations from expected.")
series = band if not by else band[band[level] == event["group"]]
window = series[(series["date"] >= event["start"] - pd.Timedelta(days=60))
                & (series["date"] <= event["end"] + pd.Timedelta(days=14))]
st.altair_chart(charts.anomaly_band(window, cur), width="stretch")
st.caption("Blue: actual · dashed: expected · shaded: expected band · red: flagged days.")

st.markdown(f"**Root cause on {event['peak_day']:%d %b %Y}** (the event's largest day): which contributors "
            "moved against their own expected cost.")
cause_options = ["ServiceName", "SubAccountName", "RegionId", "ResourceName", "ResourceId", *tag_keys()]
dims = st.multiselect("Break down by", cause_options, default=["ServiceName", "SubAccountName", "RegionId"],
                      key="an_dims", max_selections=3,
                      format_func=dimension_label)
dims = tuple(dims) or ("ServiceName",)
why = anomaly_explain(view.filters, view.metric, by, event["group"] if by else None, event["peak_day"], usage_only,
                      dims, BASELINE_DAYS, holidays)
if why.empty:
    st.caption("No breakdown available for this day.")
else:
    why = why.head(10).copy()
    why["contributor"] = why[list(dims)].astype(str).agg(" · ".join, axis=1)
    st.altair_chart(horizontal_bars(why, "contributor", "delta", cur), width="stretch")  # full width: no cut-off
    st.dataframe(why[["contributor", "actual", "expected", "delta", "share"]], hide_index=True, width="stretch",
                 column_config={"contributor": st.column_config.TextColumn(" · ".join(label(d) for d in dims),
                                                                           width="large"),
                                "actual": money_column("Actual", cur), "expected": money_column("Expected", cur),
                                "delta": money_column("Delta", cur),
                                "share": st.column_config.NumberColumn("Share", format="percent")})

cause = {d: str(why.iloc[0][d]) for d in dims} if not why.empty else {}
anomaly_panels.triage_form(event, triage.get(event["id"]), found[event["id"]],
                           ({level: str(event["group"])} if by else {}) | cause)
workbook.download(view, "Anomalies", [
    ("Events", shown, workbook.money_spec(shown, view, text=["days", "score"]), ()),
    ("Selected event", window, workbook.money_spec(window, view, text=["flagged"]),
     [Chart(f"{event['group']}: actual and expected daily cost", "date", ["actual", "expected", "lower", "upper"],
            "line", view.metric)]),
    ("Root cause", why, workbook.money_spec(why, view, percent=["share"]), ())],
    extra=[("Monitor", scope_label(level)), ("Sensitivity", sensitivity), ("Min impact", min_impact),
           ("Min impact %", min_pct), ("Usage charges only", "yes" if usage_only else "no"),
           ("Selected event", event["id"])])
