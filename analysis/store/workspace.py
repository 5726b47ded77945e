"""One store for every workspace file (rules, tag policy, triage, and the settings to come).

Each save takes the file's lock and compares the token (a hash) of the text it started from with
the file's current one: of two concurrent saves one wins, the other is refused with a message that
says what changed (`WorkspaceConflict`). Writes are atomic (temporary file, fsync, rename, fsync of
the folder), so a failed or killed save leaves the previous file whole. Only after a successful save
is the new version added to the bounded history (`.history/`, the last `KEEP` versions per file).
Files are written readable by the group and others as the umask allows, like any project file.
Every save, update, restore and remove, refused or not, is appended to the audit trail
(`analysis.store.audit`) of the workspace, as done by whoever `as_user` names.
"""

from __future__ import annotations

import datetime as dt
import difflib
import errno
import hashlib
import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from analysis.store.audit import audited
from analysis.store.files import atomic_write, file_lock

SHIPPED_WORKSPACE = Path(__file__).resolve().parents[2] / "data" / "workspace"  # the repository's defaults


def workspace_folder() -> Path:
    """The user's workspace folder: `FINOPS_WORKSPACE`, else the shipped data/workspace."""
    return Path(os.environ.get("FINOPS_WORKSPACE", SHIPPED_WORKSPACE))

HISTORY = ".history"
KEEP = 100
_STAMP = "%Y%m%dT%H%M%S%fZ"


class WorkspaceConflict(RuntimeError):
    """The file changed since it was read; nothing was written. The message says what changed."""


class WorkspaceWriteError(RuntimeError):
    """The file could not be written (disk full, no permission); the previous version is kept."""


@dataclass(frozen=True)
class Version:
    """One saved version of a workspace file, as kept in the history."""

    name: str
    saved: dt.datetime
    path: Path
    token: str


def token(text: str) -> str:
    """A short hash naming a version of a text."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class WorkspaceFile:
    """A text file in the workspace folder with a lock, compare-and-swap saves and a bounded history.

    Its changes are recorded in the audit trail of `audit_folder` (default: the file's folder), a save
    or an update under `action`. Subclasses check a text before it is saved by overriding `validate`.
    """

    def __init__(self, workspace: Path | str, name: str, keep: int = KEEP, *, action: str = "save",
                 audit_folder: Path | str | None = None):
        self.workspace = Path(workspace)
        self.path = self.workspace / name
        self.keep = keep
        self.action = action
        self.audit_folder = Path(audit_folder) if audit_folder is not None else self.workspace

    @property
    def target(self) -> str:
        """The file as the audit trail names it: its path in the audit folder."""
        return self.path.relative_to(self.audit_folder).as_posix() if self.path.is_relative_to(
            self.audit_folder) else self.path.name

    @property
    def history(self) -> Path:
        return self.workspace / HISTORY

    def read(self) -> tuple[str, str]:
        """The current text and its token ('' and the empty text's token when there is no file)."""
        text = self.path.read_text(encoding="utf-8") if self.path.exists() else ""
        return text, token(text)

    def validate(self, text: str) -> None:
        """Raise an error naming the item and field when `text` may not be saved; any text by default."""

    def save(self, text: str, expected: str) -> str:
        """Write `text` if it is valid and the file still has token `expected`; returns the new token.

        Raises what `validate` raises and WorkspaceConflict (nothing written) when someone saved
        meanwhile, and WorkspaceWriteError (previous file kept) when the disk refuses the write.
        """
        with audited(self.action, self.target, self.audit_folder, expected) as change:
            self.validate(text)
            with self._locked():
                current, current_token = self.read()
                if current_token != expected:
                    raise WorkspaceConflict(self._what_changed(expected, current))
                self._write(current, text)
            change.after = saved = token(text)
        return saved

    def update(self, change: Callable[[str], str]) -> str:
        """Read, change and write under the lock, so that `change` always sees the latest text."""
        with audited(self.action, self.target, self.audit_folder) as versions, self._locked():
            current, versions.before = self.read()
            text = change(current)
            self.validate(text)
            self._write(current, text)
            versions.after = saved = token(text)
        return saved

    def remove(self, expected: str) -> None:
        """Delete the file if it still has token `expected` (WorkspaceConflict otherwise); its last
        version stays in the history, so it can be restored."""
        with audited("remove", self.target, self.audit_folder, expected), self._locked():
            current, current_token = self.read()
            if current_token != expected:
                raise WorkspaceConflict(self._what_changed(expected, current))
            if current and current_token not in {v.token for v in self.versions()}:
                self._add_version(current, dt.datetime.now(dt.UTC))
            self.path.unlink(missing_ok=True)

    def versions(self) -> list[Version]:
        """Saved versions, newest first."""
        found = []
        for path in self.history.glob(f"{self.path.stem}-*{self.path.suffix}"):
            parts = path.stem[len(self.path.stem) + 1:].split("-")
            try:
                saved = dt.datetime.strptime(parts[0], _STAMP).replace(tzinfo=dt.UTC)
            except ValueError:
                continue
            found.append(Version(path.name, saved, path, parts[1] if len(parts) > 1 else ""))
        return sorted(found, key=lambda v: v.saved, reverse=True)

    def restore(self, version: str, expected: str) -> str:
        """Make a saved version current again (a save like any other, validated, recorded as a restore)."""
        with audited("restore", self.target, self.audit_folder, expected) as change:
            change.after = saved = self.save((self.history / Path(version).name).read_text(encoding="utf-8"),
                                             expected)
        return saved

    # ----- inside the lock ----------------------------------------------------------------
    def _write(self, current: str, text: str) -> None:
        try:
            atomic_write(self.path, text)
        except OSError as error:
            raise WorkspaceWriteError(f"{self.path.name} could not be saved ({_reason(error)}); "
                                      "the previous version is kept.") from error
        try:
            known = {v.token for v in self.versions()}
            if current and token(current) not in known:  # a file written by hand: keep it too
                self._add_version(current, dt.datetime.now(dt.UTC) - dt.timedelta(microseconds=1))
            self._add_version(text, dt.datetime.now(dt.UTC))
            for old in self.versions()[self.keep:]:
                old.path.unlink(missing_ok=True)
        except OSError as error:
            raise WorkspaceWriteError(f"{self.path.name} was saved, but its copy in the history could not be "
                                      f"written ({_reason(error)}).") from error

    def _add_version(self, text: str, saved: dt.datetime) -> None:
        atomic_write(self.history / f"{self.path.stem}-{saved:{_STAMP}}-{token(text)}{self.path.suffix}", text)

    def _what_changed(self, expected: str, current: str) -> str:
        """Plain words on the change someone else saved since the version with token `expected`."""
        base = "" if expected == token("") else next(
            (v.path.read_text(encoding="utf-8") for v in self.versions() if v.token == expected), None)
        when = (f" at {dt.datetime.fromtimestamp(self.path.stat().st_mtime, dt.UTC):%Y-%m-%d %H:%M:%S} UTC"
                if self.path.exists() else "")
        message = f"{self.path.name} was changed by someone else{when} since you opened it; your edit was not saved."
        if base is not None:
            diff = [line for line in difflib.unified_diff(base.splitlines(), current.splitlines(), lineterm="", n=0)
                    if line[:1] in "+-" and not line.startswith(("+++", "---"))]
            added, removed = sum(1 for d in diff if d[0] == "+"), sum(1 for d in diff if d[0] == "-")
            shown = "; ".join(d[:80] for d in diff[:3]) + (" …" if len(diff) > 3 else "")
            message += f" Their change: {added} line(s) added, {removed} removed ({shown})."
        elif not current:
            message += " The file was removed."
        return message + " Reload to see their version, then apply your change again."

    def _locked(self) -> AbstractContextManager[None]:
        return file_lock(self.workspace / f".{self.path.name}.lock")


def _reason(error: OSError) -> str:
    if error.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return "the disk is full"
    return error.strerror or str(error)


def yaml_syntax_error(error: Exception, source: str) -> str:
    """`<file>: YAML syntax error at line L, column C: <problem>` for a workspace file PyYAML refused."""
    mark = getattr(error, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    return f"{source}: YAML syntax error{where}: {getattr(error, 'problem', error)}"
