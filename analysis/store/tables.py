"""The two tables every engine holds: `focus_lines` (FOCUS line items plus the cache's own columns)
and `focus_daily`, a daily rollup by the common dimensions that answers most page queries."""

from __future__ import annotations

import ibis.expr.types as ir

from analysis.dimensions import METRICS, ROLLUP_DIMENSIONS
from analysis.focus.schema import DATE_COLUMN, TAG_PREFIX, TAGGED_COLUMN

LINES = "focus_lines"
DAILY = "focus_daily"
DATE = DATE_COLUMN


def daily_rollup(lines: ir.Table) -> ir.Table:
    """The `focus_daily` rollup of a line-item table: sums per day and common dimension."""
    keys = [DATE, *[c for c in ROLLUP_DIMENSIONS if c in lines.columns]]
    keys += [c for c in lines.columns if c.startswith(TAG_PREFIX)] + [TAGGED_COLUMN]
    return lines.group_by(keys).aggregate(
        **{m: lines[m].sum() for m in METRICS}, x_Rows=lines[DATE].count()
    )
