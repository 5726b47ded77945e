"""Load FOCUS CSV / Parquet files as typed pandas frames with FOCUS 1.2 column names.

Every file is read as text first (CSV) or as stored (Parquet), then goes through the same
`normalize_frame`: names mapped to FOCUS 1.2, types coerced, values checked. Problems become
`Finding`s; any finding of severity "error" rejects the file (`FocusLoadError`). No input gives
a traceback: an unexpected exception while reading or checking a file becomes an error finding.
Values outside `LoadLimits` (dates, amounts) are errors too.

Row numbers in findings count as in a spreadsheet opened from the CSV: the header is row 1, so
the first data row is row 2. For Parquet files and frames the same rule applies to the row's
position (first row = 2), so a number means the same thing whatever the source.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import shutil
import tempfile
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from analysis.focus.coerce import (
    ROW_OFFSET,
    Finding,
    check_rows,
    coerce_column,
    empty_column,
    plural,
    rows_starting_at,
)
from analysis.focus.limits import DEFAULT_LIMITS, LoadLimits
from analysis.focus.schema import (
    COLUMNS,
    COST_COLUMNS,
    MANDATORY,
    REQUIRED_TO_LOAD,
    canonical_name,
    clean_header,
    guess_version,
    is_reserved,
)
from analysis.sources import NativeFormat, native_format
from analysis.sources.azure import combine_actual_amortized

__all__ = [
    "ROW_OFFSET", "Finding", "FocusLoadError", "LoadLimits", "LoadedFile", "load_focus_file",
    "load_focus_paths", "normalize_frame", "validate_frame",
]

FILE_PATTERNS = ("*.csv", "*.csv.gz", "*.parquet", "*.json", "*.json.gz", "*.jsonl", "*.jsonl.gz", "*.ndjson",
                 "*.ndjson.gz")
JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")
BATCH_ROWS = 100_000  # rows converted and checked at a time: memory stays bounded whatever the file's size
_CSV_BLOCK = 16 << 20
DEFAULT_CURRENCY = "USD"
_PARQUET_MAGIC = b"PAR1"
_GZIP_MAGIC = b"\x1f\x8b"
_NOT_UTF8 = "is not a text CSV file in UTF-8 (it contains binary data or another encoding)"


class FocusLoadError(ValueError):
    """A rejected file (or files). `findings` holds every finding, errors first; str() lists the errors."""

    def __init__(self, findings: Iterable[Finding]):
        self.findings: list[Finding] = sorted(findings, key=lambda f: f.severity != "error")
        super().__init__("\n".join(str(f) for f in self.findings if f.severity == "error"))


@dataclass
class LoadedFile:
    """One accepted file: its FOCUS 1.2 rows and what validation found.

    A file of more than `BATCH_ROWS` rows is converted and checked in batches, each kept in a
    temporary Parquet file (`staged`) until the cache has read it, so memory stays bounded whatever
    the file's size; `frames()` yields them one at a time, `frame` reads them all.
    """

    path: Path
    findings: list[Finding]
    focus_version_guess: str | None
    rows: int
    staged: tuple[Path, ...] = ()
    _frame: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def frame(self) -> pd.DataFrame:
        """All rows in one frame (read from the staged batches of a large file)."""
        if self._frame is None:
            self._frame = pd.concat(list(self.frames()), ignore_index=True)
        return self._frame

    @frame.setter
    def frame(self, value: pd.DataFrame) -> None:
        self._frame, self.staged = value, ()

    def frames(self) -> Iterator[pd.DataFrame]:
        """The rows in batches, in file order."""
        if self._frame is not None:
            yield self._frame
            return
        for part in self.staged:
            yield pq.read_table(part).to_pandas()


def load_focus_paths(paths: Iterable[Path | str], *, limits: LoadLimits = DEFAULT_LIMITS) -> list[LoadedFile]:
    """Load files and folders (recursively `FILE_PATTERNS`; a delivery's `*Manifest.json` is not data), all or
    nothing.

    Raises FocusLoadError listing every rejected file if any file is rejected.
    """
    findings: list[Finding] = []
    files: dict[Path, str] = {}
    for given in map(Path, paths):
        try:
            if given.is_dir():
                found = sorted({p for pattern in FILE_PATTERNS for p in given.rglob(pattern)
                                if p.is_file() and not p.name.lower().endswith("manifest.json")})
                if not found:
                    findings.append(Finding("error", given.name, None, "folder has no CSV, Parquet or JSON files"))
                for path in found:
                    files.setdefault(path.resolve(), path.relative_to(given).as_posix())
            elif given.is_file():
                files.setdefault(given.resolve(), given.name)
            else:
                findings.append(Finding("error", given.name, None, f"no such file or folder ({given})"))
        except OSError as error:  # a name too long, a folder that cannot be listed, ...
            findings.append(Finding("error", given.name[:100], None,
                                    f"could not be opened ({error.strerror or error})"))
    loaded = []
    for path, shown in files.items():
        try:
            loaded.append(load_focus_file(path, name=shown, limits=limits))
        except FocusLoadError as error:
            findings.extend(error.findings)
    if any(f.severity == "error" for f in findings):
        raise FocusLoadError(findings)
    combine_actual_amortized(loaded)  # Azure actual + amortized exports of a period: each charge once, both costs
    return loaded


def load_focus_file(path: Path | str, *, name: str | None = None,
                    limits: LoadLimits = DEFAULT_LIMITS) -> LoadedFile:
    """Load one FOCUS or native-format file: CSV (optionally gzipped), Parquet or JSON (an array or lines).

    Read, converted and checked in batches of `BATCH_ROWS` rows. Raises FocusLoadError when any
    finding is an error (then nothing of the file is kept).
    """
    path = Path(path)
    shown = name or path.name
    native: NativeFormat | None = None
    version: str | None = None
    found: list[list[Finding]] = []
    last: pd.DataFrame | None = None
    staging = _Staging()
    rows = 0
    try:
        for number, raw in enumerate(_batches(path, shown)):
            if number == 0:
                native = native_format(raw.columns)
                version = native.name if native else guess_version([str(c) for c in raw.columns])
            with rows_starting_at(ROW_OFFSET + rows):
                frame, findings = _convert_and_check(raw, shown, native, limits)
            found.append(findings)
            rows += len(raw)
            if any(f.severity == "error" for f in findings):
                raise FocusLoadError(_merge(found))
            if last is not None:  # a large file: its batches wait on disk, not in memory
                staging.add(last)
            last = frame
    except FocusLoadError:
        staging.remove()
        raise
    except Exception as error:  # includes MemoryError and RecursionError: never a traceback
        staging.remove()
        raise FocusLoadError([Finding("error", shown, None, f"could not be read ({_reason(error)})")]) from error
    if not staging.parts:
        return LoadedFile(path, _merge(found), version, rows, _frame=last)
    staging.add(last)
    loaded = LoadedFile(path, _merge(found), version, rows, staged=tuple(staging.parts))
    weakref.finalize(loaded, staging.remove)
    return loaded


def _convert_and_check(raw: pd.DataFrame, shown: str, native: NativeFormat | None, limits: LoadLimits
                       ) -> tuple[pd.DataFrame, list[Finding]]:
    """One batch of a file's rows as FOCUS 1.2: converted from its native format if any, then checked."""
    converted: list[Finding] = []
    if native is not None:  # a provider's own format: converted to FOCUS first, then checked like one
        try:
            raw, converted = native.convert(raw, shown)
        except Exception as error:  # noqa: BLE001 (a converter bug is a finding naming the file, never a traceback)
            problem = Finding("error", shown, None, f"could not be converted from {native.name} ({_reason(error)})")
            return pd.DataFrame(), [problem]
        if any(f.severity == "error" for f in converted):  # the converter's own words, not FOCUS checks on a stub
            return pd.DataFrame(), converted
    frame, findings = normalize_frame(raw, shown, limits=limits)
    return frame, converted + findings


class _Staging:
    """Checked batches of a large file in temporary Parquet files, removed once loaded or rejected."""

    def __init__(self) -> None:
        self.folder: str | None = None
        self.parts: list[Path] = []

    def add(self, frame: pd.DataFrame) -> None:
        if self.folder is None:
            self.folder = tempfile.mkdtemp(prefix="finops-load-")
        part = Path(self.folder) / f"{len(self.parts):05d}.parquet"
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), part, compression="zstd")
        self.parts.append(part)

    def remove(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def _merge(batches: list[list[Finding]]) -> list[Finding]:
    """One list of findings for a file checked in batches: a finding that recurs in later batches
    (the same words but for its row numbers and counts) is reported once, saying it recurs."""
    if len(batches) == 1:
        return batches[0]
    first: dict[tuple, int] = {}
    again: dict[int, int] = {}
    merged: list[Finding] = []
    for findings in batches:
        for f in findings:
            key = (f.severity, f.column, _gist(f.message))
            if key not in first:
                first[key] = len(merged)
                merged.append(f)
            elif f.message != merged[first[key]].message:
                again[first[key]] = again.get(first[key], 0) + 1
    for i, times in again.items():
        f = merged[i]
        merged[i] = replace(f, message=f"{f.message}; the same again further down the file "
                                       f"(in {times:,} more {'batch' if times == 1 else 'batches'} of up to {BATCH_ROWS:,} rows)")
    return merged


def _gist(message: str) -> str:
    """A finding's words without its numbers and plurals (`1 row is`, `3 rows are` alike)."""
    return re.sub(r"\b(is|are)\b|s\b|[\d,.\s]+", "", message)


def validate_frame(frame: pd.DataFrame, file: str, *, limits: LoadLimits = DEFAULT_LIMITS) -> list[Finding]:
    """The findings `load_focus_file` would report for a frame of this content."""
    return normalize_frame(frame, file, limits=limits)[1]


def normalize_frame(raw: pd.DataFrame, file: str, *, limits: LoadLimits = DEFAULT_LIMITS
                    ) -> tuple[pd.DataFrame, list[Finding]]:
    """Map names to FOCUS 1.2, coerce types and check values; returns the frame and the findings.

    The frame is only usable when no finding is an error. An unexpected exception becomes an
    error finding (naming the column when it happened in one column).
    """
    try:
        return _normalize(raw, file, limits)
    except Exception as error:  # noqa: BLE001 (no input may end in a traceback; MemoryError, RecursionError too)
        return pd.DataFrame(), [Finding("error", file, None, f"could not be checked ({_reason(error)})")]


def _reason(error: BaseException) -> str:
    """An unexpected exception in plain words."""
    if isinstance(error, MemoryError):
        return "not enough memory to read it"
    if isinstance(error, RecursionError):
        return "a value is nested too deeply to read"
    return f"unexpected problem: {type(error).__name__}: {error}"[:300]


def _normalize(raw: pd.DataFrame, file: str, limits: LoadLimits) -> tuple[pd.DataFrame, list[Finding]]:
    kept, findings = _map_columns([str(c) for c in raw.columns], file)
    frame = pd.DataFrame({name: raw.iloc[:, i].reset_index(drop=True) for i, name in kept})
    missing = [c for c in REQUIRED_TO_LOAD if c not in frame]
    if len(missing) == len(REQUIRED_TO_LOAD):
        names = [clean_header(str(c)) or "(unnamed)" for c in raw.columns]
        shown = ", ".join(names[:20]) + (f", … ({len(names)} in all)" if len(names) > 20 else "")
        findings.append(Finding("error", file, None, "doesn't look like FOCUS billing data: none of "
                                f"{', '.join(REQUIRED_TO_LOAD)} found; columns were: {shown or '(none)'}"))
        return frame, findings
    findings += [Finding("error", file, c, "required column is missing (every FOCUS file needs "
                         f"{', '.join(REQUIRED_TO_LOAD)})") for c in missing]
    if frame.empty:
        findings.append(Finding("error", file, None, "has no rows (only a header)"))
        return frame, findings
    original = dict(frame.items())
    failed = []
    for name in frame.columns:
        try:
            frame[name], found = coerce_column(frame[name], file, name, limits)
        except Exception as error:  # noqa: BLE001 (no input may end in a traceback; MemoryError, RecursionError too)
            failed.append(name)
            found = [Finding("error", file, name, f"could not be checked ({_reason(error)})")]
        findings += found
    if failed:  # the row checks need every column in its type; the file is rejected anyway
        return frame, findings
    frame, found = check_rows(frame, original, file)
    return _complete(frame, file, findings + found)


def _complete(frame: pd.DataFrame, file: str, findings: list[Finding]) -> tuple[pd.DataFrame, list[Finding]]:
    """Add missing mandatory columns (all empty; currency USD) and report currencies."""
    absent = [c for c in MANDATORY if c not in frame]
    for name in absent:
        frame[name] = empty_column(COLUMNS[name].kind, len(frame))
    if "BillingCurrency" in absent:
        frame["BillingCurrency"] = pd.Series(DEFAULT_CURRENCY, index=frame.index, dtype="string")
        findings.append(Finding("warning", file, "BillingCurrency",
                                f"column is missing; all amounts are taken to be in {DEFAULT_CURRENCY}"))
    for name in (c for c in absent if c in COST_COLUMNS):
        findings.append(Finding("warning", file, name, "column is missing, left empty "
                                f"({COLUMNS[name].label}: comparisons with it show nothing for this file)"))
    others = [c for c in absent if c not in COST_COLUMNS and c != "BillingCurrency"]
    if others:
        findings.append(Finding("warning", file, None, f"{plural(len(others), 'mandatory FOCUS column')} "
                                f"missing, left empty: {', '.join(others)}"))
    counts = frame["BillingCurrency"].value_counts()
    if len(counts) > 1:
        listed = ", ".join(f"{cur} ({plural(int(n), 'row')})" for cur, n in sorted(counts.items()))
        findings.append(Finding("info", file, "BillingCurrency", f"{len(counts)} currencies, kept per row "
                                f"and never added together: {listed}"))
    return frame, findings


def _map_columns(headers: list[str], file: str) -> tuple[list[tuple[int, str]], list[Finding]]:
    """(position, FOCUS 1.2 name) of the columns to keep, and info findings on the others."""
    chosen: dict[str, int] = {}
    ignored, repeated = [], []
    reserved = []
    for i, raw in enumerate(headers):
        name = canonical_name(raw)
        if is_reserved(clean_header(raw)):
            reserved.append((clean_header(raw), name))
        if name is None:
            ignored.append(clean_header(raw) or "(unnamed)")
        elif name not in chosen:
            chosen[name] = i
        elif clean_header(raw) == name and clean_header(headers[chosen[name]]) != name:
            repeated.append(clean_header(headers[chosen[name]]))  # the exact 1.2 name wins over an alias
            chosen[name] = i
        else:
            repeated.append(clean_header(raw))
    kept = sorted(((i, name) for name, i in chosen.items()))
    findings = []
    written = {name: clean_header(headers[i]) for i, name in kept}
    renamed = [f"{written[name]} → {name}" for _, name in kept
               if written[name] != name and not is_reserved(written[name])]
    findings += [Finding("warning", file, old, f"column name is reserved for the app's own columns, so it is "
                         f"read as {new}") for old, new in reserved]
    if renamed:
        findings.append(Finding("info", file, None, f"read as FOCUS 1.2 names: {', '.join(renamed)}"))
    if repeated:
        findings.append(Finding("info", file, None, "ignored columns that repeat one already read: "
                                + ", ".join(repeated)))
    if ignored:
        verb = "is" if len(ignored) == 1 else "are"
        findings.append(Finding("info", file, None, f"ignored {plural(len(ignored), 'column')} that {verb} "
                                f"not FOCUS: {', '.join(ignored)}"))
    return kept, findings


# ----- reading files --------------------------------------------------------------------------
def _batches(path: Path, shown: str) -> Iterator[pd.DataFrame]:
    """The file's rows in batches of about `BATCH_ROWS` (the first batch always comes, empty for a file
    without rows): CSV as all-text columns, Parquet as stored, JSON as text; nested values as JSON text."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4)
    except OSError as error:
        raise _reject(shown, f"could not be opened ({error.strerror or error})") from error
    if not head:
        raise _reject(shown, "is empty (0 bytes)")
    if head == _PARQUET_MAGIC:
        yield from _parquet_batches(path, shown)
        return
    gzipped = head[:2] == _GZIP_MAGIC
    if path.suffix.lower() in (".parquet", ".pq"):
        raise _reject(shown, "is not a Parquet file (it does not start with the Parquet marker)")
    try:
        with _open_text(path, gzipped) as text:
            sample = text.read(1 << 16)
    except (OSError, EOFError, UnicodeError) as error:
        raise _reject(shown, _csv_problem(path, gzipped, error)) from error
    if _is_json(path, sample):
        yield from _json_batches(path, shown, gzipped)
    else:
        yield from _csv_batches(path, shown, gzipped, sample)


def _reject(shown: str, message: str) -> FocusLoadError:
    return FocusLoadError([Finding("error", shown, None, message)])


def _parquet_batches(path: Path, shown: str) -> Iterator[pd.DataFrame]:
    try:
        parquet = pq.ParquetFile(path)
        if parquet.metadata.num_rows == 0:
            yield _arrow_to_pandas(parquet.schema_arrow.empty_table())
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
            yield _arrow_to_pandas(pa.Table.from_batches([batch]))
    except (pa.ArrowException, OSError) as error:
        raise _reject(shown, f"could not be read as a Parquet file ({error})") from error


def _csv_batches(path: Path, shown: str, gzipped: bool, sample: str) -> Iterator[pd.DataFrame]:
    def problem(error: Exception) -> FocusLoadError:
        return _reject(shown, _csv_problem(path, gzipped, error))

    if "\x00" in sample:
        raise problem(UnicodeError("binary data"))
    header = next(csv.reader(io.StringIO(sample)), [])
    if not "".join(header).strip():
        raise problem(csv.Error("there is no header row"))
    try:
        reader = pacsv.open_csv(
            pa.input_stream(str(path), compression="gzip" if gzipped else None),
            read_options=pacsv.ReadOptions(block_size=_CSV_BLOCK),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.large_string() for name in header},  # pandas' own string layout
                strings_can_be_null=False, quoted_strings_can_be_null=False,
            ),
        )
        if len(reader.schema) != len(header):
            raise csv.Error("the header could not be read")
        pending = reader.schema.empty_table()
        sent = False
        for batch in reader:
            pending = pa.concat_tables([pending, pa.Table.from_batches([batch])])
            while len(pending) >= BATCH_ROWS:
                yield _text_frame(pending.slice(0, BATCH_ROWS))
                pending, sent = pending.slice(BATCH_ROWS), True
        if len(pending) or not sent:
            yield _text_frame(pending)
    except (pa.ArrowException, OSError, EOFError, UnicodeError, csv.Error) as error:
        raise problem(error) from error


def _text_frame(table: pa.Table) -> pd.DataFrame:
    return table.to_pandas(types_mapper={pa.large_string(): pd.StringDtype()}.get)


def _is_json(path: Path, sample: str) -> bool:
    """A JSON file: named so, or starting with `[` or `{` (no CSV header does)."""
    name = path.name.lower().removesuffix(".gz")
    return name.endswith(JSON_SUFFIXES) or sample.lstrip()[:1] in ("[", "{")


def _json_batches(path: Path, shown: str, gzipped: bool) -> Iterator[pd.DataFrame]:
    """A JSON array of objects, or JSON lines (one object per line), as text columns in batches."""
    with _open_text(path, gzipped) as text:
        try:
            first = ""
            while not first.strip() and (chunk := text.read(1)):
                first = chunk
            if first == "[":  # one array: read whole (exports in this form are small)
                text.seek(0)
                records = json.load(text)
                if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
                    raise _reject(shown, "is a JSON array, but not of objects (one per line item)")
                for start in range(0, max(len(records), 1), BATCH_ROWS):
                    yield _records_frame(records[start:start + BATCH_ROWS])
                return
            text.seek(0)
            records, sent = [], False
            for number, line in enumerate(text, start=1):
                if not line.strip():
                    continue
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise _reject(shown, f"line {number} is not a JSON object (JSON lines hold one line item "
                                         "per line)")
                records.append(record)
                if len(records) >= BATCH_ROWS:
                    yield _records_frame(records)
                    records, sent = [], True
            if records or not sent:
                yield _records_frame(records)
        except json.JSONDecodeError as error:
            raise _reject(shown, f"is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
                          ) from error
        except UnicodeError as error:
            raise _reject(shown, _NOT_UTF8) from error


def _records_frame(records: list[dict]) -> pd.DataFrame:
    """JSON objects as a frame of text columns (keys in order of first appearance; nested values as JSON)."""
    columns = list(dict.fromkeys(key for record in records for key in record))
    return pd.DataFrame({key: pd.Series([_json_cell(r.get(key)) for r in records], dtype="string")
                         for key in columns}, index=pd.RangeIndex(len(records)))


def _json_cell(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _open_text(path: Path, gzipped: bool) -> io.TextIOBase:
    """The file as UTF-8 text (the caller closes it, which closes the file under it)."""
    binary = gzip.open(path, "rb") if gzipped else path.open("rb")  # noqa: SIM115 (closed with the wrapper)
    return io.TextIOWrapper(binary, encoding="utf-8-sig", errors="strict", newline="")


def _csv_problem(path: Path, gzipped: bool, error: Exception) -> str:
    """Plain-English reason a CSV could not be read, with the rows at fault when rows are ragged."""
    if isinstance(error, UnicodeError):
        return _NOT_UTF8
    if isinstance(error, (EOFError, gzip.BadGzipFile)):
        return "is a damaged gzip file"
    try:
        with _open_text(path, gzipped) as text:
            records = csv.reader(text)
            width = len(next(records))
            numbered = enumerate(filter(None, records), start=ROW_OFFSET)  # blank lines are skipped
            ragged = [(n, len(r)) for n, r in numbered if len(r) != width]
    except UnicodeError:
        return _NOT_UTF8
    except (csv.Error, OSError, EOFError, StopIteration):
        return "is not a well-formed CSV file"
    if not ragged:
        return f"is not a well-formed CSV file ({error})"
    sample = ", ".join(f"row {n} has {k}" for n, k in ragged[:5])
    more = f" and {len(ragged) - 5:,} more rows" if len(ragged) > 5 else ""
    return (f"is not a well-formed CSV file: the header has {width} fields but {sample}{more} "
            "(a missing or extra comma, or an unclosed quote?)")


def _arrow_to_pandas(table: pa.Table) -> pd.DataFrame:
    """Parquet columns as pandas: decimals as float, dates as timestamps, nested values as JSON text."""
    columns = []
    for column in table.columns:
        kind = column.type
        if pa.types.is_dictionary(kind):
            column, kind = column.cast(kind.value_type), kind.value_type
        if pa.types.is_decimal(kind):
            column = column.cast(pa.float64())
        elif pa.types.is_date(kind):
            column = column.cast(pa.timestamp("us"))
        elif pa.types.is_nested(kind):
            column = pa.array([_json_text(v) for v in column.to_pylist()], pa.string())
        columns.append(column)
    return pa.table(columns, names=table.column_names).to_pandas()


def _json_text(value: object) -> str | None:
    """A nested Parquet value (map as key/value pairs, struct, list) as JSON text."""
    if value is None:
        return None
    if isinstance(value, list) and all(isinstance(v, tuple) and len(v) == 2 for v in value):
        value = dict(value)
    return json.dumps(value, default=str)

