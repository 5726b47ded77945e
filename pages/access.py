"""Access: who may sign in, with which role and which part of the bill (access.yaml), and a preview of the app
as any user."""

import pandas as pd
import streamlit as st

from analysis.access.model import AccessError
from analysis.access.roles import OPERATOR_NAME
from analysis.access.store import AccessStore
from analysis.scope import describe
from analysis.store.workspace import WorkspaceConflict, WorkspaceWriteError
from app.door import VIEW_AS, sign_in_configured, workspace
from app.permits import require
from app.ui import md

TEMPLATE = """default_role: none            # a signed-in user who matches no grant: none (refused) or viewer
default_scope: {}             # with default_role viewer: what such a user sees ({} = the whole bill)
groups_claim: groups          # the ID token claim holding the user's groups
grants:
  - who: {group: finops-admins}
    role: admin
  - who: {email: bob@example.com}
    role: editor
  - who: {domain: example.com}
    role: viewer
    scope: {"alloc:Team": payments}
"""

st.title("Access")
require("access", "see or change who has access (an admin's task)")
store = AccessStore(workspace())
text, token = store.read()
try:
    access_file, _ = store.access()
except AccessError as error:
    access_file = None
    st.error(f"The saved access file cannot be used: {md(error)}", icon=":material/error:")
if not sign_in_configured():
    st.info("Sign-in is not configured (no [auth] section in .streamlit/secrets.toml), so this app serves one "
            "operator with full access; the access file applies once sign-in is on, and to commands run --as a user.",
            icon=":material/info:")
if access_file is None:
    st.caption("No access file yet: once sign-in is on, every signed-in user is refused until one is saved.")
else:
    grants = pd.DataFrame([{"Who": str(g.who), "Role": g.role, "Sees": describe(g.scope)} for g in access_file.grants])
    fallback = "refused" if access_file.fallback_scope is None else f"viewer of {describe(access_file.fallback_scope)}"
    st.dataframe(grants, hide_index=True, width="stretch")
    st.caption(f"A user who matches no grant: {md(fallback)}. Several grants: the highest role and every scope they "
               f"give. Groups come from the `{md(access_file.groups_claim)}` claim.")

st.subheader("Edit access.yaml")
edited = st.text_area("access.yaml", text or TEMPLATE, height=300, label_visibility="collapsed",
                      help="Grants match a verified email, an email domain or a group, never a display name.")
if st.button("Save access", icon=":material/save:", type="primary"):
    try:
        store.save(edited, st.session_state.get("access_seen", token))
    except (AccessError, WorkspaceConflict, WorkspaceWriteError) as error:
        st.error(f"Not saved: {md(error)}", icon=":material/block:")
    else:
        st.session_state.pop("access_seen", None)
        st.success("Access saved; it applies from each user's next page.")
        st.rerun()
st.session_state["access_seen"] = token

st.subheader("View the app as someone")
with st.form("view_as_form"):
    left, right = st.columns(2)
    email = left.text_input("Email", placeholder="carol@example.com")
    groups = right.text_input("Groups (comma-separated)", placeholder="finops-admins, payments")
    if st.form_submit_button("View as this user", icon=":material/visibility:", disabled=access_file is None):
        if email.strip() and email.strip().casefold() != OPERATOR_NAME:
            st.session_state[VIEW_AS] = {"email": email.strip(),
                                         "groups": [g.strip() for g in groups.split(",") if g.strip()]}
            st.switch_page("../pages/overview.py")
        st.error("Give the user's email address.")
