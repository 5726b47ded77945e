"""Text from a bill stays text in spreadsheets: CSV cells that no spreadsheet runs as a formula.

Following OWASP's CSV injection guidance, a text cell starting with `=`, `+`, `-`, `@`, a tab or a
carriage return is prefixed with a single quote, so Excel, LibreOffice and Google Sheets show it
as text. Numbers stay numbers (a negative cost is still a number), and cells with line breaks,
commas or quotes are quoted as CSV requires.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence

import pandas as pd
from pandas.api.types import is_bool_dtype, is_datetime64_any_dtype, is_numeric_dtype

from analysis.rounding import round_columns

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A text value that cannot start a formula; anything that is not text is returned as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells and column names are neutralised; numeric and date columns untouched."""
    out = frame.copy()
    for column in out.columns:
        kind = out[column].dtype
        if not (is_numeric_dtype(kind) or is_bool_dtype(kind) or is_datetime64_any_dtype(kind)):
            out[column] = out[column].map(neutralise, na_action="ignore")
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def safe_csv(frame: pd.DataFrame, money: Sequence[str] = ()) -> bytes:
    """The frame as UTF-8 CSV bytes for a download, with every text cell neutralised and the `money`
    columns in cents that add up to their rounded totals."""
    out = round_columns(frame, [c for c in money if c in frame])
    return safe_frame(out).to_csv(index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n").encode()


def download_name(*parts: object, suffix: str = ".csv") -> str:
    """A file name from its parts (what, metric, currency, first and last day...), safe on every system:
    `spend_by_ServiceName_EffectiveCost_USD_2026-06-01_to_2026-11-29.csv`."""
    text = "_".join(str(p) for p in parts if p not in (None, ""))
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-_") + suffix
