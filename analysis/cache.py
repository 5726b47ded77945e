"""The local FOCUS cache: Parquet line items, a daily rollup and a manifest, under data/cache/.

The manifest is the commit point: a source counts once its entry is written (atomically, by
rename), so a failed load leaves the cache as it was. Writers take a file lock, so two app
sessions or a command line run cannot interleave.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import ibis
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from analysis.dimensions import DIMENSIONS, METRICS
from analysis.query import DAILY, DATE, LINES, CostQueries, daily_rollup
from analysis.summary import frame_summary, merge_summaries
from analysis.tags import TAG_PREFIX, TAGGED_COLUMN, display_key, extract_tag_columns

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CACHE = REPO_ROOT / "data" / "cache"
SOURCE_COLUMN = "x_Source"

STRING_COLUMNS = [*DIMENSIONS, "Tags", SOURCE_COLUMN]
TIME_COLUMNS = ["ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart", "BillingPeriodEnd"]


class CacheError(ValueError):
    """A load the cache refused (for example the same file twice); nothing was changed."""


@dataclass(frozen=True)
class Source:
    """One loaded source as the manifest records it."""

    id: str
    name: str
    kind: str
    files: list[str]
    added: str
    sha256: str
    summary: dict
    findings: list[str]


def to_cache_frame(frame: pd.DataFrame, source: str) -> tuple[pd.DataFrame, dict[str, Counter]]:
    """Give a FOCUS frame the cache's shape: core columns typed, `ChargeDate`, tag columns."""
    out = frame.copy()
    for column in STRING_COLUMNS:
        if column not in out:
            out[column] = pd.Series(pd.NA, index=out.index, dtype="string")
        elif not isinstance(out[column].dtype, pd.StringDtype):
            out[column] = out[column].astype("string")
    for column in METRICS:
        out[column] = pd.to_numeric(out[column], errors="coerce").astype("float64") if column in out else float("nan")
    for column in TIME_COLUMNS:
        if column in out:
            out[column] = pd.to_datetime(out[column], utc=True).astype("datetime64[us, UTC]")
    out[SOURCE_COLUMN] = source
    out[DATE] = out["ChargePeriodStart"].dt.tz_convert("UTC").dt.tz_localize(None).dt.floor("D")
    tag_frame, spellings = extract_tag_columns(out["Tags"])
    out["Tags"] = out["Tags"].where(tag_frame[TAGGED_COLUMN])  # `{}` and unreadable Tags become missing: untagged
    out = pd.concat([out.drop(columns=[c for c in out if c.startswith(TAG_PREFIX)]), tag_frame], axis=1)
    return out, spellings


class FocusCache:
    """A FOCUS cache folder: `lines/*.parquet`, `daily-<n>.parquet` and `manifest.json`."""

    def __init__(self, root: Path | str = DEFAULT_CACHE):
        self.root = Path(root)

    # ----- reading ------------------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        return self.root / "manifest.json"

    def manifest(self) -> dict:
        """The manifest, or an empty one when nothing is loaded."""
        if not self.manifest_path.exists():
            return {"version": 0, "updated": None, "sources": [], "daily": None, "tag_spellings": {}}
        return json.loads(self.manifest_path.read_text())

    def version(self) -> int:
        """A number that changes whenever the cache does (a cache key for the app)."""
        return int(self.manifest()["version"])

    def sources(self) -> list[Source]:
        return [Source(**s) for s in self.manifest()["sources"]]

    def tag_keys(self) -> dict[str, str]:
        """`tag:<column key>` -> the key as users write it (its most common spelling)."""
        spellings = self.manifest()["tag_spellings"]
        return {"tag:" + col[len(TAG_PREFIX):]: display_key(Counter(sp)) for col, sp in spellings.items()}

    def queries(self, memory_limit: str = "1GB") -> CostQueries:
        """A DuckDB-backed query layer over this cache (empty tables when nothing is loaded).

        DuckDB keeps under `memory_limit` by spilling to disk, so large caches do not exhaust RAM.
        """
        manifest = self.manifest()
        con = ibis.duckdb.connect(memory_limit=memory_limit)
        files = [str(self.root / f) for s in manifest["sources"] for f in s["files"]]
        if files:
            con.read_parquet(files, table_name=LINES, union_by_name=True)
            con.read_parquet(str(self.root / manifest["daily"]), table_name=DAILY)
        else:
            con.create_table(LINES, schema=ibis.Schema.from_pyarrow(_empty_lines().schema))
            con.create_table(DAILY, schema=daily_rollup(con.table(LINES)).schema())
        return CostQueries(con)

    # ----- writing ------------------------------------------------------------------------
    def add_source(
        self,
        frames: Iterable[pd.DataFrame],
        name: str,
        *,
        kind: str = "file",
        findings: list[str] | None = None,
        sha256: str | None = None,
        replace_all: bool = False,
    ) -> Source:
        """Write one source (one or more frames) and commit it; `replace_all` empties the cache first."""
        with self._locked():
            manifest = self.manifest() if not replace_all else self.manifest() | {"sources": [], "tag_spellings": {}}
            if sha256 and any(s["sha256"] == sha256 for s in manifest["sources"]):
                same = next(s["name"] for s in manifest["sources"] if s["sha256"] == sha256)
                raise CacheError(f"{name} is already loaded (same content as source {same!r}); nothing changed.")
            source_id = _new_id(name)
            (self.root / "lines").mkdir(parents=True, exist_ok=True)
            files, summaries, spellings = [], [], _counters(manifest["tag_spellings"])
            for i, frame in enumerate(frames):
                cached, seen = to_cache_frame(frame, name)
                relative = f"lines/{source_id}-{i:04d}.parquet"
                _atomic_parquet(cached, self.root / relative)
                files.append(relative)
                summaries.append(frame_summary(frame))
                for column, counter in seen.items():
                    spellings.setdefault(column, Counter()).update(counter)
            source = Source(
                id=source_id, name=name, kind=kind, files=files,
                added=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                sha256=sha256 or source_id, summary=merge_summaries(summaries), findings=findings or [],
            )
            self._commit(manifest, [*manifest["sources"], source.__dict__], spellings)
            return source

    def remove_source(self, source_id: str) -> None:
        """Drop one source; its Parquet files are deleted after the manifest no longer lists them."""
        with self._locked():
            manifest = self.manifest()
            kept = [s for s in manifest["sources"] if s["id"] != source_id]
            if len(kept) == len(manifest["sources"]):
                raise CacheError(f"No loaded source has id {source_id!r}.")
            self._commit(manifest, kept, _counters(manifest["tag_spellings"]), recount=True)

    def _commit(self, manifest: dict, sources: list[dict], spellings: dict[str, Counter], recount: bool = False) -> None:
        version = int(manifest["version"]) + 1
        files = [str(self.root / f) for s in sources for f in s["files"]]
        daily_name = f"daily-{version:06d}.parquet"
        if files:
            con = ibis.duckdb.connect()
            lines = con.read_parquet(files, table_name=LINES, union_by_name=True)
            tmp = self.root / (daily_name + ".tmp")
            con.to_parquet(daily_rollup(lines), tmp)
            os.replace(tmp, self.root / daily_name)
            if recount:
                present = {c for c in lines.columns if c.startswith(TAG_PREFIX)}
                spellings = {c: sp for c, sp in spellings.items() if c in present}
        new = {
            "version": version,
            "updated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "sources": sources,
            "daily": daily_name if files else None,
            "tag_spellings": {c: dict(sp) for c, sp in sorted(spellings.items())},
        }
        _atomic_text(self.manifest_path, json.dumps(new, indent=1, default=str))
        self._sweep(new)

    def _sweep(self, manifest: dict) -> None:
        """Delete Parquet files the committed manifest no longer lists."""
        keep = {f for s in manifest["sources"] for f in s["files"]} | {manifest["daily"]}
        for path in [*self.root.glob("lines/*.parquet"), *self.root.glob("daily-*.parquet")]:
            if str(path.relative_to(self.root)) not in keep:
                path.unlink(missing_ok=True)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def file_sha256(path: Path) -> str:
    """Content hash of a file, to refuse loading the same export twice."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _counters(raw: dict[str, dict[str, int]]) -> dict[str, Counter]:
    return {c: Counter(sp) for c, sp in raw.items()}


def _new_id(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", Path(name).stem.lower()).strip("-")[:40] or "source"
    return f"{slug}-{dt.datetime.now(dt.UTC):%Y%m%d%H%M%S}-{os.urandom(3).hex()}"


def _atomic_parquet(frame: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(frame.sort_values(DATE, kind="stable"), preserve_index=False)
    table = table.set_column(table.schema.get_field_index(DATE), DATE, table[DATE].cast(pa.date32()))
    tmp = path.with_suffix(".parquet.tmp")
    pq.write_table(table, tmp, compression="zstd", row_group_size=1_000_000)
    os.replace(tmp, path)


def _atomic_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(tmp, path)


def _empty_lines() -> pa.Table:
    """A zero-row line-item table with the core columns, for an empty cache."""
    frame, _ = to_cache_frame(
        pd.DataFrame({"ChargePeriodStart": pd.Series([], dtype="datetime64[us, UTC]")}), "none"
    )
    frame[TAGGED_COLUMN] = frame[TAGGED_COLUMN].astype(bool)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    return table.set_column(table.schema.get_field_index(DATE), DATE, table[DATE].cast(pa.date32()))


def clear(root: Path | str = DEFAULT_CACHE) -> None:
    """Remove a cache folder entirely."""
    shutil.rmtree(root, ignore_errors=True)
