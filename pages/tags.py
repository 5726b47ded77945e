"""Tags: coverage per key, untagged cost, and the required-tags policy with its violations."""

from collections import Counter

import streamlit as st

from analysis.dimensions import Dimension
from analysis.reports.safe_csv import download_name, safe_csv
from analysis.store.tag_columns import display_key
from analysis.store.workspace import WorkspaceConflict, WorkspaceWriteError
from analysis.tags.hygiene import similar_keys
from analysis.tags.policy import FILE_NAME as POLICY_FILE
from analysis.tags.policy import TagPolicy, TagPolicyError, load_policy, policy_token, save_policy
from app import workbook
from app.charts import horizontal_bars
from app.door import cache, missing_tags, missing_tags_total, tag_coverage, untagged, workspace
from app.permits import WHOLE_BILL, can, cannot, refused
from app.ui import empty_state, md, money, money_column, page_view

POLICY_WHAT = "change the required-tags policy (it holds for every team's resources)"
view = page_view("Tags")
cur = view.currency
spellings = cache().manifest()["tag_spellings"]

coverage = tag_coverage(view.filters, view.metric)
total = float(coverage["total_cost"].iloc[0]) if len(coverage) else 0.0
untagged_total = total - float(coverage["tagged_cost"].iloc[0]) if len(coverage) else 0.0
c1, c2, c3 = st.columns(3)
c1.metric("Cost in range", money(total, cur), border=True)
c2.metric("Untagged cost", money(untagged_total, cur), border=True,
          help="Cost whose resources carry no tag at all (missing or empty `{}` Tags).")
c3.metric("Tagged share", f"{coverage['share'].iloc[0]:.1%}" if total else "—", border=True)

st.subheader("Coverage per tag key", help="Share of cost carrying the key. Keys are matched case-insensitively.")
if total == 0:
    empty_state("No cost in the selected range.")
else:
    st.altair_chart(horizontal_bars(coverage, "key", "share", cur, value_format=".0%"), width="stretch")
    variants = {Dimension.of_tag_column(col).name: sp for col, sp in spellings.items() if len(sp) > 1}
    if variants:
        st.warning(
            "Inconsistent key spellings (counted as one key here; fix them at the source): "
            + "; ".join(f"**{k}** written as " + ", ".join(f"`{s}` ({n:,} rows)" for s, n in sp.items())
                        for k, sp in variants.items()),
            icon=":material/spellcheck:",
        )
    labels = {col: display_key(Counter(sp)) for col, sp in spellings.items()}
    for group in similar_keys(labels.values()):
        st.warning("These keys look like one key written in different ways (they are counted apart): "
                   + ", ".join(f"**{md(k)}**" for k in group) + ". Pick one spelling at the source.",
                   icon=":material/spellcheck:")

left, right = st.columns(2)
untagged_frames = {}
for column, dimension, title in ((left, "ServiceName", "Untagged cost by service"),
                                 (right, "SubAccountName", "Untagged cost by sub-account")):
    with column:
        st.subheader(title)
        frame = untagged_frames[title] = untagged(view.filters, (dimension,), view.metric).head(15)
        if frame.empty:
            st.caption("No untagged cost in this range.")
        else:
            st.altair_chart(horizontal_bars(frame, dimension, "cost", cur), width="stretch")

st.subheader("Required-tags policy")
sheets = [("Coverage", coverage, workbook.money_spec(coverage, view, percent=["share"]), ()),
          *((t, f, workbook.money_spec(f, view), ()) for t, f in untagged_frames.items())]
shown_token = policy_token(workspace())
try:
    policy = load_policy(workspace())
except TagPolicyError as error:
    st.error(f"The saved policy could not be read, so the default is shown: {md(error)}")
    policy = TagPolicy()
known = sorted({Dimension.of_tag_column(col).name for col in spellings} | set(policy.required))
if not can("edit", WHOLE_BILL):  # the policy holds for every team's resources
    st.markdown("Every resource must carry these tag keys: " + (", ".join(f"**{md(k)}**" for k in policy.required)
                                                              or "none"))
    cannot("edit", POLICY_WHAT)
else:
    with st.form("policy"):
        chosen = st.multiselect("Every resource must carry these tag keys", known, default=policy.required,
                                accept_new_options=True)
        if (st.form_submit_button("Save policy", icon=":material/save:")
                and not refused("edit", POLICY_WHAT, POLICY_FILE, WHOLE_BILL)):
            try:
                policy = TagPolicy(required=chosen)
                shown_token = save_policy(workspace(), policy, st.session_state.get("policy_seen", shown_token))
                st.success(f"Saved to {POLICY_FILE}: {md(', '.join(policy.required)) or 'no required keys'}.")
            except (ValueError, WorkspaceConflict, WorkspaceWriteError) as error:
                st.error(f"Not saved: {md(error)}")
st.session_state["policy_seen"] = shown_token  # the version this page showed: the base of the next save

violations = missing_tags(view.filters, tuple(policy.required), view.metric)
if not policy.required:
    st.caption("No required keys: nothing to check.")
elif violations.empty:
    st.success("Every resource in range carries the required tags.")
else:
    count, cost = missing_tags_total(view.filters, tuple(policy.required), view.metric)
    shown = f"the {len(violations):,} costliest are listed" if count > len(violations) else "all are listed"
    st.markdown(f"**{count:,} resource{'s' if count != 1 else ''}** violate the policy, costing "
                f"{money(cost, cur, precise=True)} in range; {shown}.")
    st.dataframe(
        violations.fillna("(none)"), hide_index=True, width="stretch", height=380,
        column_config={"ResourceId": st.column_config.TextColumn("Resource ID", width="medium",
                                                                  help="Hover a cell for the whole ID."),
                       "ResourceName": "Resource", "ServiceName": st.column_config.TextColumn("Service", width="medium"),
                       "SubAccountName": "Sub-account", "missing": "Missing keys", "cost": money_column("Cost", cur)},
    )
    st.download_button("Download violations (CSV)", safe_csv(violations, ["cost"]),
                       file_name=download_name("tag_policy_violations", view.metric, cur, view.filters.start, "to",
                                               view.last_day), mime="text/csv", icon=":material/download:")
    sheets.append(("Policy violations", violations, workbook.money_spec(violations, view), ()))
workbook.download(view, "Tags", sheets, kpis=[("Untagged cost", untagged_total, "money"),
                                              ("Tagged share", float(coverage["share"].iloc[0]) if total else None,
                                               "percent")],
                  extra=[("Required tag keys", ", ".join(policy.required) or "none")])
