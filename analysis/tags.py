"""Tags: turn the FOCUS `Tags` JSON into one queryable column per tag key.

Keys are matched case-insensitively (`Team` and `team` are one key), so each key becomes one
column `x_tag_<key>`; the spellings seen are kept so that the Tags page can show them as a
hygiene problem. Values are kept as written (`prod` and `production` stay distinct).
"""

from __future__ import annotations

import json
import re
from collections import Counter

import numpy as np
import pandas as pd

TAG_PREFIX = "x_tag_"
TAGGED_COLUMN = "x_Tagged"


def tag_column(key: str) -> str:
    """Column name holding tag `key` (case-insensitive; characters other than a-z0-9 become `_`)."""
    return TAG_PREFIX + re.sub(r"[^a-z0-9]+", "_", key.strip().lower()).strip("_")


def _parse(text: object) -> dict[str, str]:
    if not isinstance(text, str) or not text.strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items() if v is not None and str(v) != ""}


def extract_tag_columns(tags: pd.Series) -> tuple[pd.DataFrame, dict[str, Counter]]:
    """Split a Series of Tags JSON strings into `x_tag_*` columns plus an `x_Tagged` flag.

    Returns the new columns (same index as `tags`) and, per column, a Counter of the key
    spellings seen (counted per row). JSON is parsed once per distinct value, so this stays
    fast on millions of rows with a few thousand distinct tag sets.
    """
    codes, uniques = pd.factorize(tags, use_na_sentinel=True)
    parsed = [_parse(u) for u in uniques]
    rows_per_unique = np.bincount(codes[codes >= 0], minlength=len(uniques))
    spellings: dict[str, Counter] = {}
    per_column: dict[str, list[object]] = {}
    for i, pairs in enumerate(parsed):
        for key, value in pairs.items():
            column = tag_column(key)
            if column == TAG_PREFIX:
                continue
            spellings.setdefault(column, Counter())[key] += int(rows_per_unique[i])
            values = per_column.setdefault(column, [None] * len(uniques))
            if values[i] is None:  # first spelling wins when a row has both `Team` and `team`
                values[i] = value
    out = pd.DataFrame(index=tags.index)
    valid = codes >= 0
    for column in sorted(per_column):
        lookup = np.array(per_column[column] + [None], dtype=object)
        out[column] = pd.array(lookup[np.where(valid, codes, -1)], dtype="string")
    has_tags = np.array([bool(p) for p in parsed] + [False])
    out[TAGGED_COLUMN] = has_tags[np.where(valid, codes, -1)]
    return out, spellings


def display_key(spellings: Counter) -> str:
    """The key as users should see it: its most common spelling, lower-cased."""
    return spellings.most_common(1)[0][0].lower() if spellings else ""
