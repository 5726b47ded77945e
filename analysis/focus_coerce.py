"""Column by column: FOCUS values (text, or typed Parquet) to FOCUS types, with findings.

Decimals become float64, date-times `datetime64[us, UTC]` (naive = UTC), everything else the
pandas "string" dtype; JSON columns hold a JSON object as text or are missing. Null is missing,
an empty cell, or one of NULL_TOKENS (NULL, null, None, NaN, ...); for numbers and dates also a
cell of only spaces.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import is_bool_dtype, is_datetime64_any_dtype, is_numeric_dtype

from analysis.focus_schema import COLUMNS, REQUIRED_TO_LOAD

ROW_OFFSET = 2  # row number of the first data row: the header is row 1, as in a spreadsheet
SAMPLE_SIZE = 5
NULL_TOKENS = ("", "NULL", "null", "Null", "None", "none", "NONE", "NaN", "nan", "NAN", "NaT")
# Tried in order on the values not yet parsed; US month/day/year as in Azure EA exports.
DATE_FORMATS = ("ISO8601", "%m/%d/%Y", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M:%S %p",
                "%m/%d/%Y %I:%M %p")
_NULL_SET = pa.array(NULL_TOKENS, pa.large_string())
STRING = "string"
DATETIME = "datetime64[us, UTC]"
# Columns that must not be empty, and how bad an empty value is.
NOT_EMPTY: dict[str, tuple[Literal["error", "warning"], str]] = {
    "ChargePeriodStart": ("error", "every charge needs a start date"),
    "BilledCost": ("warning", "they count as zero in totals"),
    "EffectiveCost": ("warning", "they count as zero in totals"),
    "BillingCurrency": ("warning", "their amounts have no currency"),
}


@dataclass(frozen=True)
class Finding:
    """Something validation found in a file, in plain English."""

    severity: Literal["error", "warning", "info"]
    file: str  # the file name as the user knows it
    column: str | None
    message: str
    rows: tuple[int, ...] = ()  # sample row numbers, header = row 1 (see ROW_OFFSET)

    def __str__(self) -> str:
        where = f"{self.file}, column {self.column}" if self.column else self.file
        return f"{where}: {self.message}"


def plural(count: int, word: str) -> str:
    """`1 row`, `3 rows`."""
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def empty_column(kind: str, length: int) -> pd.Series:
    """An all-missing column of the pandas dtype for a FOCUS kind."""
    if kind == "decimal":
        return pd.Series(np.nan, index=pd.RangeIndex(length), dtype="float64")
    if kind == "datetime":
        return pd.Series(pd.NaT, index=pd.RangeIndex(length), dtype=DATETIME)
    return pd.Series(pd.NA, index=pd.RangeIndex(length), dtype=STRING)


def to_text(raw: pd.Series) -> pd.Series:
    """Values as "string" dtype, null tokens missing."""
    text = pa.array(raw.astype(STRING).array)
    nulled = pc.if_else(pc.is_in(text, value_set=_NULL_SET.cast(text.type)), pa.scalar(None, text.type), text)
    return pd.Series(pd.array(nulled, dtype=STRING), index=raw.index)


def _stripped(text: pd.Series) -> pd.Series:
    """Text without surrounding spaces; blank is missing."""
    stripped = text.str.strip()
    return stripped.where(stripped != "")


def coerce_column(raw: pd.Series, file: str, name: str) -> tuple[pd.Series, list[Finding]]:
    """One column (FOCUS 1.2 name or `x_`) in its FOCUS type, and what was wrong with it."""
    spec = COLUMNS.get(name)
    if spec is None:
        return to_text(raw), []
    findings = []
    if spec.kind in _PARSERS:
        values, bad = _PARSERS[spec.kind](raw)
        if bad.any():
            findings.append(_invalid(bad, raw, file, name, spec.kind))
    else:
        values, bad = to_text(raw), np.zeros(len(raw), dtype=bool)
        if spec.allowed:
            values, findings = _allowed(values, spec.allowed, file, name)
    if name in NOT_EMPTY:
        findings += _not_empty(values.isna().to_numpy() & ~bad, file, name)
    return values, findings


def _decimal(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Numbers as float64 (bad ones missing), and which values were bad."""
    if is_numeric_dtype(raw.dtype) and not is_bool_dtype(raw.dtype):
        values = raw.astype("float64")
        bad = np.isinf(values.to_numpy())
        return values.mask(bad), bad
    numbers = _stripped(to_text(raw))
    try:  # Arrow's cast is ~20x faster than pd.to_numeric, but stops at the first bad value
        values = pd.Series(pc.cast(pa.array(numbers.array), pa.float64()).to_numpy(zero_copy_only=False),
                           index=raw.index)
    except pa.ArrowInvalid:
        values = pd.to_numeric(numbers, errors="coerce").astype("float64")
    bad = (numbers.notna() & (values.isna() | np.isinf(values))).to_numpy()
    return values.mask(bad), bad


def _datetime(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Date-times in UTC (bad ones missing), and which values were bad."""
    if is_datetime64_any_dtype(raw.dtype):
        values = raw.dt.tz_localize("UTC") if raw.dt.tz is None else raw.dt.tz_convert("UTC")
        return values.astype(DATETIME), np.zeros(len(raw), dtype=bool)
    codes, uniques = pd.factorize(_stripped(to_text(raw)))  # parse each distinct value once
    parsed = np.full(len(uniques), np.datetime64("NaT"), dtype="datetime64[us]")
    for fmt in DATE_FORMATS:
        todo = np.isnat(parsed)
        if not todo.any():
            break
        found = pd.to_datetime(uniques[todo], format=fmt, utc=True, errors="coerce")
        parsed[todo] = found.tz_convert(None).as_unit("us").to_numpy()
    stamps = parsed[codes] if len(parsed) else np.full(len(codes), np.datetime64("NaT"), "datetime64[us]")
    stamps[codes < 0] = np.datetime64("NaT")
    return pd.Series(stamps, index=raw.index).dt.tz_localize("UTC"), (codes >= 0) & np.isnat(stamps)


def _json(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """JSON objects as text (`{}` and bad values missing), and which values were bad."""
    text = to_text(raw)
    codes, uniques = pd.factorize(text)
    state = np.array([_json_state(u) for u in uniques], dtype=np.int8)  # 1 object, 0 empty, -1 invalid
    per_row = np.where(codes >= 0, state[codes] if len(state) else 0, 0)
    return text.where(per_row == 1), per_row == -1


_PARSERS = {"decimal": _decimal, "datetime": _datetime, "json": _json}


def _invalid(bad: np.ndarray, raw: pd.Series, file: str, name: str, kind: str) -> Finding:
    """The finding for values of a column that could not be read as its kind."""
    rows, where = _sample(bad, raw)
    count = _are(int(bad.sum()), "value")
    if kind == "decimal":
        return Finding("error", file, name, f"{count} not a number ({where}); amounts must be plain numbers "
                       "such as 1234.56 or -0.5, without currency signs or thousands separators", rows)
    if kind == "json":
        return Finding("warning", file, name, f"{count} not a JSON object, so left empty ({where})", rows)
    examples = "expected dates such as 2024-09-18 22:00:00, 2024-09-18T22:00:00Z or 09/18/2024"
    if name in REQUIRED_TO_LOAD:
        return Finding("error", file, name, f"{count} not a date ({where}); {examples}", rows)
    # Other dates do not place a charge in time: the row can still be counted.
    return Finding("warning", file, name, f"{count} not a date, so left empty ({where}); {examples}", rows)


def _json_state(text: str) -> int:
    try:
        value = json.loads(text)
    except ValueError:
        return -1
    if not isinstance(value, dict):
        return -1
    return 1 if value else 0


def _allowed(values: pd.Series, allowed: tuple[str, ...], file: str, name: str
             ) -> tuple[pd.Series, list[Finding]]:
    """Correct the case of allowed values (`Usage-based` -> `Usage-Based`); report values not allowed."""
    spelling = {a.casefold(): a for a in allowed}
    distinct = {str(v): str(v).strip().casefold() for v in values.dropna().unique()}
    fixes = {v: spelling[key] for v, key in distinct.items() if key in spelling and spelling[key] != v}
    unknown = [v for v, key in distinct.items() if key not in spelling]
    findings = []
    if fixes:
        fixed = values.isin(list(fixes)).to_numpy(dtype=bool)
        rows, where = _sample(fixed)
        pairs = ", ".join(f"'{old}' → '{new}'" for old, new in fixes.items())
        findings.append(Finding("info", file, name, f"{_are(int(fixed.sum()), 'value')} written in another "
                                f"case, corrected: {pairs} ({where})", rows))
        values = values.replace(fixes)
    if unknown:
        wrong = values.isin(unknown).to_numpy(dtype=bool)
        rows, where = _sample(wrong)
        listed = ", ".join(map(_quote, unknown[:SAMPLE_SIZE]))
        listed += ", …" if len(unknown) > SAMPLE_SIZE else ""
        expected = ", ".join(allowed) if len(allowed) <= 20 else "see the FOCUS 1.2 specification"
        findings.append(Finding("warning", file, name, f"{_are(int(wrong.sum()), 'value')} not allowed in "
                                f"FOCUS 1.2: {listed} ({where}); allowed: {expected}", rows))
    return values, findings


def _not_empty(empty: np.ndarray, file: str, name: str) -> list[Finding]:
    if not empty.any():
        return []
    severity, consequence = NOT_EMPTY[name]
    rows, where = _sample(empty)
    return [Finding(severity, file, name, f"{_are(int(empty.sum()), 'row')} empty ({where}); {consequence}",
                    rows)]


def _are(count: int, word: str) -> str:
    """`1 value is`, `3 values are`."""
    return f"{plural(count, word)} {'is' if count == 1 else 'are'}"


def _sample(mask: np.ndarray, values: pd.Series | None = None) -> tuple[tuple[int, ...], str]:
    """Sample row numbers of `mask` and a phrase naming them (and their values)."""
    positions = np.flatnonzero(mask)[:SAMPLE_SIZE]
    rows = tuple(int(p) + ROW_OFFSET for p in positions)
    phrase = f"{'row' if len(rows) == 1 else 'rows'} {', '.join(map(str, rows))}"
    if mask.sum() > SAMPLE_SIZE:
        phrase += f" and {int(mask.sum()) - SAMPLE_SIZE:,} more"
    if values is not None:
        phrase += ": " + ", ".join(_quote(values.iloc[p]) for p in positions)
    return rows, phrase


def _quote(value: object) -> str:
    text = str(value)
    return repr(text if len(text) <= 40 else text[:39] + "…")
