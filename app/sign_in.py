"""Who is using the app: the sign-in gate (Streamlit's `st.login` with the `[auth]` identity provider of
`.streamlit/secrets.toml`), the refusal page for a user without a grant, the signed-in user in the sidebar,
and the notice that an app without sign-in is open to everyone who can reach it."""

from __future__ import annotations

import streamlit as st

from analysis.access.roles import Access
from analysis.scope import describe
from analysis.store.audit import as_user, record
from app.door import VIEW_AS, current_access, sign_in_configured, signed_in_access, workspace
from app.ui import md

_LOOPBACK = ("127.0.0.1", "localhost", "::1")
MIN_COOKIE_SECRET = 32  # bytes


def gate() -> Access:
    """The user's access once they may use the app; stops the run with a sign-in or refusal page otherwise."""
    if not sign_in_configured():
        _open_notice()
        return _preview(current_access())
    if len(str(st.secrets["auth"].get("cookie_secret", "")).encode()) < MIN_COOKIE_SECRET:
        st.error("Sign-in is configured without a strong cookie secret, so nobody can sign in: set `cookie_secret` "
                 f"in the [auth] section of .streamlit/secrets.toml to at least {MIN_COOKIE_SECRET} random bytes, "
                 "e.g. the output of `python -c \"import secrets; print(secrets.token_urlsafe(48))\"`.",
                 icon=":material/key_off:")
        st.stop()
    if not st.user.is_logged_in:
        st.title("FinOps Workbench")
        st.write("Sign in with your organisation's account to see the costs you are responsible for.")
        st.button("Sign in", icon=":material/login:", type="primary", on_click=st.login)
        st.stop()
    access = signed_in_access()
    if access.role == "none":
        if not st.session_state.get("refusal_recorded"):
            with as_user(access.who):
                record("sign-in refused", "app", ok=False, folder=workspace(),
                       detail="no grant in access.yaml gives this user a role")
            st.session_state["refusal_recorded"] = True
        st.title("No access")
        st.write(f"You are signed in as {md(access.who)}, but this workbench has not given your account a role. "
                 "Ask an administrator to add a grant for you.")
        st.button("Sign out", icon=":material/logout:", on_click=st.logout)
        st.stop()
    with st.sidebar:
        scope = "the whole bill" if access.whole_bill else "part of the bill"
        rows = None if access.whole_bill else "Your rows: " + "; or ".join(md(describe(s)) for s in access.scopes)
        st.caption(f"Signed in as {md(access.who)} · {access.role} · sees {scope}", help=rows)
        st.button("Sign out", icon=":material/logout:", on_click=st.logout, key="sign_out")
    return _preview(current_access())


def _preview(access: Access) -> Access:
    """While an admin views the app as someone else: say so in the sidebar, with a way back."""
    if st.session_state.get(VIEW_AS):
        st.sidebar.warning(f"Viewing as {md(access.who)} ({access.role}): every page shows what they would see.",
                           icon=":material/visibility:")
        st.sidebar.button("Stop viewing as", icon=":material/close:", key="stop_view_as",
                          on_click=lambda: st.session_state.pop(VIEW_AS, None))
    return access


def _open_notice() -> None:
    """Without sign-in, a server listening beyond loopback shows everyone who reaches it every cost: said once
    on every page, in the sidebar."""
    if (st.get_option("server.address") or "") in _LOOPBACK:
        return
    st.sidebar.caption(":material/lock_open: No sign-in is configured: everyone who can reach this address has "
                       "full access. See the README, 'Sign-in and roles'.")
