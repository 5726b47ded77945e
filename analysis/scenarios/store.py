"""Scenario files: one YAML file per scenario in `scenarios/` of the workspace, each saved through the
workspace store (lock, compare-and-swap, history)."""

from __future__ import annotations

import re
from pathlib import Path

from analysis.scenarios.model import Scenario, ScenarioError, dump_scenario, parse_scenario
from analysis.store.audit import record
from analysis.store.workspace import WorkspaceConflict, WorkspaceFile, token

FOLDER = "scenarios"


def file_name(name: str) -> str:
    """The file a scenario is kept in: `Compute +30%` -> `compute-30.yaml`."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")
    return f"{slug or 'scenario'}.yaml"


class ScenarioStore:
    """The scenario files of a workspace."""

    def __init__(self, workspace: Path | str):
        self.folder = Path(workspace) / FOLDER

    def file(self, name: str) -> WorkspaceFile:
        """The workspace file of the scenario named `name` (audited in the workspace's trail)."""
        return WorkspaceFile(self.folder, file_name(name), audit_folder=self.folder.parent)

    def scenarios(self) -> tuple[list[tuple[Scenario, str]], list[str]]:
        """Every readable scenario with its file's token, by name; and a message for each unreadable file."""
        found, problems = [], []
        for path in sorted(self.folder.glob("*.yaml")) if self.folder.exists() else []:
            try:
                text, token = WorkspaceFile(self.folder, path.name).read()
            except UnicodeDecodeError:
                problems.append(f"scenarios/{path.name}: cannot be read as UTF-8 text")
                continue
            except OSError as error:
                problems.append(f"scenarios/{path.name}: cannot be read ({error.strerror or error})")
                continue
            try:
                found.append((parse_scenario(text, f"scenarios/{path.name}"), token))
            except ScenarioError as error:
                problems.append(str(error))
        return sorted(found, key=lambda item: item[0].name.casefold()), problems

    def save(self, scenario: Scenario, expected: str, replacing: str | None = None) -> str:
        """Save a new scenario (`replacing` None), or the one named `replacing` if its file still has token
        `expected` (WorkspaceConflict otherwise: nothing written). A rename moves it to its new file.
        ScenarioError when another scenario already has the file the name maps to."""
        target = self.file(scenario.name)
        renamed = replacing is not None and file_name(replacing) != target.path.name
        if (replacing is None or renamed) and target.read()[0]:
            error: Exception = ScenarioError(f"scenario {scenario.name!r}, field name: another scenario is saved "
                                             f"as scenarios/{target.path.name}; choose another name")
            record("save", target.target, False, expected, detail=str(error), folder=self.folder.parent)
            raise error
        if replacing is None:
            return target.save(dump_scenario(scenario), token(""))
        if not renamed:
            return target.save(dump_scenario(scenario), expected)
        old = self.file(replacing)
        if old.read()[1] != expected:
            error = WorkspaceConflict(f"scenarios/{old.path.name} was changed by someone else since you opened it; "
                                      "your edit was not saved. Reload to see their version.")
            record("save", old.target, False, expected, detail=str(error), folder=self.folder.parent)
            raise error
        saved = target.save(dump_scenario(scenario), token(""))
        old.remove(expected)
        return saved

    def remove(self, name: str, expected: str) -> None:
        """Delete a scenario's file (its last version stays in the history)."""
        self.file(name).remove(expected)
