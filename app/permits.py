"""What the signed-in user may change, asked where a control would be drawn and again right before a save.

Viewers change nothing; editors change what lies inside their scopes (a budget, a scenario lever); what
concerns the whole bill (allocation rules, the tag policy, restoring a whole file's older version) only an
admin or an editor of the whole bill. The workspace store has no notion of users: these checks are the app's."""

from __future__ import annotations

import streamlit as st

from analysis.access.roles import Access, Action
from analysis.scope import Scope, describe, inside_any
from analysis.store.audit import record
from app.door import current_access

WHOLE_BILL: Scope = ()


def can(action: Action, scope: Scope | None = None) -> bool:
    """True when the user's role may `action` and, when `scope` is given, it lies inside one of their scopes
    (`WHOLE_BILL` for what concerns everyone's costs)."""
    access = current_access()
    return access.may(action) and (scope is None or inside_any(access.scopes, scope))


def sees(scope: Scope) -> bool:
    """True when the user may see a budget or scenario of this scope: it lies inside one of their scopes (one
    reaching beyond them would be judged on their rows only, and its name and amount are another team's)."""
    return inside_any(current_access().scopes, scope)


def why_not(action: Action, what: str) -> str:
    """Plain words for a refusal: the role, or the scope when the role would do."""
    access = current_access()
    if not access.may(action):
        return f"your role ({access.role}) may not {what}"
    return f"you may not {what}: your access covers {_scopes(access)}, not the whole bill"


def require(action: Action, what: str) -> None:
    """Stop the page with a plain refusal when the user's role may not `action` (`what` says it in words)."""
    access = current_access()
    if not access.may(action):
        st.error(f"Your role ({access.role}) may not {what}. Ask an administrator if you need to.",
                 icon=":material/block:")
        st.stop()


def cannot(action: Action, what: str) -> None:
    """The short caption drawn where a form or button would be."""
    st.caption(f":material/lock: Read only: {why_not(action, what)}.")


def refused(action: Action, what: str, target: str, scope: Scope | None = None) -> bool:
    """Right before a save: True (with an error, recorded in the audit trail, nothing saved) when the user
    may not `action` on `scope`, as when the form was drawn for a role the user no longer has."""
    if can(action, scope):
        return False
    reason = why_not(action, what)
    record("refused", target, ok=False, detail=reason)
    st.error(f"Not saved: {reason}.", icon=":material/block:")
    return True


def outside(scope: Scope) -> str | None:
    """For an editor of part of the bill, why `scope` (a budget's, a lever's) cannot be saved; None when it may."""
    access = current_access()
    if inside_any(access.scopes, scope):
        return None
    return (f"{describe(scope)} is not inside what you may see ({_scopes(access)}); "
            "write a scope inside it")


def _scopes(access: Access) -> str:
    return " or ".join(describe(s) for s in access.scopes) or "nothing"
