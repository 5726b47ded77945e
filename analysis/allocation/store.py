"""The rule file on disk: validated, then saved through the workspace store (compare-and-swap, history).

Every read returns a token (a hash of the text). A save names the token it started from; if the
file changed meanwhile (another session saved), the save is refused with `WorkspaceConflict`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from analysis.allocation.rules import RuleSet, parse_rules
from analysis.allocation.split import load_metric_table
from analysis.store.files import atomic_write
from analysis.store.workspace import SHIPPED_WORKSPACE, Version, WorkspaceFile

FILE_NAME = "allocation.yaml"


class _RuleFile(WorkspaceFile):
    """The rule file, refused (RulesError) unless valid."""

    def validate(self, text: str) -> None:
        parse_rules(text, self.path.name)


class RuleStore:
    """`allocation.yaml` in a workspace folder; its saved versions in `.history/`."""

    def __init__(self, workspace: Path | str, name: str = FILE_NAME):
        self.file = _RuleFile(workspace, name)
        self.workspace, self.path = self.file.workspace, self.file.path

    def read(self) -> tuple[str, str]:
        """The current text and its token ('' and the empty token when there is no file)."""
        return self.file.read()

    def save(self, text: str, expected: str) -> RuleSet:
        """Validate (RulesError: nothing written), then save if nobody saved since `expected`."""
        self.file.save(text, expected)
        return parse_rules(text, self.path.name)

    def versions(self) -> list[Version]:
        """Saved versions, newest first."""
        return self.file.versions()

    def restore(self, version: str, expected: str) -> RuleSet:
        """Make a saved version current again."""
        self.file.restore(version, expected)
        return parse_rules((self.file.history / Path(version).name).read_text(encoding="utf-8"), self.path.name)


def save_metric_table(workspace: Path | str, name: str, data: bytes) -> pd.DataFrame:
    """Check a metric table (CSV of month, owner, value) and save it in the workspace as `name`; returns it.

    Raises RulesError naming the file, column and rows, and then writes nothing.
    """
    target = Path(workspace) / Path(name).name
    with tempfile.TemporaryDirectory() as folder:
        candidate = Path(folder) / target.name
        candidate.write_bytes(data)
        table = load_metric_table(candidate)
    atomic_write(target, data)  # readers see the old table or the new one, never half
    return table


def metric_table_names(workspace: Path | str) -> list[str]:
    """The metric tables saved in the workspace."""
    folder = Path(workspace)
    return sorted(p.name for p in folder.glob("*.csv")) if folder.exists() else []


def rules_in_use(workspace: Path | str) -> str:
    """The workspace's saved allocation rules, or the shipped sample rules when none are saved yet."""
    return RuleStore(workspace).read()[0] or (SHIPPED_WORKSPACE / FILE_NAME).read_text()
