"""Triage of anomaly events: a status and a comment per event, kept in data/workspace/anomaly_triage.yaml.

An event seen under one monitor (total, service, provider...) is usually the same event under the others:
each triage keeps the event's days and what is known of its scope (the monitor's group and the root
cause's top contributor), so that the same days under another monitor show the triage too."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Literal, NamedTuple

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from analysis.store.workspace import WorkspaceConflict, WorkspaceFile

FILE_NAME = "anomaly_triage.yaml"
STATUSES = ("new", "investigating", "expected", "resolved")


class TriageError(ValueError):
    """The triage file could not be read; the message names the file and the event."""


class Triage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["new", "investigating", "expected", "resolved"] = "new"
    comment: str = ""
    updated: str = ""
    start: str = ""  # the event's first and last day, ISO
    end: str = ""
    scope: dict[str, str] = {}  # dimension -> value known for the event: its group, its top contributor


class Found(NamedTuple):
    """The triage that applies to an event: its own, or one made under another monitor (`via` names it)."""
    triage: Triage
    via: str | None


def event_id(level: str, group: str, start: dt.date, view: str = "") -> str:
    """A stable key for an event: level, group and first day, and the `view_key` of a restricted view (the same
    day's total spend of one team is another event than the whole bill's)."""
    return f"{level}|{group}|{start:%Y-%m-%d}" + (f"|{view}" if view else "")


def view_key(restriction: object) -> str:
    """A short name of a user's restriction for event ids ('' for the whole bill)."""
    if restriction is None:
        return ""
    return "view-" + hashlib.sha256(repr(restriction).encode()).hexdigest()[:10]


def _view_of(key: str) -> str:
    last = key.rsplit("|", 1)[-1]
    return last if last.startswith("view-") else ""


def load_triage(workspace: Path | str) -> dict[str, Triage]:
    """Saved triage per event id (empty when nothing is saved)."""
    return _parse(WorkspaceFile(workspace, FILE_NAME).read()[0])


def find_triage(items: dict[str, Triage], event: str, scope: dict[str, str], start: dt.date,
                end: dt.date) -> Found | None:
    """The event's own triage, else the latest one made under another monitor on overlapping days whose
    known scope includes this event's (`{}` for the total, `{"ServiceName": "EC2"}` for a service...), in the
    same view (a team's triage is never shown to the whole bill's view, nor the other way round)."""
    if event in items:
        return Found(items[event], None)
    first, last = f"{start:%Y-%m-%d}", f"{end:%Y-%m-%d}"
    matches = [(saved.updated, key) for key, saved in items.items()
               if _view_of(key) == _view_of(event)
               and saved.start and saved.start <= last and saved.end >= first
               and all(saved.scope.get(dim) == value for dim, value in scope.items())]
    if not matches:
        return None
    key = max(matches)[1]
    return Found(items[key], key)


def save_triage(workspace: Path | str, event: str, status: str, comment: str,
                expected: str | None = None, days: tuple[dt.date, dt.date] | None = None,
                scope: dict[str, str] | None = None) -> dict[str, Triage]:
    """Set one event's status and comment; other events, saved by anyone meanwhile, are kept.

    `expected` is the event's `updated` stamp as the user saw it ('' for never triaged): if someone
    triaged the same event since, WorkspaceConflict is raised and nothing is written. `days` (first and
    last) and `scope` let the same event under other monitors find this triage.
    """
    saved: dict[str, Triage] = {}

    def change(text: str) -> str:
        items = _parse(text)
        before = items.get(event)
        if expected is not None and (before.updated if before else "") != expected:
            now = f"now {before.status!r}, updated {before.updated} UTC" if before else "now cleared"
            raise WorkspaceConflict(f"Event {event!r} was triaged by someone else since you opened it ({now}); "
                                    "your change was not saved. Reload to see it.")
        span = {"start": f"{days[0]:%Y-%m-%d}", "end": f"{days[1]:%Y-%m-%d}"} if days else {}
        items[event] = Triage(status=status, comment=comment.strip(), scope=dict(scope or {}), **span,
                              updated=dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"))
        saved.update(items)
        return yaml.safe_dump({k: v.model_dump() for k, v in sorted(items.items())}, sort_keys=False,
                              allow_unicode=True)

    WorkspaceFile(workspace, FILE_NAME, action="triage").update(change)
    return saved


def _parse(text: str) -> dict[str, Triage]:
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        raise TriageError(f"{FILE_NAME}: not valid YAML ({error})") from error
    if not isinstance(raw, dict):
        raise TriageError(f"{FILE_NAME}: expected one entry per event, found {type(raw).__name__}")
    items = {}
    for key, value in raw.items():
        try:
            items[str(key)] = Triage.model_validate(value)
        except ValidationError as error:
            problem = error.errors()[0]
            raise TriageError(f"{FILE_NAME}, event {key!r}, field {'.'.join(map(str, problem['loc']))}: "
                              f"{problem['msg']}") from error
    return items
