"""The Allocation rules page's editing panels: the rules as a table and as YAML, metric tables, saved versions,
and Save / Reload. Users who may not change the rules (viewers, editors of part of the bill) get the same
content read-only."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis.allocation.rules import RulesError
from analysis.allocation.store import RuleStore, metric_table_names, save_metric_table
from analysis.allocation.table import COLUMNS as TABLE_COLUMNS
from analysis.allocation.table import rule_rows, with_rule_rows
from analysis.store.workspace import WorkspaceConflict, WorkspaceWriteError
from app.door import workspace
from app.permits import WHOLE_BILL, can, cannot, refused
from app.ui import md
from app.versions import versions_panel

WHAT = "change the allocation rules (they decide who pays what across the whole bill)"


def editable() -> bool:
    """Only admins and editors of the whole bill change the rules."""
    return can("edit", WHOLE_BILL)


def rule_tabs(store: RuleStore, rules) -> None:
    """The rules as a table and as YAML, the metric tables and the saved versions: editable, or read-only."""
    edit = editable()
    table_tab, yaml_tab, metrics_tab, versions_tab = st.tabs(["Rules table", "YAML", "Metric tables", "Versions"])
    with yaml_tab:
        if edit:
            st.text_area("allocation.yaml", key="alloc_text", height=420, label_visibility="collapsed")
            st.caption("Edits here are checked and previewed below as you go; save when the preview looks right.")
        else:
            st.code(st.session_state["alloc_text"], language="yaml")
    with table_tab:
        if rules is None:
            st.warning("Fix the YAML first: the table edits a valid rule set.")
        else:
            _table(store, rules, edit)
    with metrics_tab:
        st.markdown("A `split: metric` shared-cost rule divides a month's shared cost in proportion to a table you "
                    "provide: a CSV with columns `month` (e.g. 2026-10), `owner` and `value` (requests, headcount…). "
                    "Name it in the rule as `metric_file: <file name>`.")
        if edit:
            _metric_upload()
        st.caption("Saved metric tables: " + (", ".join(md(n) for n in metric_table_names(workspace())) or "none yet"))
    with versions_tab:
        versions_panel(store, "alloc_token", "alloc_pending", restore=edit)


def _table(store: RuleStore, rules, edit: bool) -> None:
    names = [d.name for d in rules.dimensions]
    dimension = st.selectbox("Dimension", names, key="alloc_table_dim")
    frame = pd.DataFrame(rule_rows(rules, dimension), columns=list(TABLE_COLUMNS))
    if not edit:
        st.dataframe(frame, hide_index=True, width="stretch")
        return
    edited = st.data_editor(
        frame, num_rows="dynamic", width="stretch", key=f"alloc_editor_{dimension}",
        column_config={
            "name": st.column_config.TextColumn("Rule name", required=True),
            "when": st.column_config.TextColumn("Condition", help='e.g. {"tag": "team", "present": true} or '
                                                '{"column": "ServiceName", "prefix": "Amazon"}', width="large"),
            "owner": st.column_config.TextColumn("Owner"),
            "owner_from_tag": st.column_config.TextColumn("Owner from tag"),
        },
    )
    st.caption("Rows are in priority order (first match wins). Conditions are JSON or YAML mappings: "
               "`column` or `tag` with one of `equals`, `one_of`, `regex`, `prefix`, `present`; "
               "combine with `all` / `any`.")
    if st.button("Apply table to the rules", icon=":material/table_edit:"):
        try:
            st.session_state["alloc_pending"] = with_rule_rows(st.session_state["alloc_text"], dimension,
                                                               edited.to_dict("records"), store.path.name)
            st.rerun()
        except RulesError as error:
            st.error(f"Not applied: {md(error)}")


def _metric_upload() -> None:
    upload = st.file_uploader("Metric table (CSV)", type=["csv"], key="alloc_metric_upload")
    if upload is not None and st.button("Check and save metric table", icon=":material/upload:"):
        if refused("edit", WHAT, f"allocation metric table {upload.name}", WHOLE_BILL):
            return
        try:
            table = save_metric_table(workspace(), upload.name, upload.getvalue())
        except RulesError as error:
            st.error(f"Not saved: {md(error)}")
        else:
            st.success(f"Saved {md(upload.name)}: {len(table)} rows, {table['month'].nunique()} months, "
                       f"{table['owner'].nunique()} owners.")


def save_bar(store: RuleStore) -> None:
    """Save and Reload for those who may change the rules; a caption saying why not for the others."""
    if not editable():
        cannot("edit", WHAT)
        return
    save_col, reload_col, status_col = st.columns([1, 1, 3])
    if (save_col.button("Save rules", type="primary", icon=":material/save:")
            and not refused("edit", WHAT, store.path.name, WHOLE_BILL)):
        try:
            store.save(st.session_state["alloc_text"], st.session_state["alloc_token"])
            st.session_state["alloc_token"] = store.read()[1]
            status_col.success(f"Saved {store.path.name}; the previous version is under Versions.")
        except (WorkspaceConflict, WorkspaceWriteError, RulesError) as error:
            status_col.error(md(error))
    if reload_col.button("Reload from disk", icon=":material/refresh:"):
        st.session_state["alloc_mine"] = st.session_state["alloc_text"]
        text, token = store.read()
        st.session_state["alloc_pending"] = text or st.session_state["alloc_text"]
        st.session_state["alloc_token"] = token
        st.rerun()
    if st.session_state.get("alloc_mine"):
        with st.expander("Your unsaved text before the reload (copy what you need to merge)"):
            st.code(st.session_state["alloc_mine"], language="yaml")
    if store.read()[1] != st.session_state["alloc_token"]:
        st.warning("Someone saved a newer version of the rules since you opened them. Saving will be refused; "
                   "reload, then apply your change again.")
