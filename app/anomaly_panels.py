"""The Anomalies page's triage form: a status and a comment per event, carried across monitors."""

from __future__ import annotations

import streamlit as st

from analysis.anomalies.triage import STATUSES, Found, Triage, save_triage
from analysis.store.workspace import WorkspaceConflict, WorkspaceWriteError
from app.door import scope_label, workspace
from app.permits import can, cannot, refused
from app.ui import md, utc_time


def triage_form(event, saved: Triage | None, found: Found | None, scope: dict[str, str]) -> None:
    """Show and save the triage of `event` (its own `saved` one, else one `found` under another monitor);
    `scope` is what is known of the event (its group and top root-cause contributor)."""
    st.markdown("**Triage**")
    inherited = found if not saved else None
    if inherited:
        via_level, via_group, via_start = inherited.via.split("|")
        st.caption(f"Triaged under the {scope_label(via_level)} monitor ({md(via_group)}, from {via_start}), "
                   "the same days; saving here records it for this monitor too.")
    shown_triage = saved or (inherited.triage if inherited else None)
    if not can("edit"):
        st.markdown(f"Status: **{shown_triage.status if shown_triage else 'new'}**"
                    + (f" · {md(shown_triage.comment)}" if shown_triage and shown_triage.comment else ""))
        cannot("edit", "triage anomalies")
        return
    with st.form(f"triage_{event['id']}"):
        status = st.radio("Status", STATUSES, index=STATUSES.index(shown_triage.status) if shown_triage else 0,
                          horizontal=True)
        comment = st.text_area("Comment", shown_triage.comment if shown_triage else "", placeholder="What did you find?")
        if (st.form_submit_button("Save triage", icon=":material/save:")
                and not refused("edit", "triage anomalies", f"triage of {event['id']}")):
            seen = st.session_state.get("triage_seen", {}).get(event["id"], saved.updated if saved else "")
            try:
                save_triage(workspace(), event["id"], status, comment, expected=seen,
                            days=(event["start"].date(), event["end"].date()),
                            scope=scope)
            except (WorkspaceConflict, WorkspaceWriteError) as error:
                st.error(md(error))
            else:
                st.session_state.setdefault("triage_seen", {}).pop(event["id"], None)
                st.rerun()
    # The version of this event's triage the page showed: the base of the next save.
    st.session_state.setdefault("triage_seen", {})[event["id"]] = saved.updated if saved else ""
    if saved and saved.updated:
        st.caption(f"Last updated {utc_time(saved.updated)}")
