"""Validated files into the cache: FOCUS files (paths or uploaded bytes) loaded as one transaction."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from analysis.focus.limits import DEFAULT_LIMITS, LoadLimits
from analysis.focus.loader import LoadedFile, load_focus_paths
from analysis.store.cache import Delivery, FocusCache, LoadResult, file_sha256


def deliveries(loaded: list[LoadedFile], label: str = "", delivery: str = "") -> list[Delivery]:
    """Validated files as deliveries for `FocusCache.load`: name, frames, content hash, findings.

    `label` goes before each file's name (`aws-focus · billing period 2025-03 · part-1.csv.gz`). `delivery`
    names the delivery the files came in (a manifest's execution id), so that a re-delivery holding the same
    bytes is still a new delivery rather than content already loaded.
    """
    def content(path: Path) -> str:
        digest = file_sha256(path)
        return hashlib.sha256(f"{digest}:{delivery}".encode()).hexdigest() if delivery else digest

    return [Delivery(f"{label} · {item.path.name}" if label else item.path.name, item.frames(), content(item.path),
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
