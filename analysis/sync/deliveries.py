"""What a location delivers, one unit at a time: a billing period of an AWS Data Exports or legacy CUR export
(the files its newest manifest lists, never a folder listing, which holds older executions too), or one
hand-copied billing file where there is no manifest. Each unit has a fingerprint (the manifest's execution or
assembly id, else the files' tags and sizes) so that a sync reads only what changed.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from analysis.focus.loader import FILE_PATTERNS
from analysis.sync.locations import Location, LocationError, RemoteFile

MANIFEST_SUFFIX = "manifest.json"
_DATA_SUFFIXES = tuple(p.removeprefix("*") for p in FILE_PATTERNS)
_DATA_EXPORTS_PERIOD = re.compile(r"BILLING_PERIOD=(\d{4}-\d{2})")
_CUR_PERIOD = re.compile(r"/(\d{4})(\d{2})01-\d{8}/")


@dataclass(frozen=True)
class Unit:
    """One delivery, read and committed as a whole."""

    id: str  # the billing period (`2024-03`) of an export with manifests; the file's key otherwise
    files: tuple[RemoteFile, ...]
    fingerprint: str
    manifest: str | None = None  # the manifest's key

    @property
    def label(self) -> str:
        return f"billing period {self.id}" if self.manifest else self.id


@dataclass(frozen=True)
class Plan:
    """How a location is read and the units it holds now."""

    how: str  # "AWS Data Exports manifests", "legacy CUR manifests" or "file listing"
    units: list[Unit]


def plan(location: Location, *, listing_only: bool = False) -> Plan:
    """The location's current units; LocationError naming the location and manifest when one is broken.

    `listing_only` reads every billing file as its own unit even where manifests exist.
    """
    files = location.files()
    manifests = [f for f in files if f.name.lower().endswith(MANIFEST_SUFFIX)]
    if manifests and not listing_only:
        exports = [m for m in manifests if "/metadata/" in f"/{m.key}" or m.key.startswith("metadata/")]
        chosen = exports or manifests
        how = "AWS Data Exports manifests" if exports else "legacy CUR manifests"
        return Plan(how, _from_manifests(location, chosen, {f.key: f for f in files}))
    data = [f for f in files if f.name.lower().endswith(_DATA_SUFFIXES)]
    return Plan("file listing", [Unit(f.key, (f,), f"{f.tag}:{f.size}") for f in data])


def _from_manifests(location: Location, manifests: list[RemoteFile], listed: dict[str, RemoteFile]) -> list[Unit]:
    newest: dict[tuple[str, str], tuple[RemoteFile, dict, str]] = {}
    for manifest in manifests:
        content = _manifest(location, manifest)
        period = _period(manifest, content)
        root = manifest.key.split("/metadata/")[0] if "/metadata/" in manifest.key else _cur_root(manifest.key)
        known = newest.get((root, period))
        if known is None or manifest.modified > known[0].modified:
            newest[(root, period)] = (manifest, content, period)
    units: dict[str, list[tuple[RemoteFile, list[RemoteFile], str]]] = {}
    for manifest, content, period in newest.values():
        keys = content.get("dataFiles") or content.get("reportKeys") or []
        files = []
        for uri in keys:
            key = location.resolve(uri)
            if key not in listed:
                raise LocationError(f"{location.url}: manifest {manifest.key} lists {uri}, which does not exist")
            files.append(listed[key])
        run = str(content.get("executionId") or content.get("assemblyId") or manifest.tag)
        units.setdefault(period, []).append((manifest, files, run))
    out = []
    for period, parts in sorted(units.items()):
        files = tuple(f for _, fs, _ in parts for f in fs)
        runs = "+".join(sorted(run for _, _, run in parts))
        out.append(Unit(period, files, runs, ", ".join(m.key for m, _, _ in parts)))
    return out


def _manifest(location: Location, manifest: RemoteFile) -> dict:
    text = location.read(manifest.key)
    try:
        content = json.loads(text)
    except (ValueError, UnicodeDecodeError) as error:
        raise LocationError(f"{location.url}: manifest {manifest.key} is not valid JSON ({error})") from error
    if not isinstance(content, dict):
        raise LocationError(f"{location.url}: manifest {manifest.key} is not a JSON object")
    keys = content.get("dataFiles", content.get("reportKeys"))
    if not isinstance(keys, list) or not all(isinstance(k, str) and k for k in keys):
        raise LocationError(f"{location.url}: manifest {manifest.key} has no list of data files "
                            "(dataFiles or reportKeys)")
    return content


def _period(manifest: RemoteFile, content: dict) -> str:
    """`YYYY-MM` from the manifest's billingPeriod (`2024-03-01T00:00:00.000Z`, `20240301T000000.000Z`) or path."""
    start = content.get("billingPeriod", {}).get("start") if isinstance(content.get("billingPeriod"), dict) else None
    if isinstance(start, str) and (found := re.match(r"(\d{4})-?(\d{2})", start)):
        return f"{found[1]}-{found[2]}"
    if found := _DATA_EXPORTS_PERIOD.search(manifest.key):
        return found[1]
    if found := _CUR_PERIOD.search(f"/{manifest.key}"):
        return f"{found[1]}-{found[2]}"
    return hashlib.sha256(manifest.key.encode()).hexdigest()[:8]  # no period named: the manifest is its own unit


def _cur_root(key: str) -> str:
    """A legacy CUR manifest's report folder: the part before `/YYYYMMDD-YYYYMMDD/`."""
    found = _CUR_PERIOD.search(f"/{key}")
    return f"/{key}"[:found.start()] if found else key.rsplit("/", 1)[0]
