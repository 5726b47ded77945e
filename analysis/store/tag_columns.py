"""Tag columns at ingest: turn the FOCUS `Tags` JSON into one queryable column per tag key.

Keys are matched case-insensitively (`Team` and `team` are one key), so each key becomes one
column `x_tag_<key>`; the spellings seen are kept so that the Tags page can show them as a
hygiene problem. Values are kept as written (`prod` and `production` stay distinct).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable

import numpy as np
import pandas as pd

from analysis.dimensions import tag_column
from analysis.focus.schema import TAG_PREFIX, TAGGED_COLUMN


def _parse(text: object) -> dict[str, str]:
    """Tag key -> value text; {} unless `text` is a JSON object. Nested values become their JSON
    text, or are dropped when nested too deeply to write back."""
    if not isinstance(text, str) or not text.strip():
        return {}
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested too deeply to read
        return {}
    if not isinstance(value, dict):
        return {}
    pairs = {}
    for key, item in value.items():
        if isinstance(item, (dict, list)):
            try:
                item = json.dumps(item, ensure_ascii=False)
            except (ValueError, RecursionError):
                continue
        if item is not None and str(item) != "":
            pairs[str(key)] = str(item)
    return pairs


def count_spellings(tags: pd.Series) -> dict[str, Counter]:
    """Per tag column name, how many rows wrote the key each way (`Team`: 3, `team`: 5)."""
    codes, uniques = pd.factorize(tags, use_na_sentinel=True)
    return _spellings([_parse(u) for u in uniques], codes)


def _spellings(parsed: list[dict[str, str]], codes: np.ndarray) -> dict[str, Counter]:
    rows_per_unique = np.bincount(codes[codes >= 0], minlength=len(parsed))
    spellings: dict[str, Counter] = {}
    for i, pairs in enumerate(parsed):
        for key in pairs:
            column = tag_column(key)
            if column != TAG_PREFIX:
                spellings.setdefault(column, Counter())[key] += int(rows_per_unique[i])
    return spellings


def extract_tag_columns(
    tags: pd.Series, allowed: Callable[[list[str]], set[str]] | None = None
) -> tuple[pd.DataFrame, dict[str, Counter]]:
    """Split a Series of Tags JSON strings into `x_tag_*` columns plus an `x_Tagged` flag.

    Returns the new columns (same index as `tags`) and, per tag column name, a Counter of the key
    spellings seen (counted per row). `allowed`, given the column names seen (most rows first),
    returns those that may become columns; the other keys stay in `Tags` only. JSON is parsed once
    per distinct value, so this stays fast on millions of rows with a few thousand distinct tag sets.
    """
    codes, uniques = pd.factorize(tags, use_na_sentinel=True)
    parsed = [_parse(u) for u in uniques]
    spellings = _spellings(parsed, codes)
    ranked = sorted(spellings, key=lambda c: (-spellings[c].total(), c))
    chosen = set(ranked) if allowed is None else set(allowed(ranked)) & set(ranked)
    per_column: dict[str, list[object]] = {c: [None] * (len(uniques) + 1) for c in chosen}
    for i, pairs in enumerate(parsed):
        for key, value in pairs.items():
            values = per_column.get(tag_column(key))
            if values is not None and values[i] is None:  # first spelling wins when a row has `Team` and `team`
                values[i] = value
    position = np.where(codes >= 0, codes, -1)
    columns = {c: pd.array(np.array(per_column[c], dtype=object)[position], dtype="string")
               for c in sorted(per_column)}
    has_tags = np.array([bool(p) for p in parsed] + [False])
    columns[TAGGED_COLUMN] = has_tags[position]
    return pd.DataFrame(columns, index=tags.index), spellings


def display_key(spellings: Counter) -> str:
    """The key as users should see it: its most common spelling, lower-cased."""
    return spellings.most_common(1)[0][0].lower() if spellings else ""
