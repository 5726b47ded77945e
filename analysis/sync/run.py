"""Bring configured sources up to date: read only the units (billing periods, or hand-copied files) whose
delivery changed since the last sync, and commit each as one cache transaction in which a newer delivery of a
billing period replaces the older one (same provider, billing account and period), never adds to it.

What was read is recorded per source and unit in `sync.json` beside the cache's manifest, written only after
the unit's commit, so a failed or killed sync reads that unit again next time. A source that fails (no
credentials, no bucket, access denied, a broken manifest, a dropped connection, a rejected file) is reported
by name with what failed; nothing of the failing unit is committed, and the other sources still sync.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from analysis.focus.loader import FocusLoadError, load_focus_paths
from analysis.store.cache import CacheError, FocusCache
from analysis.store.files import atomic_write, file_lock
from analysis.store.load import deliveries
from analysis.sync.deliveries import Plan, Unit, plan
from analysis.sync.locations import Location, LocationError, is_remote, open_location
from analysis.sync.sources import SyncSource

STATE_FILE = "sync.json"
Progress = Callable[[str, float], None]  # (what is happening, share done 0..1)


@dataclass
class SourceResult:
    """What one source's sync did."""

    name: str
    how: str = ""
    read: list[str] = field(default_factory=list)  # units read and committed
    unchanged: int = 0
    rows: int = 0
    replaced: list[str] = field(default_factory=list)
    error: str | None = None

    def __str__(self) -> str:
        if self.error:
            done = f" ({len(self.read)} unit(s) committed before it)" if self.read else ""
            return f"{self.name}: FAILED: {self.error}{done}"
        if not self.read:
            return f"{self.name}: up to date ({self.unchanged} unit(s) unchanged, {self.how})"
        return (f"{self.name}: read {', '.join(self.read)} ({self.rows:,} rows, {self.how}); "
                f"{self.unchanged} unit(s) unchanged")


@dataclass
class SyncReport:
    """Every source's result."""

    results: list[SourceResult]

    @property
    def ok(self) -> bool:
        return all(r.error is None for r in self.results)

    def summary(self) -> dict:
        """The JSON line the command prints last."""
        return {"sources": len(self.results), "failed": [r.name for r in self.results if r.error],
                "read": {r.name: r.read for r in self.results if r.read},
                "rows": sum(r.rows for r in self.results)}


def sync_state(cache: FocusCache) -> dict:
    """What the last syncs recorded, per source name (empty before the first)."""
    path = cache.root / STATE_FILE
    try:
        return json.loads(path.read_text()) if path.exists() else {}
    except (OSError, ValueError):
        return {}


def sync(cache: FocusCache, sources: Iterable[SyncSource], *, progress: Progress | None = None) -> SyncReport:
    """Sync every enabled source in turn (one sync at a time per cache)."""
    sources = [s for s in sources if s.enabled]
    results = []
    cache.root.mkdir(parents=True, exist_ok=True)
    with file_lock(cache.root / ".sync.lock"):
        state = sync_state(cache)
        for number, source in enumerate(sources):
            def step(what: str, share: float, number: int = number, source: SyncSource = source) -> None:
                if progress:
                    progress(f"{source.name}: {what}", (number + share) / max(len(sources), 1))

            results.append(_sync_source(cache, source, state, step))
            if progress:
                progress(str(results[-1]), (number + 1) / len(sources))
    return SyncReport(results)


def _sync_source(cache: FocusCache, source: SyncSource, state: dict, step: Progress) -> SourceResult:
    result = SourceResult(source.name)
    record = state.setdefault(source.name, {"units": {}})
    record["location"] = source.location
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    try:
        step("listing", 0.0)
        location = open_location(source.location)
        current = _plan(location, source)
        result.how = current.how
        changed = [u for u in current.units if record["units"].get(u.id, {}).get("fingerprint") != u.fingerprint]
        result.unchanged = len(current.units) - len(changed)
        for i, unit in enumerate(changed):
            step(f"reading {unit.label} ({len(unit.files)} file(s))", (i + 0.5) / max(len(changed), 1))
            rows, replaced = _read_unit(cache, location, source, unit)
            record["units"][unit.id] = {"fingerprint": unit.fingerprint, "rows": rows, "synced": now,
                                        "files": [f.key for f in unit.files], "manifest": unit.manifest}
            result.read.append(unit.id)
            result.rows += rows
            result.replaced += replaced
            _save(cache, state)
        record["last_error"] = None
    except (LocationError, FocusLoadError, CacheError, OSError) as error:
        text = str(error).strip() or type(error).__name__
        result.error = text if not isinstance(error, FocusLoadError) else f"a file was rejected: {text}"
        record["last_error"] = {"at": now, "message": result.error}
    record["last_sync"] = now
    record["how"] = result.how
    _save(cache, state)
    return result


def _plan(location: Location, source: SyncSource) -> Plan:
    found = plan(location, listing_only=source.kind == "files")
    if source.kind in ("aws-data-exports", "aws-cur") and found.how == "file listing":
        raise LocationError(f"{location.url}: no manifest found (an AWS export always delivers one; for files "
                            "copied by hand set kind: files)")
    return found


def _read_unit(cache: FocusCache, location: Location, source: SyncSource, unit: Unit) -> tuple[int, list[str]]:
    """Download one unit's files, validate them whole and commit them as one transaction."""
    with tempfile.TemporaryDirectory(prefix="finops-sync-") as folder:
        paths = download(location, unit.files, Path(folder))
        loaded = load_focus_paths(paths)
        batch = deliveries(loaded, f"{source.name} · {unit.label}", unit.fingerprint)
        result = cache.load(batch, kind="sync")
    return result.summary["rows"], [str(r) for r in result.replaced]


def download(location: Location, files: Iterable, folder: Path) -> list[Path]:
    """Copy files to `folder` (each in its own subfolder, so equal names never collide)."""
    paths = []
    for number, remote in enumerate(files):
        target = folder / f"{number:05d}" / remote.name
        target.parent.mkdir(parents=True)
        location.download(remote.key, target)
        paths.append(target)
    return paths


def fetch_paths(paths: Iterable[str | Path], folder: Path) -> list[Path]:
    """Paths as given, with each `s3://` location replaced by its current files downloaded to `folder`
    (every billing period its manifests list, or every billing file of a prefix without manifests)."""
    out: list[Path] = []
    for number, given in enumerate(paths):
        if not is_remote(given):
            out.append(Path(given))
            continue
        location = open_location(str(given))
        files = [f for unit in plan(location).units for f in unit.files]
        if not files:
            raise LocationError(f"{location.url}: no billing files found")
        out += download(location, files, folder / f"location-{number:03d}")
    return out


def _save(cache: FocusCache, state: dict) -> None:
    atomic_write(cache.root / STATE_FILE, json.dumps(state, indent=1, sort_keys=True))
