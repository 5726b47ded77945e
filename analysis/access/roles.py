"""Who a user is (`Identity`, from the identity provider's claims) and what they may do (`Access`).

Matching is on a verified email address (case-insensitive), the domain of a verified address, or a
group of the groups claim; never on a display name. An address counts as verified only when the claims
say `email_verified: true`: a provider that omits the claim (Microsoft Entra ID does) or says false
matches no email or domain grant, only group grants. An unverified address can be typed by anyone at
some providers, and a grant that trusted it would hand that person someone else's access.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from analysis.access.model import ROLES, AccessFile, Grant, Role
from analysis.scope import Scope
from analysis.store.audit import OPERATOR as OPERATOR_NAME

Action = Literal["view", "download", "edit", "load", "access", "alerts"]
# The least role that may do each action: view and download within scope; edit allocation rules, tag
# policy, budgets, scenarios and triage; load and remove sources and sync; edit access; send alerts (they go
# out on everyone's behalf) and edit their settings.
_LEAST_ROLE: dict[str, Role] = {"view": "viewer", "download": "viewer", "edit": "editor", "load": "admin",
                                "access": "admin", "alerts": "admin"}


@dataclass(frozen=True)
class Identity:
    """A signed-in user as the identity provider describes them. `name` is shown, never matched."""

    email: str | None
    email_verified: bool
    groups: tuple[str, ...]
    name: str = ""

    @property
    def verified_email(self) -> str | None:
        """The email address in lower case if the provider verified it, else None."""
        return self.email.strip().casefold() if self.email and self.email_verified else None


def identity_from_claims(claims: Mapping[str, object], groups_claim: str = "groups") -> Identity:
    """The identity in OpenID Connect claims (Streamlit's `st.user`): `email`, `email_verified` (true only
    when the claim is true, see the module), `name`, and the groups in `groups_claim` as a list or as one
    comma-separated string."""
    email = claims.get("email")
    verified = claims.get("email_verified")
    raw = claims.get(groups_claim)
    if isinstance(raw, str):
        groups = [g.strip() for g in raw.split(",")]
    elif isinstance(raw, list | tuple):
        groups = [str(g).strip() for g in raw]
    else:
        groups = []
    return Identity(email=str(email).strip() if isinstance(email, str) and email.strip() else None,
                    email_verified=verified is True or isinstance(verified, str) and verified.lower() == "true",
                    groups=tuple(dict.fromkeys(g for g in groups if g)), name=str(claims.get("name") or ""))


@dataclass(frozen=True)
class Access:
    """What a user may do: a role, and the scopes whose rows they may see (a row in ANY of them). `()` is
    nothing (role none); `((),)` is the whole bill."""

    who: str
    role: Role
    scopes: tuple[Scope, ...]

    def may(self, action: Action) -> bool:
        """True when the role allows `action` (view, download, edit, load, access, alerts)."""
        if action not in _LEAST_ROLE:
            raise ValueError(f"unknown action {action!r} (one of {', '.join(_LEAST_ROLE)})")
        return ROLES.index(self.role) >= ROLES.index(_LEAST_ROLE[action])

    @property
    def whole_bill(self) -> bool:
        """True when the user sees every row."""
        return () in self.scopes


OPERATOR = Access(OPERATOR_NAME, "admin", ((),))  # commands without --as, apps without sign-in


def matches(grant: Grant, identity: Identity) -> bool:
    """True when the grant is for this user (verified email or its domain, or a group)."""
    email = identity.verified_email
    if grant.who.email is not None:
        return email == grant.who.email
    if grant.who.domain is not None:
        return email is not None and email.rpartition("@")[2] == grant.who.domain
    return grant.who.group in identity.groups


def resolve(access_file: AccessFile, identity: Identity) -> Access:
    """The user's access: the highest role of the grants that match them and the union of their scopes (the
    whole bill if any of them has none); with no matching grant, the file's default role and scope. `who`
    is the verified address, else the address marked unverified, else the display name marked as such."""
    who = identity.verified_email or (f"{identity.email} (unverified)" if identity.email
                                       else f"{identity.name or 'unknown user'} (no email)")
    found = [g for g in access_file.grants if matches(g, identity)]
    if not found:
        fallback = access_file.fallback_scope
        return Access(who, "none", ()) if fallback is None else Access(who, "viewer", (fallback,))
    role = max((g.role for g in found), key=ROLES.index)
    scopes = tuple(dict.fromkeys(g.scope for g in found))
    return Access(who, role, ((),) if () in scopes else scopes)
