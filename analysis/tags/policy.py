"""The required-tags policy, kept as reviewable YAML in data/workspace/tag_policy.yaml."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from analysis.store.workspace import WorkspaceFile

FILE_NAME = "tag_policy.yaml"


class TagPolicyError(ValueError):
    """The policy file could not be read; the message names the file and the field."""


class TagPolicy(BaseModel):
    """Tag keys every resource must carry (matched case-insensitively)."""

    model_config = ConfigDict(extra="forbid")
    required: list[str] = Field(default_factory=lambda: ["team", "env", "cost-center"])

    @field_validator("required")
    @classmethod
    def _clean(cls, keys: list[str]) -> list[str]:
        cleaned = [k.strip().lower() for k in keys]
        if any(not k for k in cleaned):
            raise ValueError("tag keys must not be empty")
        return list(dict.fromkeys(cleaned))


def load_policy(workspace: Path) -> TagPolicy:
    """The saved policy, or the default one when none is saved yet."""
    path = Path(workspace) / FILE_NAME
    if not path.exists():
        return TagPolicy()
    try:
        return TagPolicy.model_validate(yaml.safe_load(path.read_text()) or {})
    except yaml.YAMLError as error:
        raise TagPolicyError(f"{path.name}: not valid YAML ({error})") from error
    except ValidationError as error:
        problems = "; ".join(f"field {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise TagPolicyError(f"{path.name}: {problems}") from error


def policy_token(workspace: Path) -> str:
    """The token of the saved policy as it is now (to hand back to `save_policy`)."""
    return WorkspaceFile(workspace, FILE_NAME).read()[1]


def save_policy(workspace: Path, policy: TagPolicy, expected: str | None = None) -> str:
    """Write the policy through the workspace store (atomic, with history); returns the new token.

    With `expected` (the token of the version the user saw), a policy saved by someone else meanwhile
    raises WorkspaceConflict and nothing is written.
    """
    text = "# Required tag keys; every resource should carry each of them.\n" + yaml.safe_dump(
        policy.model_dump(), sort_keys=False
    )
    file = WorkspaceFile(workspace, FILE_NAME)
    return file.update(lambda _: text) if expected is None else file.save(text, expected)
