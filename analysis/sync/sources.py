"""The sources file (`sources.yaml`): where each bill lives, saved through the workspace store. It never holds
secrets: S3 credentials come from the standard AWS chain (environment, profile, instance or container role)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from analysis.store.workspace import WorkspaceFile
from analysis.store.yaml_lists import check_unique, named_items, validation_problems
from analysis.sync.locations import is_remote

FILE_NAME = "sources.yaml"
_SECRET_WORDS = ("secret", "password", "token", "access_key", "credential", "sas", "key_id")


class SourcesError(ValueError):
    """An invalid sources file; the message names the source and the field."""


class SyncSource(BaseModel):
    """One place a bill is delivered to."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1, max_length=100)
    location: str = Field(min_length=1)  # s3://bucket/prefix, or a local or mounted folder
    kind: Literal["auto", "aws-data-exports", "aws-cur", "files"] = "auto"
    schedule: str = "daily"  # a hint for whoever schedules `python -m analysis sync`; not enforced here
    enabled: bool = True

    @field_validator("name", "location")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @field_validator("location")
    @classmethod
    def _no_credentials(cls, value: str) -> str:
        if is_remote(value) and "@" in value.split("/", 3)[2]:
            raise ValueError("an S3 location names no credentials (they come from the AWS credential chain)")
        return value


def parse_sources(text: str, source: str = FILE_NAME) -> list[SyncSource]:
    """Sources from YAML text (empty: none); SourcesError names the file, the source and the field."""
    out: list[SyncSource] = []
    seen: set[str] = set()
    for where, item in named_items(text, source, "sources", "source", SourcesError):
        secrets = [k for k in map(str, item) if any(w in k.lower() for w in _SECRET_WORDS)]
        if secrets:
            raise SourcesError(f"{where}, field {secrets[0]}: sources.yaml never holds secrets; S3 credentials come "
                               "from the AWS credential chain (AWS_PROFILE, environment, instance or container role)")
        try:
            out.append(SyncSource.model_validate(item))
        except ValidationError as error:
            raise SourcesError(f"{where}, {validation_problems(error)}") from error
        check_unique(out[-1].name, seen, where, "sources", SourcesError)
    return out


def dump_sources(sources: list[SyncSource]) -> str:
    """The sources as sources.yaml text."""
    return yaml.safe_dump({"sources": [s.model_dump(exclude_defaults=True) | {"name": s.name, "location": s.location}
                                       for s in sources]}, sort_keys=False, allow_unicode=True)


class SourcesStore(WorkspaceFile):
    """`sources.yaml` in a workspace folder; its saved versions in `.history/`."""

    def __init__(self, workspace: Path | str, name: str = FILE_NAME):
        super().__init__(workspace, name)

    def sources(self) -> tuple[list[SyncSource], str]:
        """The configured sources and the token of the text they came from."""
        try:
            text, token = self.read()
        except (OSError, UnicodeDecodeError) as error:
            raise SourcesError(f"{self.path.name} cannot be read ({error})") from error
        return parse_sources(text, self.path.name), token

    def validate(self, text: str) -> None:
        """SourcesError (nothing written) when the text is not a valid sources file."""
        parse_sources(text, self.path.name)
