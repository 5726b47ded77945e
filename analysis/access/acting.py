"""Acting as someone: the access of a command run `--as EMAIL [--groups ...]`, and the context in which a
command or a page call runs as that user (their rows only, their name on every audit entry)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from analysis.access.roles import OPERATOR, Access, Identity, resolve
from analysis.access.store import AccessStore
from analysis.allocation.rules import parse_rules
from analysis.allocation.store import rules_in_use
from analysis.query.acting import needs_rules, viewing_as
from analysis.store.audit import as_user, audit_to, record


class AccessRefused(PermissionError):
    """The user may not do this; the message says what is missing without revealing what exists."""


def command_access(email: str | None, groups: str, workspace: Path) -> Access:
    """The access of a command: the operator's (full) without `email`, else that user's from access.yaml.

    Raises AccessRefused (recorded in the audit trail) for a user without access or without an access file.
    """
    if not email:
        return OPERATOR
    access_file, _ = AccessStore(workspace).access()
    if access_file is None:
        raise AccessRefused(f"--as {email}: there is no access file (access.yaml) in {workspace}, so no user's "
                            "role and scope are known; run without --as for full access")
    identity = Identity(email=email, email_verified=True, groups=tuple(g.strip() for g in groups.split(",") if g.strip()))
    access = resolve(access_file, identity)
    if access.role == "none":
        with audit_to(workspace), as_user(access.who):
            record("refused", "command", ok=False, detail="no grant in access.yaml gives this user access")
        raise AccessRefused(f"{email} has no access: no grant in access.yaml gives this user a role")
    return access


@contextmanager
def acting(access: Access, workspace: Path) -> Iterator[None]:
    """Run the block as `access`: its rows only (the query layer is restricted), its name in the audit trail."""
    with ExitStack() as stack:
        stack.enter_context(audit_to(workspace))
        stack.enter_context(as_user(access.who))
        if not access.whole_bill:
            rules = None
            if needs_rules(access.scopes):
                rules = parse_rules(rules_in_use(workspace))
            stack.enter_context(viewing_as(access.scopes, rules))
        yield
