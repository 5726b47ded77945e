"""The Data page's synced locations: each configured source's last sync, periods, rows and totals, its last
error in plain words, a "Sync now" button with progress, and the sources file to edit."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis.focus.summary import merge_summaries
from analysis.store.cache import FocusCache
from analysis.store.workspace import WorkspaceConflict, WorkspaceWriteError
from analysis.sync.run import sync, sync_state
from analysis.sync.sources import SourcesError, SourcesStore, SyncSource
from app.door import forget, workspace
from app.ui import md, utc_time


def sync_section(cache: FocusCache) -> None:
    """Synced locations: status table, Sync now, and the sources file."""
    st.subheader("Synced locations")
    store = SourcesStore(workspace())
    try:
        sources, token = store.sources()
    except SourcesError as error:
        st.error(f"The sources file cannot be used: {md(error)}", icon=":material/error:")
        sources, token = [], store.read()[1]
    for kind, text in st.session_state.pop("sync_log", []):
        (st.error if kind == "error" else st.success)(md(text))
    if sources:
        st.dataframe(_status(cache, sources), hide_index=True, width="stretch",
                     column_config={"Rows": st.column_config.NumberColumn(format="localized")})
        _last_errors(cache, sources)
    else:
        st.caption("No synced locations yet: add an S3 prefix (AWS Data Exports, CUR, or files copied there) or a "
                   "folder to the sources file below; `python -m analysis sync` then keeps the cache current.")
    enabled = [s for s in sources if s.enabled]
    if st.button("Sync now", icon=":material/sync:", disabled=not enabled,
                 help="Reads only what changed at each location since the last sync."):
        _run(cache, enabled)
    with st.expander("Edit the sources file (sources.yaml)"):
        text = st.text_area("sources.yaml", store.read()[0], height=220, label_visibility="collapsed",
                            help="name, location (s3://bucket/prefix or a folder), kind (auto, aws-data-exports, "
                                 "aws-cur, files), schedule (a hint). Never credentials.")
        if st.button("Save sources", icon=":material/save:"):
            try:
                store.save(text, st.session_state.get("sources_seen", token))
            except (SourcesError, WorkspaceConflict, WorkspaceWriteError) as error:
                st.error(f"Not saved: {md(error)}")
            else:
                st.session_state["sync_log"] = [("success", "Sources saved.")]
                st.rerun()
    st.session_state["sources_seen"] = token


def _status(cache: FocusCache, sources: list[SyncSource]) -> pd.DataFrame:
    state = sync_state(cache)
    held = {s.name: s for s in cache.sources()}
    rows = []
    for source in sources:
        record = state.get(source.name, {})
        units = record.get("units", {})
        mine = [s.summary for name, s in held.items() if name.startswith(f"{source.name} · ")]
        totals = merge_summaries(mine)["totals"] if mine else {}
        error = (record.get("last_error") or {}).get("message", "")
        rows.append({
            "Source": source.name, "Location": source.location,
            "Last sync (schedule)": (utc_time(record["last_sync"]) if record.get("last_sync") else "never")
            + f" ({source.schedule})",
            "Read by": record.get("how") or "",
            "Periods": ", ".join(sorted(units)[-3:]) + (" …" if len(units) > 3 else ""),
            "Rows": sum(s["rows"] for s in mine),
            "Billed": "; ".join(f"{t['BilledCost']:,.2f} {cur}" for cur, t in sorted(totals.items())),
            "Status": "disabled" if not source.enabled else "failed: see below" if error else
                      "ok" if record.get("last_sync") else "not synced yet",
        })
    return pd.DataFrame(rows)


def _last_errors(cache: FocusCache, sources: list[SyncSource]) -> None:
    state = sync_state(cache)
    for source in sources:
        error = (state.get(source.name, {}).get("last_error") or {})
        if error:
            st.warning(f"**{md(source.name)}**, last sync {utc_time(error['at'])}: {md(error['message'])}",
                       icon=":material/sync_problem:")


def _run(cache: FocusCache, sources: list[SyncSource]) -> None:
    with st.status(f"Syncing {len(sources)} source(s)…", expanded=True) as status:
        bar = st.progress(0.0)
        report = sync(cache, sources, progress=lambda what, share: bar.progress(min(share, 1.0), text=what[:200]))
        status.update(label="Sync finished" if report.ok else "Sync finished with errors",
                      state="complete" if report.ok else "error")
    forget()
    st.session_state["sync_log"] = [("success" if r.error is None else "error", str(r)) for r in report.results]
    st.rerun()
