"""Triage of anomaly events: a status and a comment per event, kept in data/workspace/anomaly_triage.yaml."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

FILE_NAME = "anomaly_triage.yaml"
STATUSES = ("new", "investigating", "expected", "resolved")


class TriageError(ValueError):
    """The triage file could not be read; the message names the file and the event."""


class Triage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["new", "investigating", "expected", "resolved"] = "new"
    comment: str = ""
    updated: str = ""


def event_id(level: str, group: str, start: dt.date) -> str:
    """A stable key for an event: level, group and first day."""
    return f"{level}|{group}|{start:%Y-%m-%d}"


def load_triage(workspace: Path | str) -> dict[str, Triage]:
    """Saved triage per event id (empty when nothing is saved)."""
    path = Path(workspace) / FILE_NAME
    if not path.exists():
        return {}
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise TriageError(f"{FILE_NAME}: not valid YAML ({error})") from error
    items = {}
    for key, value in raw.items():
        try:
            items[key] = Triage.model_validate(value)
        except ValidationError as error:
            problem = error.errors()[0]
            raise TriageError(f"{FILE_NAME}, event {key!r}, field {'.'.join(map(str, problem['loc']))}: "
                              f"{problem['msg']}") from error
    return items


def save_triage(workspace: Path | str, event: str, status: str, comment: str) -> dict[str, Triage]:
    """Set one event's status and comment (re-reading the file first, so other events are kept)."""
    workspace = Path(workspace)
    items = load_triage(workspace)
    items[event] = Triage(status=status, comment=comment.strip(),
                          updated=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    workspace.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump({k: v.model_dump() for k, v in sorted(items.items())}, sort_keys=False, allow_unicode=True)
    fd, tmp = tempfile.mkstemp(dir=workspace, prefix=FILE_NAME, suffix=".tmp")
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(tmp, workspace / FILE_NAME)
    return items
