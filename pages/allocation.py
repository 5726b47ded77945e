"""Allocation: edit the rules (table or YAML), preview their effect on history, save safely."""

import pandas as pd
import streamlit as st

from analysis.allocation.rules import RulesError, parse_rules
from analysis.allocation.split import by_owner
from analysis.allocation.store import RuleStore, metric_table_names, save_metric_table
from analysis.allocation.table import COLUMNS as TABLE_COLUMNS
from analysis.allocation.table import rule_rows, with_rule_rows
from analysis.store.workspace import WorkspaceConflict, WorkspaceWriteError
from app.charts import horizontal_bars
from app.door import allocation, rule_coverage, rules_problem, saved_rules_text, workspace
from app.ui import empty_state, md, money, money_column
from app.versions import versions_panel

UNALLOCATED_HELP = ("What stays unallocated after the shared-cost splits. Before them, no rule matched {unmatched} "
                    "(the last row of Rule coverage): shared-cost rules pass part of that on to owners.")
view = st.session_state["view"]
st.title("Allocation")
st.caption("Rules live in `allocation.yaml` in the workspace: ordered per dimension, first match wins; "
           "cost no rule matches goes to the dimension's Unallocated owner. Nothing changes until you save.")
store = RuleStore(workspace())
if "alloc_text" not in st.session_state:
    text, token = store.read()
    st.session_state["alloc_text"] = text or saved_rules_text()
    st.session_state["alloc_token"] = token
if "alloc_pending" in st.session_state:  # text set by a button: applied before the editor is drawn
    st.session_state["alloc_text"] = st.session_state.pop("alloc_pending")


def _parse() -> tuple[object | None, str | None]:
    try:
        return parse_rules(st.session_state["alloc_text"], store.path.name), None
    except RulesError as error:
        return None, str(error)


rules, problem = _parse()
if rules is not None and view.period is not None:  # rules must also fit the data before they can be saved
    problem = rules_problem(st.session_state["alloc_text"])
table_tab, yaml_tab, metrics_tab, versions_tab = st.tabs(["Rules table", "YAML", "Metric tables", "Versions"])

with yaml_tab:
    st.text_area("allocation.yaml", key="alloc_text", height=420, label_visibility="collapsed")
    st.caption("Edits here are checked and previewed below as you go; save when the preview looks right.")

with table_tab:
    if rules is None:
        st.warning("Fix the YAML first: the table edits a valid rule set.")
    else:
        names = [d.name for d in rules.dimensions]
        dimension = st.selectbox("Dimension", names, key="alloc_table_dim")
        frame = pd.DataFrame(rule_rows(rules, dimension), columns=list(TABLE_COLUMNS))
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

with metrics_tab:
    st.markdown("A `split: metric` shared-cost rule divides a month's shared cost in proportion to a table you "
                "provide: a CSV with columns `month` (e.g. 2026-10), `owner` and `value` (requests, headcount…). "
                "Name it in the rule as `metric_file: <file name>`.")
    upload = st.file_uploader("Metric table (CSV)", type=["csv"], key="alloc_metric_upload")
    if upload is not None and st.button("Check and save metric table", icon=":material/upload:"):
        try:
            table = save_metric_table(workspace(), upload.name, upload.getvalue())
        except RulesError as error:
            st.error(f"Not saved: {md(error)}")
        else:
            st.success(f"Saved {md(upload.name)}: {len(table)} rows, {table['month'].nunique()} months, "
                       f"{table['owner'].nunique()} owners.")
    saved_tables = metric_table_names(workspace())
    st.caption("Saved metric tables: " + (", ".join(md(n) for n in saved_tables) or "none yet"))

with versions_tab:
    versions_panel(store, "alloc_token", "alloc_pending")

st.divider()
if problem:
    st.error(f"{md(problem)}. Fix this before saving: rules that do not fit the data cannot be saved.",
             icon=":material/error:")
    st.stop()

save_col, reload_col, status_col = st.columns([1, 1, 3])
if save_col.button("Save rules", type="primary", icon=":material/save:"):
    try:
        store.save(st.session_state["alloc_text"], st.session_state["alloc_token"])
        st.session_state["alloc_token"] = store.read()[1]
        status_col.success(f"Saved {store.path.name}; the previous version is under Versions.")
    except (WorkspaceConflict, WorkspaceWriteError, RulesError) as error:
        status_col.error(md(error))
if reload_col.button("Reload from disk", icon=":material/refresh:"):
    st.session_state["alloc_mine"] = st.session_state["alloc_text"]
    text, token = store.read()
    st.session_state["alloc_pending"], st.session_state["alloc_token"] = text or st.session_state["alloc_text"], token
    st.rerun()
if st.session_state.get("alloc_mine"):
    with st.expander("Your unsaved text before the reload (copy what you need to merge)"):
        st.code(st.session_state["alloc_mine"], language="yaml")
if store.read()[1] != st.session_state["alloc_token"]:
    st.warning("Someone saved a newer version of the rules since you opened them. Saving will be refused; "
               "reload, then apply your change again.")

st.subheader("Preview on history")
if view.period is None:
    empty_state("No billing data is loaded, so there is nothing to preview.")
    st.stop()
dimension = st.selectbox("Preview dimension", [d.name for d in rules.dimensions], key="alloc_preview_dim")
text = st.session_state["alloc_text"]
try:
    long = allocation(text, view.filters, dimension, view.metric)
    coverage = rule_coverage(text, view.filters, dimension, view.metric)
except RulesError as error:
    st.error(md(error))
    st.stop()
cur = view.currency
owners = by_owner(long).groupby("owner")[["direct", "shared", "total"]].sum().sort_values("total", ascending=False)
total = float(owners["total"].sum())
unallocated = float(owners["total"].get(rules.dimension(dimension).unallocated, 0.0))
c1, c2, c3 = st.columns(3)
c1.metric("Cost in range", money(total, cur), border=True)
unmatched = float(coverage.loc[coverage["rule"].str.startswith("(no rule"), "cost"].sum())
c2.metric("Unallocated", money(unallocated, cur), f"{unallocated / total:.1%} of cost" if total else None,
          delta_color="off", border=True, help=UNALLOCATED_HELP.format(unmatched=money(unmatched, cur)))
c3.metric("Owners", f"{len(owners):,}", border=True)
left, right = st.columns(2)
with left:
    st.markdown("**Cost per owner** (direct plus shared)")
    st.altair_chart(horizontal_bars(owners.reset_index().head(20), "owner", "total", cur), width="stretch")
with right:
    st.markdown("**Rule coverage** (cost each rule placed, in priority order)")
    st.dataframe(coverage, hide_index=True, width="stretch",
                 column_config={"rule": "Rule", "cost": money_column("Cost", cur),
                                "share": st.column_config.ProgressColumn("Share", format="percent", min_value=0,
                                                                         max_value=1)})
