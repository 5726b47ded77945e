"""The rule file on disk: atomic saves, earlier versions kept, and no silent overwrite.

Every read returns a token (a hash of the text). A save names the token it started from; if the
file changed meanwhile (another session saved), the save is refused with `RulesConflict`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from analysis.allocation.rules import RuleSet, parse_rules

FILE_NAME = "allocation.yaml"
HISTORY = ".history"


class RulesConflict(RuntimeError):
    """The file changed since it was read; nothing was written."""


@dataclass(frozen=True)
class Version:
    name: str
    saved: dt.datetime
    path: Path


def token(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class RuleStore:
    """`allocation.yaml` in a workspace folder, with its history in `.history/`."""

    def __init__(self, workspace: Path | str, name: str = FILE_NAME):
        self.workspace = Path(workspace)
        self.path = self.workspace / name

    def read(self) -> tuple[str, str]:
        """The current text and its token ('' and the empty token when there is no file)."""
        text = self.path.read_text() if self.path.exists() else ""
        return text, token(text)

    def save(self, text: str, expected: str) -> RuleSet:
        """Validate, then write atomically; the previous text goes to the history first."""
        rules = parse_rules(text, self.path.name)  # raises RulesError; nothing written
        current, current_token = self.read()
        if current_token != expected:
            raise RulesConflict(
                f"{self.path.name} was changed by someone else since you opened it; your edit was not saved. "
                "Reload to see their version (your text stays in the editor), then apply your change again."
            )
        if current:
            history = self.workspace / HISTORY
            history.mkdir(parents=True, exist_ok=True)
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
            (history / f"{self.path.stem}-{stamp}.yaml").write_text(current)
        self.workspace.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.workspace, prefix=self.path.name, suffix=".tmp")
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(tmp, self.path)
        return rules

    def versions(self) -> list[Version]:
        """Earlier versions, newest first."""
        found = []
        for path in (self.workspace / HISTORY).glob(f"{self.path.stem}-*.yaml"):
            stamp = path.stem.rsplit("-", 1)[1]
            found.append(Version(path.name, dt.datetime.strptime(stamp, "%Y%m%dT%H%M%S%fZ").replace(tzinfo=dt.UTC), path))
        return sorted(found, key=lambda v: v.saved, reverse=True)

    def restore(self, version: str, expected: str) -> RuleSet:
        """Make an earlier version current (the present one is kept in the history too)."""
        return self.save((self.workspace / HISTORY / version).read_text(), expected)
