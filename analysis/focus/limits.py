"""Limits a loaded file must keep: values outside them reject the file (or, for the cache, its load)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class LoadLimits:
    """What a load accepts; every field has a documented default.

    - `earliest`, `latest`: every date-time column lies in [earliest, latest); a year 0001 or
      9999 is a typo or a placeholder, not a charge.
    - `max_abs_amount`: the largest magnitude of one row's cost or unit price (FOCUS `*Cost` and
      `*UnitPrice` columns), in its currency; 1e12 is far above any real line item.
    - `max_tag_columns`: how many distinct tag keys the cache turns into `x_tag_*` columns.
    - `memory_limit`: the memory the cache's query engine may use (DuckDB syntax, e.g. "2GB").
    """

    earliest: dt.date = dt.date(2000, 1, 1)
    latest: dt.date = dt.date(2100, 1, 1)
    max_abs_amount: float = 1e12
    max_tag_columns: int = 200
    memory_limit: str = "2GB"


DEFAULT_LIMITS = LoadLimits()
