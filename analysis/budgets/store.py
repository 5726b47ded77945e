"""The budget file on disk: validated, then saved through the workspace store (compare-and-swap, history)."""

from __future__ import annotations

from pathlib import Path

from analysis.budgets.model import FILE_NAME, Budget, BudgetError, dump_budgets, parse_budgets
from analysis.store.workspace import WorkspaceFile


class BudgetStore(WorkspaceFile):
    """`budgets.yaml` in a workspace folder; its saved versions in `.history/`."""

    def __init__(self, workspace: Path | str, name: str = FILE_NAME):
        super().__init__(workspace, name)

    def budgets(self) -> tuple[list[Budget], str]:
        """The saved budgets and the token of the text they came from."""
        try:
            text, token = self.read()
        except (OSError, UnicodeDecodeError) as error:
            raise BudgetError(f"{self.path.name} cannot be read ({error})") from error
        return parse_budgets(text, self.path.name), token

    def validate(self, text: str) -> None:
        """BudgetError (nothing written) when the text is not a valid budget file."""
        parse_budgets(text, self.path.name)

    def save_budgets(self, budgets: list[Budget], expected: str) -> str:
        """Save a list of budgets (names must stay unique) if nobody saved since `expected`."""
        return self.save(dump_budgets(budgets), expected)


def replaced(budgets: list[Budget], budget: Budget, old_name: str | None = None) -> list[Budget]:
    """`budgets` with `budget` in place of the one named `old_name` (added at the end when None);
    BudgetError when another budget already has its name."""
    clash = [b for b in budgets if b.name.casefold() == budget.name.casefold()
             and (old_name is None or b.name.casefold() != old_name.casefold())]
    if clash:
        raise BudgetError(f"budget {budget.name!r}, field name: another budget has this name; names must be unique")
    if old_name is None:
        return [*budgets, budget]
    return [budget if b.name.casefold() == old_name.casefold() else b for b in budgets]


def without(budgets: list[Budget], name: str) -> list[Budget]:
    """`budgets` without the one named `name`."""
    return [b for b in budgets if b.name.casefold() != name.casefold()]
