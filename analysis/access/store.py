"""The access file on disk: validated, then saved through the workspace store (lock, compare-and-swap,
history), each change recorded in the audit trail as an access change."""

from __future__ import annotations

import functools
from pathlib import Path

from analysis.access.model import FILE_NAME, AccessError, AccessFile, parse_access
from analysis.store.workspace import WorkspaceFile


@functools.lru_cache(maxsize=8)
def _parsed(text: str, source: str) -> AccessFile | None:
    """The access file of a text, parsed once: the app asks for it on every query a page makes."""
    return parse_access(text, source)


class AccessStore(WorkspaceFile):
    """`access.yaml` in a workspace folder; its saved versions in `.history/`."""

    def __init__(self, workspace: Path | str, name: str = FILE_NAME):
        super().__init__(workspace, name, action="access change")

    def access(self) -> tuple[AccessFile | None, str]:
        """The access file (None when empty or missing: no access control configured) and its token."""
        try:
            text, token = self.read()
        except (OSError, UnicodeDecodeError) as error:
            raise AccessError(f"{self.path.name} cannot be read ({error})") from error
        return _parsed(text, self.path.name), token

    def validate(self, text: str) -> None:
        """AccessError (nothing written) when the text is not a valid access file, or leaves no admin."""
        if parse_access(text, self.path.name) is None:
            raise AccessError(f"{self.path.name}: an empty access file would turn access control off; "
                              "keep at least one admin grant")
