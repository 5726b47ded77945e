"""Audit: who changed what (saves, loads, syncs, triage, access changes, refusals), filterable, downloadable."""

import datetime as dt

import pandas as pd
import streamlit as st

from analysis.reports.excel import TableSpec, view_workbook
from analysis.reports.safe_csv import download_name, safe_csv
from analysis.store.audit import ACTIONS, read_audit
from app.door import workspace
from app.permits import require
from app.ui import empty_state, md

st.title("Audit")
require("access", "see the audit trail (an admin's task)")
trail = read_audit(workspace())
if trail.empty:
    empty_state("Nothing recorded yet: every save, load, sync, triage, access change and refusal appears here.")
    st.stop()
st.caption(f"{len(trail):,} entries in {md(workspace() / 'audit.jsonl')}, newest first; the file is only ever "
           "appended to." + (f" {trail.attrs['unreadable']} unreadable line(s) left out." if trail.attrs["unreadable"]
                             else ""))
left, middle, right = st.columns(3)
who = left.selectbox("Who", ["(everyone)", *sorted(trail["who"].unique())])
actions = middle.multiselect("Actions", [a for a in ACTIONS if a in set(trail["action"])], placeholder="All")
since = right.date_input("Since", trail["at"].min().date(), min_value=trail["at"].min().date(),
                         max_value=dt.datetime.now(dt.UTC).date())
shown = trail[(trail["at"].dt.date >= since) & (trail["action"].isin(actions) if actions else True)]
if who != "(everyone)":
    shown = shown[shown["who"] == who]
c1, c2, c3 = st.columns(3)
c1.metric("Entries", f"{len(shown):,}", border=True)
c2.metric("Refused or failed", f"{int((~shown['ok']).sum()):,}", border=True)
c3.metric("People", f"{shown['who'].nunique():,}", border=True)
table = shown.assign(at=shown["at"].dt.strftime("%Y-%m-%d %H:%M:%S UTC"),
                     ok=shown["ok"].map({True: "yes", False: "no"})).fillna({"before": "—", "after": "—"})
st.dataframe(table, hide_index=True, width="stretch",
             column_config={"at": "When (UTC)", "who": "Who", "action": "Action", "target": "File or source",
                            "before": "Version before", "after": "Version after", "ok": "Done",
                            "detail": st.column_config.TextColumn("Detail", width="large")})
context = [("Who", who), ("Actions", ", ".join(actions) or "all"), ("Since", since)]
name = download_name("audit", who if who != "(everyone)" else "everyone", "since", since, suffix="")
d1, d2 = st.columns([1, 5])
d1.download_button("Download CSV", safe_csv(table), f"{name}.csv", "text/csv", icon=":material/download:")
workbook = view_workbook("Audit", context, [], [("Audit trail", pd.DataFrame(table), TableSpec(), [])], None)
d2.download_button("Download Excel", workbook, f"{name}.xlsx",
                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", icon=":material/table_view:")
