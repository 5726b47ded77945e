"""Validated files into the cache: FOCUS files (paths or uploaded bytes) loaded as one transaction."""

from __future__ import annotations

import tempfile
from pathlib import Path

from analysis.focus.limits import DEFAULT_LIMITS, LoadLimits
from analysis.focus.loader import LoadedFile, load_focus_paths
from analysis.store.cache import Delivery, FocusCache, LoadResult, file_sha256


def deliveries(loaded: list[LoadedFile]) -> list[Delivery]:
    """Validated files as deliveries for `FocusCache.load`: name, frame, content hash, findings."""
    return [Delivery(item.path.name, item.frames(), file_sha256(item.path),
                     tuple(f"{f.severity}: {f}" for f in item.findings)) for item in loaded]


def load_uploads(cache: FocusCache, uploads: list[tuple[str, bytes]], *, keep_both: bool = False,
                 limits: LoadLimits = DEFAULT_LIMITS) -> LoadResult:
    """Validate uploaded files (name, content) whole and load them as one transaction.

    Raises FocusLoadError (a file rejected) or CacheError (refused or not written); then nothing changed.
    """
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for number, (name, content) in enumerate(uploads):
            path = Path(folder) / str(number) / Path(name).name  # two uploads may share a name
            path.parent.mkdir()
            path.write_bytes(content)
            paths.append(path)
        return cache.load(deliveries(load_focus_paths(paths, limits=limits)), kind="upload", keep_both=keep_both,
                          limits=limits)
