"""The saved versions of a workspace file (rules today; budgets and scenarios next) with Restore buttons."""

from __future__ import annotations

import streamlit as st

from analysis.store.audit import read_audit
from analysis.store.workspace import WorkspaceConflict, WorkspaceWriteError
from app.permits import WHOLE_BILL, can, cannot, refused
from app.ui import md

WHAT = "restore an older version (it replaces every team's entries in the file)"


def versions_panel(store, token_key: str, pending_key: str, shown: int = 20, restore: bool = True) -> None:
    """List `store`'s saved versions, newest first; Restore (offered when `restore` and the user may change
    the whole file) saves one again (compare-and-swap against the token in `st.session_state[token_key]`) and
    hands its text to the editor through `pending_key`."""
    restore = restore and can("edit", WHOLE_BILL)
    versions = store.versions()
    authors = _authors(store.workspace)
    if versions and not restore:
        cannot("edit", WHAT)
    if not versions:
        st.caption("No saved versions yet: each save is kept here (the last 100).")
    for version in versions[:shown]:
        left, right = st.columns([4, 1])
        who = authors.get(version.token, "")
        left.write(f"Saved {version.saved:%Y-%m-%d %H:%M:%S} UTC" + (f" by {md(who)}" if who else "")
                   + f" · `{version.name}`")
        if restore and right.button("Restore", key=f"restore_{version.name}"):
            if refused("edit", WHAT, store.path.name, WHOLE_BILL):
                continue
            try:
                store.restore(version.name, st.session_state[token_key])
            except (WorkspaceConflict, WorkspaceWriteError) as error:
                st.error(md(error))
            else:
                st.session_state[pending_key], st.session_state[token_key] = store.read()
                st.rerun()


def _authors(workspace) -> dict[str, str]:
    """Who saved each version (by the version's token), from the audit trail."""
    trail = read_audit(workspace)
    done = trail[trail["ok"] & trail["after"].notna()]
    return dict(zip(done["after"], done["who"], strict=True))
