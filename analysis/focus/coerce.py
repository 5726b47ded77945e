"""Column by column: FOCUS values (text, or typed Parquet) to FOCUS types, with findings.

Decimals become float64, date-times `datetime64[us, UTC]` (naive = UTC), everything else the
pandas "string" dtype; JSON columns hold a JSON object as text or are missing. Null is missing,
an empty cell, or one of NULL_TOKENS (NULL, null, None, NaN, ...); for numbers and dates also a
cell of only spaces. Amounts may be written as money (`$10,100.00`, `(12.50)`) and dates as US
short dates (`4/1/25`).

Values are range-checked against `LoadLimits` (dates, amounts); `check_rows` then checks what
involves several columns of a row (periods that end before they start, billing currencies).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pycountry
from pandas.api.types import is_bool_dtype, is_datetime64_any_dtype, is_numeric_dtype

from analysis.focus.limits import DEFAULT_LIMITS, LoadLimits
from analysis.focus.schema import AMOUNTS, COLUMNS, COST_COLUMNS, PERIODS, REQUIRED_TO_LOAD

ROW_OFFSET = 2  # row number of the first data row: the header is row 1, as in a spreadsheet
SAMPLE_SIZE = 5
NULL_TOKENS = ("", "NULL", "null", "Null", "None", "none", "NONE", "NaN", "nan", "NAN", "NaT")
# Tried in order on the values not yet parsed; US month/day/year as in Azure EA exports.
DATE_FORMATS = ("ISO8601", "%m/%d/%Y", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M:%S %p",
                "%m/%d/%Y %I:%M %p", "%m/%d/%y")
# Money as people write it: an optional sign or parentheses, an optional currency symbol, digits
# with comma thousands groups, an optional decimal point: `$10,100.00`, `-€5`, `($1,200)`.
_NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+"
_MONEY = re.compile(rf"(?P<sign>[-+]?)\s*[$€£¥]?\s*(?P<number>{_NUMBER})"
                    rf"|\(\s*[$€£¥]?\s*(?P<owed>{_NUMBER})\s*\)")
_NULL_SET = pa.array(NULL_TOKENS, pa.large_string())
STRING = "string"
DATETIME = "datetime64[us, UTC]"
# Columns that must not be empty, and how bad an empty value is.
NOT_EMPTY: dict[str, tuple[Literal["error", "warning"], str]] = {
    "ChargePeriodStart": ("error", "every charge needs a start date"),
    "BilledCost": ("warning", "they count as zero in totals"),
    "EffectiveCost": ("warning", "they count as zero in totals"),
}
CURRENCY = "BillingCurrency"  # checked against ISO 4217; PricingCurrency may be a virtual currency
_FIRST_ROW = contextvars.ContextVar("first_row", default=ROW_OFFSET)


def row_number(position: int) -> int:
    """The row number users see for a 0-based position in the table being checked.

    A large file is checked in batches of rows (`rows_starting_at`), so the same position in a later
    batch names a later row of the file.
    """
    return int(position) + _FIRST_ROW.get()


@contextmanager
def rows_starting_at(first: int) -> Iterator[None]:
    """Number findings' rows from `first` (the row number of the table's first data row)."""
    token = _FIRST_ROW.set(first)
    try:
        yield
    finally:
        _FIRST_ROW.reset(token)


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


def coerce_column(raw: pd.Series, file: str, name: str, limits: LoadLimits = DEFAULT_LIMITS
                  ) -> tuple[pd.Series, list[Finding]]:
    """One column (FOCUS 1.2 name or `x_`) in its FOCUS type, and what was wrong with it."""
    spec = COLUMNS.get(name)
    if spec is None:
        return to_text(raw), []
    findings = []
    if spec.kind == "decimal":
        values, bad, money = _decimal(raw)
        findings += _invalid(bad, raw, file, name, spec.kind) + _money(money, raw, file, name)
        if name in AMOUNTS:
            findings += _too_large(values, raw, file, name, limits)
    elif spec.kind == "datetime":
        values, bad = _datetime(raw)
        findings += _invalid(bad, raw, file, name, spec.kind) + _out_of_range(values, raw, file, name, limits)
    elif spec.kind == "json":
        values, bad = _json(raw)
        findings += _invalid(bad, raw, file, name, spec.kind)
    else:
        values, bad = to_text(raw), np.zeros(len(raw), dtype=bool)
        if spec.allowed:
            values, findings = _allowed(values, spec.allowed, file, name)
    if name in NOT_EMPTY:
        findings += _not_empty(values.isna().to_numpy() & ~bad, file, name)
    return values, findings


def _decimal(raw: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Numbers as float64 (bad ones missing), which values were bad, and which were written as money."""
    if is_numeric_dtype(raw.dtype) and not is_bool_dtype(raw.dtype):
        values = raw.astype("float64")
        bad = np.isinf(values.to_numpy())
        return values.mask(bad), bad, np.zeros(len(raw), dtype=bool)
    numbers = _stripped(to_text(raw))
    try:  # Arrow's cast is ~20x faster than pd.to_numeric, but stops at the first bad value
        values = pd.Series(pc.cast(pa.array(numbers.array), pa.float64()).to_numpy(zero_copy_only=False),
                           index=raw.index)
    except pa.ArrowInvalid:
        values = pd.to_numeric(numbers, errors="coerce").astype("float64")
    unread = (numbers.notna() & values.isna()).to_numpy()
    money = np.zeros(len(raw), dtype=bool)
    if unread.any():
        codes, uniques = pd.factorize(numbers[unread])  # each distinct value once
        amounts = np.array([_money_amount(u) for u in uniques], dtype="float64")
        values[unread] = amounts[codes]
        money[unread] = ~np.isnan(amounts[codes])
    bad = (numbers.notna() & (values.isna() | np.isinf(values))).to_numpy()
    return values.mask(bad), bad, money


def _money_amount(text: str) -> float:
    """`$10,100.00` -> 10100.0, `($5)` -> -5.0; NaN unless the whole text is money (see _MONEY)."""
    match = _MONEY.fullmatch(text)
    if match is None:
        return np.nan
    number = (match["number"] or match["owed"]).replace(",", "")
    return -float(number) if match["owed"] or match["sign"] == "-" else float(number)


def _datetime(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Date-times in UTC (bad ones missing), and which values were bad."""
    if is_datetime64_any_dtype(raw.dtype):
        values = raw.dt.tz_localize("UTC") if raw.dt.tz is None else raw.dt.tz_convert("UTC")
        return values.astype(DATETIME), np.zeros(len(raw), dtype=bool)
    codes, uniques = pd.factorize(_stripped(to_text(raw)))  # parse each distinct value once
    parsed = np.full(len(uniques), np.datetime64("NaT"), dtype="datetime64[us]")
    # Twice: pandas picks one resolution per call, so a value with nanoseconds makes a year-9999
    # value in the same call unreadable; the second round reads the leftovers on their own.
    for fmt in DATE_FORMATS * 2:
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


def _invalid(bad: np.ndarray, raw: pd.Series, file: str, name: str, kind: str) -> list[Finding]:
    """The finding for values of a column that could not be read as its kind, if any."""
    if not bad.any():
        return []
    rows, where = _sample(bad, raw)
    count = _are(int(bad.sum()), "value")
    if kind == "decimal":
        return [Finding("error", file, name, f"{count} not a number ({where}); amounts must be numbers "
                        "such as 1234.56, -0.5 or $1,234.56", rows)]
    if kind == "json":
        return [Finding("warning", file, name, f"{count} not a JSON object (or nested too deeply), so left "
                        f"empty ({where})", rows)]
    examples = "expected dates such as 2024-09-18 22:00:00, 2024-09-18T22:00:00Z or 09/18/2024"
    if name in REQUIRED_TO_LOAD:
        return [Finding("error", file, name, f"{count} not a date ({where}); {examples}", rows)]
    # Other dates do not place a charge in time: the row can still be counted.
    return [Finding("warning", file, name, f"{count} not a date, so left empty ({where}); {examples}", rows)]


def _money(money: np.ndarray, raw: pd.Series, file: str, name: str) -> list[Finding]:
    if not money.any():
        return []
    rows, where = _sample(money, raw)
    return [Finding("info", file, name, f"{_are(int(money.sum()), 'value')} written as money ({where}), "
                    "read as numbers without the currency sign and thousands separators", rows)]


def _too_large(values: pd.Series, raw: pd.Series, file: str, name: str, limits: LoadLimits) -> list[Finding]:
    large = (values.abs() > limits.max_abs_amount).to_numpy()
    if not large.any():
        return []
    rows, where = _sample(large, raw)
    return [Finding("error", file, name, f"{_are(int(large.sum()), 'value')} larger than "
                    f"{limits.max_abs_amount:,.0f} in magnitude ({where}); no single charge is that large, "
                    "so the file is taken to be wrong", rows)]


def _out_of_range(values: pd.Series, raw: pd.Series, file: str, name: str, limits: LoadLimits
                  ) -> list[Finding]:
    earliest, latest = (pd.Timestamp(day, tz="UTC") for day in (limits.earliest, limits.latest))
    outside = ((values < earliest) | (values >= latest)).to_numpy()
    if not outside.any():
        return []
    rows, where = _sample(outside, raw)
    last = limits.latest - dt.timedelta(days=1)
    return [Finding("error", file, name, f"{_are(int(outside.sum()), 'date')} outside {limits.earliest} to "
                    f"{last} ({where}); dates that far off are placeholders or typos", rows)]


def _json_state(text: str) -> int:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested too deeply to read
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
        findings.append(_corrected(values, fixes, file, name, "in another case"))
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


def _corrected(values: pd.Series, fixes: dict[str, str], file: str, name: str, how: str) -> Finding:
    """The info finding for values written `how` and corrected as `fixes` says."""
    fixed = values.isin(list(fixes)).to_numpy(dtype=bool)
    rows, where = _sample(fixed)
    pairs = ", ".join(f"{_quote(old)} → {_quote(new)}" for old, new in fixes.items())
    return Finding("info", file, name, f"{_are(int(fixed.sum()), 'value')} written {how}, corrected: "
                   f"{pairs} ({where})", rows)


def _not_empty(empty: np.ndarray, file: str, name: str) -> list[Finding]:
    if not empty.any():
        return []
    severity, consequence = NOT_EMPTY[name]
    rows, where = _sample(empty)
    return [Finding(severity, file, name, f"{_are(int(empty.sum()), 'row')} empty ({where}); {consequence}",
                    rows)]


def check_rows(frame: pd.DataFrame, original: Mapping[str, pd.Series], file: str
               ) -> tuple[pd.DataFrame, list[Finding]]:
    """Checks across the columns of each row of a coerced frame; `original` holds the values as read.

    A period (charge, billing) must not end before it starts; BillingCurrency must be an ISO 4217
    code (case and spaces are corrected) and may only be empty on rows whose costs are all zero.
    """
    findings = []
    for start, end in PERIODS:
        if start in frame and end in frame:
            findings += _ends_before_start(frame, original, file, start, end)
    if CURRENCY in frame:
        frame[CURRENCY], found = _currency_codes(frame[CURRENCY], file)
        findings += found + _currency_missing(frame, file)
    return frame, findings


def _ends_before_start(frame: pd.DataFrame, original: Mapping[str, pd.Series], file: str, start: str,
                       end: str) -> list[Finding]:
    early = (frame[end] < frame[start]).to_numpy(dtype=bool, na_value=False)
    if not early.any():
        return []
    rows, where = _sample(early)
    pairs = ", ".join(f"{_quote(original[start].iloc[p])} → {_quote(original[end].iloc[p])}"
                      for p in np.flatnonzero(early)[:SAMPLE_SIZE])
    return [Finding("error", file, end, f"{_are(int(early.sum()), 'row')} earlier than {start} ({where}, "
                    f"{start} → {end}: {pairs}); a period cannot end before it starts", rows)]


def _currency_codes(written: pd.Series, file: str) -> tuple[pd.Series, list[Finding]]:
    """Currencies as ISO 4217 codes in upper case (blank is empty), and what was wrong with them."""
    values = written.where(written.str.strip() != "")
    codes = {str(v): str(v).strip().upper() for v in values.dropna().unique()}
    known = {v: code for v, code in codes.items() if pycountry.currencies.get(alpha_3=code) is not None}
    fixes = {v: code for v, code in known.items() if code != v}
    findings = []
    if fixes:
        findings.append(_corrected(values, fixes, file, CURRENCY, "in another case or with spaces"))
    unknown = values.notna().to_numpy() & ~values.isin(list(known)).to_numpy(dtype=bool)
    if unknown.any():
        rows, where = _sample(unknown, written)
        findings.append(Finding("error", file, CURRENCY, f"{_are(int(unknown.sum()), 'value')} not an "
                                f"ISO 4217 currency code ({where}); expected codes such as USD, EUR or JPY",
                                rows))
    return values.replace(fixes), findings


def _currency_missing(frame: pd.DataFrame, file: str) -> list[Finding]:
    """An empty currency is an error on a row with a cost, and needs none on a row without."""
    empty = frame[CURRENCY].isna().to_numpy()
    if not empty.any():
        return []
    costs = [frame[c].fillna(0).to_numpy() != 0 for c in COST_COLUMNS if c in frame]
    charged = empty & np.logical_or.reduce(costs)
    findings = []
    if charged.any():
        rows, where = _sample(charged)
        findings.append(Finding("error", file, CURRENCY, f"{_are(int(charged.sum()), 'row')} empty although "
                                f"they hold a cost that is not zero ({where}); every amount needs a currency", rows))
    free = empty & ~charged
    if free.any():
        rows, where = _sample(free)
        findings.append(Finding("info", file, CURRENCY, f"{_are(int(free.sum()), 'row')} empty, with costs "
                                f"all zero or empty, so no currency is needed ({where})", rows))
    return findings


def _are(count: int, word: str) -> str:
    """`1 value is`, `3 values are`."""
    return f"{plural(count, word)} {'is' if count == 1 else 'are'}"


def _sample(mask: np.ndarray, values: pd.Series | None = None) -> tuple[tuple[int, ...], str]:
    """Sample row numbers of `mask` and a phrase naming them (and their values)."""
    positions = np.flatnonzero(mask)[:SAMPLE_SIZE]
    rows = tuple(row_number(p) for p in positions)
    phrase = f"{'row' if len(rows) == 1 else 'rows'} {', '.join(map(str, rows))}"
    if mask.sum() > SAMPLE_SIZE:
        phrase += f" and {int(mask.sum()) - SAMPLE_SIZE:,} more"
    if values is not None:
        phrase += ": " + ", ".join(_quote(values.iloc[p]) for p in positions)
    return rows, phrase


def _quote(value: object) -> str:
    # Timestamps beyond Python's years 1-9999 have no str(); numpy writes any of them.
    if isinstance(value, pd.Timestamp):
        value = np.datetime_as_string(value.to_datetime64())
    text = str(value)
    return repr(text if len(text) <= 40 else text[:39] + "…")
