"""The access file (`access.yaml`): who may see which part of the bill and do what. Pydantic models with extra
fields forbidden; errors name the file, the grant and the field.

```yaml
default_role: none            # a signed-in user who matches no grant: none (refused) or viewer
default_scope: {}             # required when default_role is viewer ({} = the whole bill, said explicitly)
groups_claim: groups          # the ID token claim holding the user's groups
grants:
  - who: {group: finops-admins}
    role: admin
  - who: {domain: example.com}
    role: viewer
    scope: {"alloc:Team": payments}
```
"""

from __future__ import annotations

from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from analysis.scope import Scope, ScopeField
from analysis.store.workspace import yaml_syntax_error
from analysis.store.yaml_lists import validation_problems

FILE_NAME = "access.yaml"
Role = Literal["none", "viewer", "editor", "admin"]
ROLES: tuple[Role, ...] = ("none", "viewer", "editor", "admin")  # each may do what the ones before it may


class AccessError(ValueError):
    """An invalid access file; the message names the file, the grant and the field."""


class Who(BaseModel):
    """Whom a grant is for: one verified email address, everyone with a verified address at a domain, or a
    group of the identity provider's groups claim. Never a display name."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    email: str | None = None
    domain: str | None = None
    group: str | None = None

    @field_validator("email")
    @classmethod
    def _an_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().casefold()
        local, at, host = value.partition("@")
        if not local or not at or "@" in host or "." not in host or any(c.isspace() for c in value):
            raise ValueError(f"{value!r} is not an email address (name@example.com)")
        return value

    @field_validator("domain")
    @classmethod
    def _a_domain(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().removeprefix("@").casefold()
        if "." not in value or "@" in value or any(c.isspace() for c in value) or value.startswith("."):
            raise ValueError(f"{value!r} is not a domain (example.com)")
        return value

    @field_validator("group")
    @classmethod
    def _a_group(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("the group name is empty")
        return None if value is None else value.strip()

    @model_validator(mode="after")
    def _one(self) -> Who:
        if sum(v is not None for v in (self.email, self.domain, self.group)) != 1:
            raise ValueError("give exactly one of email, domain or group")
        return self

    def __str__(self) -> str:
        kind = "email" if self.email else "domain" if self.domain else "group"
        return f"{kind}={self.email or self.domain or self.group}"


class Grant(BaseModel):
    """A role, on a scope of the bill (`{}` or none: the whole bill), for the users `who` matches."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    who: Who
    role: Literal["viewer", "editor", "admin"]
    scope: ScopeField = ()

    @model_validator(mode="after")
    def _admins_see_everything(self) -> Grant:
        if self.role == "admin" and self.scope:
            raise ValueError("field scope: an admin sees the whole bill (an admin can edit access); "
                             "remove the scope or give another role")
        return self


class AccessFile(BaseModel):
    """The whole access file."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    default_role: Literal["none", "viewer"] = "none"
    default_scope: ScopeField | None = None
    groups_claim: str = Field("groups", min_length=1)
    grants: tuple[Grant, ...] = ()

    @model_validator(mode="after")
    def _default_scope_with_viewer(self) -> AccessFile:
        if self.default_role == "viewer" and self.default_scope is None:
            raise ValueError("field default_scope: required when default_role is viewer (what a user who matches "
                             "no grant sees; {} for the whole bill)")
        if self.default_role == "none" and self.default_scope is not None:
            raise ValueError("field default_scope: only used when default_role is viewer; remove it")
        return self

    @property
    def fallback_scope(self) -> Scope | None:
        """What a signed-in user who matches no grant sees (None: nothing)."""
        return self.default_scope if self.default_role == "viewer" else None


def parse_access(text: str, source: str = FILE_NAME) -> AccessFile | None:
    """The access file from YAML text; None for an empty file (no access control configured).

    AccessError names the file, the grant (`grant #2 (who: email=bob@example.com)`) and the field, and
    refuses a file that leaves no admin.
    """
    try:
        raw = yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError as error:
        raise AccessError(yaml_syntax_error(error, source)) from error
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise AccessError(f"{source}: expected a mapping with default_role, default_scope, groups_claim and grants")
    grants = raw.get("grants")
    if not isinstance(grants, list) or not grants:
        raise AccessError(f"{source}, field grants: expected a list of grants, with at least one admin")
    for index, item in enumerate(grants, start=1):
        where = f"{source}, grant #{index}"
        if not isinstance(item, dict):
            raise AccessError(f"{where}: expected a mapping with who, role and scope, found {type(item).__name__}")
        try:
            where += f" (who: {Who.model_validate(item.get('who'))})"
        except ValidationError:
            pass  # the grant's own validation below names the problem with `who`
        try:
            Grant.model_validate(item)
        except ValidationError as error:
            raise AccessError(f"{where}, {validation_problems(error)}") from error
    try:
        access = AccessFile.model_validate(raw)
    except ValidationError as error:
        raise AccessError(f"{source}, {validation_problems(error)}") from error
    if not any(g.role == "admin" for g in access.grants):
        raise AccessError(f"{source}, field grants: no grant gives the admin role, so nobody could change access "
                          "again; keep at least one admin")
    return access
