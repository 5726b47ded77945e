"""The local FOCUS cache: Parquet line items, a daily rollup and a manifest, under data/cache/.

A load (any number of files) is one transaction: its files are written under new names and
fsynced, then one atomic rename of `manifest.json` commits them all, or nothing changes. Writers
take a file lock, so two app sessions or command line runs cannot interleave.

Line items are stored one Parquet file per delivered billing period (provider, billing account,
billing period), so that a newer delivery of a period already cached (AWS and Azure rewrite the
current month several times a day) replaces the older one instead of adding to it.

The manifest is an open contract: `sources[].files[]` lists each source's Parquet files of FOCUS
line items (paths relative to the cache folder), so DuckDB, pandas or Spark can read the current
data without the app. Files a commit no longer lists are kept for the next `KEEP_VERSIONS`
commits (readers that opened an older manifest can still read them), then removed; leftovers of a
killed load are removed at the next commit.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import os
import re
import shutil
from collections import Counter
from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import ibis
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from analysis.dimensions import DIMENSIONS, METRICS, tag_dimension
from analysis.focus.limits import LoadLimits
from analysis.focus.schema import SOURCE_COLUMN, TAG_PREFIX, TAGGED_COLUMN
from analysis.focus.summary import frame_summary, merge_summaries
from analysis.sources.azure import cached_double_counts
from analysis.store.audit import audited
from analysis.store.files import atomic_write, file_lock, fsync
from analysis.store.tables import DATE, LINES, daily_rollup
from analysis.store.tag_columns import count_spellings, display_key, extract_tag_columns

REPO_ROOT = Path(__file__).resolve().parents[2]  # analysis/store/cache.py -> the repository
DEFAULT_CACHE = REPO_ROOT / "data" / "cache"
KEEP_VERSIONS = 3  # files dropped by a commit stay readable for this many further commits

STRING_COLUMNS = [*DIMENSIONS, "Tags", SOURCE_COLUMN]
TIME_COLUMNS = ["ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart", "BillingPeriodEnd"]
_DISK_FULL = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}


class CacheError(ValueError):
    """A load the cache refused or could not write; nothing was changed."""


@dataclass(frozen=True)
class Source:
    """One loaded source as the manifest records it; `periods` are its deliveries, one per billing period."""

    id: str
    name: str
    kind: str
    files: list[str]
    added: str
    sha256: str
    summary: dict
    findings: list[str]
    periods: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class Delivery:
    """One file (or generated batch) to load: its FOCUS frames, its name as users know it, its content hash."""

    name: str
    frames: Iterable[pd.DataFrame]
    sha256: str | None = None
    findings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Replaced:
    """A billing period of an older source that a newer delivery replaced."""

    source: str
    provider: str
    billing_account: str
    billing_period: str
    rows: int

    def __str__(self) -> str:
        who = " / ".join(v for v in (self.provider, self.billing_account) if v) or "(no provider)"
        return (f"replaced {self.billing_period[:7]} of {who} from {self.source!r} "
                f"({self.rows:,} older rows) with the newer delivery")


@dataclass
class LoadResult:
    """What a load did (or, for a dry run, would do)."""

    sources: list[Source]
    replaced: list[Replaced]
    emptied: list[str]  # older sources left with no billing period, so removed
    tag_keys_in_json: list[str]  # tag keys beyond the column cap: kept in `Tags` only
    dry_run: bool = False
    warnings: list[str] = field(default_factory=list)  # what the load leaves counted twice (see `load`)

    @property
    def summary(self) -> dict:
        """Rows, providers, currencies, period and totals of what was loaded."""
        return merge_summaries([s.summary for s in self.sources])

    def messages(self) -> list[str]:
        """What changed, in plain words."""
        would = "would be " if self.dry_run else ""
        out = [str(r) if not self.dry_run else "would be " + str(r) for r in self.replaced]
        out += [f"source {name!r} {would}removed: every billing period it held was replaced" for name in self.emptied]
        if self.tag_keys_in_json:
            shown = ", ".join(self.tag_keys_in_json[:10]) + (" …" if len(self.tag_keys_in_json) > 10 else "")
            out.append(f"{len(self.tag_keys_in_json):,} tag keys beyond the column limit stay in Tags only: {shown}")
        return out + [f"warning: {w}" for w in self.warnings]


def to_cache_frame(frame: pd.DataFrame, source: str, tag_columns: TagColumns | None = None
                   ) -> tuple[pd.DataFrame, dict[str, Counter]]:
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
    tag_frame, spellings = extract_tag_columns(out["Tags"], allowed=tag_columns.admit if tag_columns else None)
    out["Tags"] = out["Tags"].where(tag_frame[TAGGED_COLUMN])  # `{}` and unreadable Tags become missing: untagged
    out = pd.concat([out.drop(columns=[c for c in out if c.startswith(TAG_PREFIX)]), tag_frame], axis=1)
    return out, spellings


class TagColumns:
    """Which tag keys become columns: the cache's existing ones, then new keys while under the cap.

    A key refused once (the cap was reached) stays in `Tags` only from then on, so that a tag column
    never holds a key for some rows and not for others.
    """

    def __init__(self, existing: Iterable[str], in_json: Iterable[str], cap: int):
        self.columns = set(existing)
        self.in_json = set(in_json)
        self.cap = cap
        self.seen_in_json: set[str] = set()  # keys of this load kept in `Tags` only

    def admit(self, candidates: list[str]) -> set[str]:
        """The candidates (most rows first) that are, or now become, columns."""
        for column in candidates:
            if column not in self.columns and column not in self.in_json:
                (self.columns if len(self.columns) < self.cap else self.in_json).add(column)
        return self.columns


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
            return {"version": 0, "updated": None, "sources": [], "daily": None, "tag_spellings": {},
                    "tags_in_json": {}, "retired": []}
        return json.loads(self.manifest_path.read_text())

    def version(self) -> int:
        """A number that changes whenever the cache does (a cache key for the app)."""
        return int(self.manifest()["version"])

    def sources(self) -> list[Source]:
        return [Source(**s) for s in self.manifest()["sources"]]

    def tag_keys(self) -> dict[str, str]:
        """`tag:<column key>` -> the key as users write it (its most common spelling)."""
        manifest = self.manifest()
        spellings = manifest["tag_spellings"] | manifest.get("tags_in_json", {})
        return {tag_dimension(col): display_key(Counter(sp)) for col, sp in spellings.items()}

    def line_files(self) -> list[str]:
        """Absolute paths of the current line-item Parquet files (the manifest's `sources[].files[]`)."""
        return [str(self.root / f) for s in self.manifest()["sources"] for f in s["files"]]

    # ----- writing ------------------------------------------------------------------------
    def load(
        self,
        deliveries: Iterable[Delivery],
        *,
        kind: str = "file",
        replace_all: bool = False,
        keep_both: bool = False,
        dry_run: bool = False,
        limits: LoadLimits | None = None,
    ) -> LoadResult:
        """Load deliveries as one transaction: all are committed by one manifest write, or none is.

        `replace_all` makes them the cache's only content. A delivery of a billing period (same
        provider, billing account and billing period) already cached replaces the older one unless
        `keep_both`; files of one load that hold the same period are parts of one delivery. Content
        already loaded is refused. Exports of one provider that hold the same charges under other keys
        (an Azure FocusCost export and cost details of the same billing account and period) are loaded, with
        a warning in `warnings`. `dry_run` runs every check and reports, changing nothing.
        Raises CacheError (nothing changed) when the load is refused or cannot be written.
        Unless a dry run, the load (refused or not) is recorded in the audit trail of the enclosing
        `audit_to` block, as a sync (`kind` sync), a replace (`replace_all`) or a load.
        """
        deliveries, limits = list(deliveries), limits or LoadLimits()
        if dry_run:
            return self._load(deliveries, kind, replace_all, keep_both, True, limits)
        action = "sync" if kind == "sync" else "replace" if replace_all else "load"
        with audited(action, ", ".join(d.name for d in deliveries)) as change:
            result = self._load(deliveries, kind, replace_all, keep_both, False, limits)
            change.after = ", ".join(s.id for s in result.sources)
            change.detail = "; ".join(result.messages())
        return result

    def _load(self, deliveries: list[Delivery], kind: str, replace_all: bool, keep_both: bool, dry_run: bool,
              limits: LoadLimits) -> LoadResult:
        """The load of `load`, under the cache's lock."""
        with self._locked(dry_run):
            manifest = self.manifest()
            base = [] if replace_all else [Source(**s) for s in manifest["sources"]]
            _refuse_repeats(deliveries, base)
            tags = TagColumns([] if replace_all else manifest["tag_spellings"],
                              [] if replace_all else manifest.get("tags_in_json", {}), limits.max_tag_columns)
            spellings = {} if replace_all else _counters(manifest["tag_spellings"])
            in_json = {} if replace_all else _counters(manifest.get("tags_in_json", {}))
            written: list[Path] = []
            try:
                new = [self._stage(d, kind, tags, spellings, in_json, written, dry_run) for d in deliveries]
                kept, replaced, emptied = _replace(base, new, keep_both)
                in_tags_only = sorted({display_key(in_json[c]) for c in tags.seen_in_json})
                result = LoadResult(new, replaced, emptied, in_tags_only, dry_run, cached_double_counts(new, kept))
                if not dry_run:
                    spellings, in_json = _recount([*kept, *new], tags.columns, spellings, in_json)
                    self._commit(manifest, [s.__dict__ for s in [*kept, *new]], spellings, in_json, limits)
                return result
            except BaseException as error:
                for path in written:
                    path.unlink(missing_ok=True)
                if isinstance(error, OSError) and error.errno in _DISK_FULL or "No space left" in str(error):
                    raise CacheError(f"Not enough disk space in {self.root} to write the cache "
                                     f"({_free(self.root)} free); nothing changed.") from error
                if isinstance(error, (CacheError, KeyboardInterrupt, SystemExit)):
                    raise
                raise CacheError(f"Could not write the cache in {self.root}: {error}; nothing changed.") from error

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
        """Load one source (one or more frames) as its own transaction; see `load`."""
        delivery = Delivery(name, frames, sha256, tuple(findings or ()))
        return self.load([delivery], kind=kind, replace_all=replace_all).sources[0]

    def remove_source(self, source_id: str) -> None:
        """Drop one source; its Parquet files are deleted once no reader can still be using them. Recorded
        in the audit trail of the enclosing `audit_to` block."""
        name = next((s.name for s in self.sources() if s.id == source_id), source_id)
        with audited("remove", name, before=source_id), self._locked():
            manifest = self.manifest()
            kept = [s for s in manifest["sources"] if s["id"] != source_id]
            if len(kept) == len(manifest["sources"]):
                raise CacheError(f"No loaded source has id {source_id!r}.")
            spellings, in_json = _recount([Source(**k) for k in kept], set(manifest["tag_spellings"]),
                                          _counters(manifest["tag_spellings"]),
                                          _counters(manifest.get("tags_in_json", {})))
            self._commit(manifest, kept, spellings, in_json, LoadLimits(), recount=True)

    def _stage(self, delivery: Delivery, kind: str, tags: TagColumns, spellings: dict[str, Counter],
               in_json: dict[str, Counter], written: list[Path], dry_run: bool) -> Source:
        """Write one delivery's line items, one file per billing period and frame (none in a dry run)."""
        source_id = _new_id(delivery.name)
        periods: dict[tuple[str, str, str], dict] = {}
        for i, frame in enumerate(delivery.frames):
            cached, seen = to_cache_frame(frame, delivery.name, tags)
            for column, counter in seen.items():
                if column not in tags.columns:
                    tags.seen_in_json.add(column)
                (spellings if column in tags.columns else in_json).setdefault(column, Counter()).update(counter)
            keys = _period_keys(cached)
            for j, (key, part) in enumerate(cached.groupby(keys, sort=True, dropna=False)):
                entry = periods.setdefault(key, {"provider": key[0], "billing_account": key[1],
                                                 "billing_period": key[2], "restates": key[3] == "yes",
                                                 "files": [], "rows": 0, "summary": None, "tag_spellings": {}})
                part = part.reset_index(drop=True)
                entry["rows"] += len(part)
                for column, counter in count_spellings(part["Tags"]).items():
                    entry["tag_spellings"][column] = dict(Counter(entry["tag_spellings"].get(column, {})) + counter)
                entry["summary"] = merge_summaries([s for s in (entry["summary"], frame_summary(part)) if s])
                if dry_run:
                    continue
                relative = f"lines/{source_id}-{i:04d}-{j:04d}.parquet"
                written.append(self.root / relative)
                _write_parquet(part.drop(columns=[c for c in part if c.startswith(TAG_PREFIX)
                                                  and c not in tags.columns]), self.root / relative)
                entry["files"].append(relative)
        ordered = [periods[k] for k in sorted(periods)]
        return Source(
            id=source_id, name=delivery.name, kind=kind, files=[f for p in ordered for f in p["files"]],
            added=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), sha256=delivery.sha256 or source_id,
            summary=merge_summaries([p["summary"] for p in ordered]), findings=list(delivery.findings),
            periods=ordered,
        )

    def _commit(self, manifest: dict, sources: list[dict], spellings: dict[str, Counter],
                in_json: dict[str, Counter], limits: LoadLimits, recount: bool = False) -> None:
        version = int(manifest["version"]) + 1
        files = [str(self.root / f) for s in sources for f in s["files"]]
        daily_name = f"daily-{version:06d}.parquet"
        if files:
            spill = self.root / ".spill"
            con = ibis.duckdb.connect(memory_limit=limits.memory_limit, temp_directory=str(spill))
            try:
                lines = con.read_parquet(files, table_name=LINES, union_by_name=True)
                tmp = self.root / (daily_name + ".tmp")
                con.to_parquet(daily_rollup(lines), tmp)
                if recount:
                    present = {c for c in lines.columns if c.startswith(TAG_PREFIX)}
                    spellings = {c: sp for c, sp in spellings.items() if c in present}
            finally:
                con.disconnect()
                shutil.rmtree(spill, ignore_errors=True)
            fsync(tmp)
            os.replace(tmp, self.root / daily_name)
        live = {f for s in sources for f in s["files"]} | ({daily_name} if files else set())
        before = {f for s in manifest["sources"] for f in s["files"]} | ({manifest["daily"]} if manifest["daily"] else set())
        retired = [r for r in manifest.get("retired", []) if r["version"] > version - KEEP_VERSIONS]
        if before - live:
            retired.append({"version": version, "files": sorted(before - live)})
        new = {
            "version": version,
            "updated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "sources": sources,
            "daily": daily_name if files else None,
            "tag_spellings": {c: dict(sp) for c, sp in sorted(spellings.items())},
            "tags_in_json": {c: dict(sp) for c, sp in sorted(in_json.items())},
            "retired": retired,
        }
        atomic_write(self.manifest_path, json.dumps(new, indent=1, default=str))
        self._sweep(new)

    def _sweep(self, manifest: dict) -> None:
        """Delete files neither the committed manifest nor its recent predecessors list, and leftovers."""
        keep = {f for s in manifest["sources"] for f in s["files"]} | {manifest["daily"]}
        keep |= {f for r in manifest["retired"] for f in r["files"]}
        candidates = [*self.root.glob("lines/*"), *self.root.glob("daily-*"), *self.root.glob("*.tmp")]
        for path in candidates:
            if path.is_file() and str(path.relative_to(self.root)) not in keep:
                path.unlink(missing_ok=True)

    def _locked(self, dry_run: bool = False) -> AbstractContextManager[None]:
        # a dry run reads one manifest and writes nothing, not even the folder
        return nullcontext() if dry_run else file_lock(self.root / ".lock")


def file_sha256(path: Path) -> str:
    """Content hash of a file, to refuse loading the same export twice."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _refuse_repeats(deliveries: list[Delivery], base: list[Source]) -> None:
    """CacheError naming every delivery whose content is already loaded, or given twice."""
    known = {s.sha256: s.name for s in base}
    repeated = []
    for d in deliveries:
        if d.sha256 and d.sha256 in known:
            repeated.append(f"{d.name} is already loaded (same content as source {known[d.sha256]!r})")
        elif d.sha256:
            known[d.sha256] = d.name
    if repeated:
        raise CacheError("; ".join(repeated) + "; nothing changed.")


def _period_keys(frame: pd.DataFrame) -> list[pd.Series]:
    """Per row: provider, billing account, billing period (month of the charge when not given), and
    whether the row names both its billing account and billing period (only then can it restate)."""
    given = frame["BillingPeriodStart"] if "BillingPeriodStart" in frame else pd.Series(
        pd.NaT, index=frame.index, dtype="datetime64[us, UTC]")
    charge = frame["ChargePeriodStart"].dt.tz_convert("UTC").dt.normalize()
    start = given.fillna(charge - pd.to_timedelta(charge.dt.day - 1, unit="D"))
    text = lambda c: frame[c].fillna("") if c in frame else pd.Series("", index=frame.index)
    account = text("BillingAccountId")
    known = (given.notna() & (account != "")).map({True: "yes", False: "no"})
    return [text("ProviderName"), account, start.dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%SZ"), known]


def _replace(base: list[Source], new: list[Source], keep_both: bool
             ) -> tuple[list[Source], list[Replaced], list[str]]:
    """The older sources without the billing periods the new ones deliver, and what was replaced."""
    if keep_both:
        return base, [], []
    delivered = {_key(p) for s in new for p in s.periods if p.get("restates")}
    kept, replaced, emptied = [], [], []
    for source in base:
        gone = [p for p in source.periods if p.get("restates") and _key(p) in delivered]
        if not gone:
            kept.append(source)
            continue
        replaced += [Replaced(source.name, p["provider"], p["billing_account"], p["billing_period"], p["rows"])
                     for p in gone]
        periods = [p for p in source.periods if p not in gone]
        if not periods:
            emptied.append(source.name)
            continue
        kept.append(Source(**(source.__dict__ | {
            "periods": periods, "files": [f for p in periods for f in p["files"]],
            "summary": merge_summaries([p["summary"] for p in periods])})))
    return kept, replaced, emptied


def _key(period: dict) -> tuple[str, str, str]:
    return period["provider"], period["billing_account"], period["billing_period"]


def _recount(sources: list[Source], columns: set[str], spellings: dict[str, Counter], in_json: dict[str, Counter]
             ) -> tuple[dict[str, Counter], dict[str, Counter]]:
    """Tag key spellings counted again from the billing periods the sources still hold, so that a removed
    or replaced delivery's spellings go with it. Caches written before periods kept their spellings are
    left with the running counts."""
    if not all(s.periods and all("tag_spellings" in p for p in s.periods) for s in sources):
        return spellings, in_json
    counted: tuple[dict[str, Counter], dict[str, Counter]] = ({}, {})
    for period in (p for s in sources for p in s.periods):
        for column, spelled in period["tag_spellings"].items():
            counted[0 if column in columns else 1].setdefault(column, Counter()).update(spelled)
    return counted


def _counters(raw: dict[str, dict[str, int]]) -> dict[str, Counter]:
    return {c: Counter(sp) for c, sp in raw.items()}


def _new_id(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", Path(name).stem.lower()).strip("-")[:40] or "source"
    return f"{slug}-{dt.datetime.now(dt.UTC):%Y%m%d%H%M%S}-{os.urandom(3).hex()}"


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write line items under a temporary name, fsync, then rename into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame.sort_values(DATE, kind="stable"), preserve_index=False)
    table = table.set_column(table.schema.get_field_index(DATE), DATE, table[DATE].cast(pa.date32()))
    tmp = path.with_suffix(".parquet.tmp")
    try:
        pq.write_table(table, tmp, compression="zstd", row_group_size=1_000_000)
        fsync(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _free(folder: Path) -> str:
    try:
        return f"{shutil.disk_usage(folder).free / 1e6:,.1f} MB"
    except OSError:
        return "unknown"


def empty_line_items() -> pa.Table:
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
