"""The audit trail: `audit.jsonl` in the workspace folder, one JSON object a line, only ever appended to.

Each entry says when (`at`, UTC), who (`who`), what (`action`: save, restore, remove, load, replace, sync,
triage, access change, sign-in refused, refused, alert) on which file or source (`target`), the versions
`before` and `after` (tokens or ids), whether it succeeded (`ok`) and plain words (`detail`) from which
anything that looks like a credential or token is removed.

Who is acting is set once where a request enters (the app's door, a command): `with as_user(email):`;
every save made inside records it. Workspace files record their saves themselves (see
`analysis.store.workspace`); code that does not know the workspace (the cache) records to the folder set
by `with audit_to(folder):`, and records nothing outside such a block.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.store.files import fsync

AUDIT_FILE = "audit.jsonl"
OPERATOR = "operator"
ACTIONS = ("save", "restore", "remove", "load", "replace", "sync", "triage", "access change", "sign-in refused",
           "refused", "alert")
COLUMNS = ("at", "who", "action", "target", "before", "after", "ok", "detail")
MAX_DETAIL = 1000

acting_as: ContextVar[str] = ContextVar("acting_as", default=OPERATOR)
_audit_folder: ContextVar[Path | None] = ContextVar("audit_folder", default=None)
_recording: ContextVar[bool] = ContextVar("audit_recording", default=False)

# A bearer token, `name=value` / `name: value` where the name mentions a secret, a JWT, an AWS access key id,
# credentials in a URL: replaced by [redacted].
_SECRETS = (
    (re.compile(r"(?i)\bbearer\s+[\w.~+/=-]+"), "Bearer [redacted]"),
    (re.compile(r"(?i)\b([\w.-]*(?:secret|token|passw(?:or)?d|pwd|credential|api[_-]?key|access[_-]?key|"
                r"private[_-]?key|account[_-]?key|signature|cookie|authorization)[\w.-]*|sig|sas|auth)"
                r"([\"']?\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|[^\s,;&]+)"), r"\1\2[redacted]"),
    (re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]*"), "[redacted]"),
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), "[redacted]"),
    (re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://)[^/\s@]+@"), r"\1[redacted]@"),
)


class AuditError(RuntimeError):
    """The audit trail could not be written."""


@contextmanager
def as_user(who: str) -> Iterator[None]:
    """Everything recorded inside the block is recorded as done by `who` (an email, or "operator")."""
    reset = acting_as.set(who)
    try:
        yield
    finally:
        acting_as.reset(reset)


@contextmanager
def audit_to(folder: Path | str) -> Iterator[None]:
    """`record` calls inside the block append to `folder`'s audit trail (the workspace folder)."""
    reset = _audit_folder.set(Path(folder))
    try:
        yield
    finally:
        _audit_folder.reset(reset)


def redact(text: str) -> str:
    """`text` without anything that looks like a credential or a token."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


def record(action: str, target: str, ok: bool = True, before: str | None = None, after: str | None = None,
           detail: str = "", folder: Path | str | None = None) -> bool:
    """Append one entry, done by whoever `as_user` names, to `folder`'s audit trail (default: the folder of
    the enclosing `audit_to`). Returns False, recording nothing, when there is no folder to record to."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r} (one of {', '.join(ACTIONS)})")
    where = Path(folder) if folder is not None else _audit_folder.get()
    if where is None:
        return False
    detail = redact(" ".join(str(detail).split()))
    entry = {"at": dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"), "who": acting_as.get(),
             "action": action, "target": target, "before": before, "after": after, "ok": ok,
             "detail": detail if len(detail) <= MAX_DETAIL else detail[:MAX_DETAIL - 1] + "…"}
    _append(where / AUDIT_FILE, (json.dumps(entry, ensure_ascii=False) + "\n").encode())
    return True


@dataclass
class Change:
    """The versions (and plain words) of the change being recorded; the audited code sets what it learns."""

    before: str | None = None
    after: str | None = None
    detail: str = ""


@contextmanager
def audited(action: str, target: str, folder: Path | None = None, before: str | None = None) -> Iterator[Change]:
    """Record the block as one `action` on `target` in `folder`'s trail (default: as `record`): ok with what
    the block set on the yielded Change, or not ok with the error's message (the error is raised again). An
    audited block inside another is part of the outer one and records nothing itself (a restore is one
    restore, not also a save)."""
    change = Change(before)
    if _recording.get():
        yield change
        return
    reset = _recording.set(True)
    try:
        yield change
    except Exception as error:
        try:
            record(action, target, False, change.before, None, str(error), folder)
        except AuditError as failed:
            error.add_note(str(failed))
        raise
    finally:
        _recording.reset(reset)
    try:
        record(action, target, True, change.before, change.after, change.detail, folder)
    except AuditError as error:
        raise AuditError(f"{target}: the {action} was made, but {error}") from error


def read_audit(folder: Path | str, who: str | None = None, action: str | None = None,
               since: dt.datetime | dt.date | None = None) -> pd.DataFrame:
    """The audit trail of a workspace folder, newest first, one row an entry (`COLUMNS`; `at` in UTC),
    optionally only entries by `who` (case-insensitive), of `action`, at or after `since` (a date is its
    midnight UTC, a naive time is UTC). Lines that cannot be read (a write cut off by a crash) are left
    out and counted in `attrs["unreadable"]`."""
    path = Path(folder) / AUDIT_FILE
    rows, unreadable = [], 0
    for line in path.read_text(encoding="utf-8").splitlines() if path.exists() else []:
        try:
            entry = json.loads(line)
            rows.append({column: entry[column] for column in COLUMNS})
        except (ValueError, KeyError, TypeError):
            unreadable += 1
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    table["at"] = pd.to_datetime(table["at"], utc=True, format="ISO8601")
    table["ok"] = table["ok"].astype(bool)
    if who is not None:
        table = table[table["who"].str.casefold() == who.casefold()]
    if action is not None:
        table = table[table["action"] == action]
    if since is not None:
        start = pd.Timestamp(since)
        table = table[table["at"] >= (start.tz_localize("UTC") if start.tzinfo is None else start)]
    table = table.iloc[::-1].reset_index(drop=True)
    table.attrs["unreadable"] = unreadable
    return table


def _append(path: Path, line: bytes) -> None:
    """Append one whole line: O_APPEND, an exclusive lock so concurrent writers never interleave, fsync."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        created = not path.exists()
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            view = memoryview(line)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)  # closing releases the lock
        if created:
            fsync(path.parent)
    except OSError as error:
        raise AuditError(f"the audit trail {path} could not be written ({error.strerror or error})") from error
