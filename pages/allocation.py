"""Allocation: edit the rules (table or YAML), preview their effect on history, save safely."""

import streamlit as st

from analysis.allocation.rules import RulesError, parse_rules
from analysis.allocation.split import by_owner
from analysis.allocation.store import RuleStore
from app import allocation_panels
from app.charts import horizontal_bars
from app.door import allocation, current_access, rule_coverage, rules_problem, saved_rules_text, workspace
from app.ui import empty_state, md, money, money_column

UNALLOCATED_HELP = ("What stays unallocated after the shared-cost splits. Before them, no rule matched {unmatched} "
                    "(the last row of Rule coverage): shared-cost rules pass part of that on to owners.")
view = st.session_state["view"]
st.title("Allocation")
st.caption("Rules live in `allocation.yaml` in the workspace: ordered per dimension, first match wins; "
           "cost no rule matches goes to the dimension's Unallocated owner. Nothing changes until you save.")
store = RuleStore(workspace())
if "alloc_text" not in st.session_state or not allocation_panels.editable():  # read-only: the saved text
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
if rules is not None and view.period is not None and allocation_panels.editable():  # checked on the whole bill
    problem = rules_problem(st.session_state["alloc_text"])  # rules must also fit the data before they are saved
if current_access().whole_bill:
    allocation_panels.rule_tabs(store, rules)
else:  # the rules name every team's accounts and owners
    st.info("The rules decide who pays what across the whole bill, so only those who see the whole bill read and "
            "change them. Below: their effect on the costs you may see.", icon=":material/lock:")

st.divider()
if problem:
    st.error(f"{md(problem)}. Fix this before saving: rules that do not fit the data cannot be saved.",
             icon=":material/error:")
    st.stop()
allocation_panels.save_bar(store)

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
if not current_access().whole_bill:  # rules placing no cost the user may see are other teams'
    coverage = coverage[coverage["cost"] != 0]
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
