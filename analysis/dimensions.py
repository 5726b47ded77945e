"""The dimensions users filter and group by, with plain-English labels."""

from __future__ import annotations

import re

from analysis.focus.schema import COLUMNS, TAG_PREFIX

# Effective cost first: the default metric for analysis (amortized), as DESIGN.md says.
METRICS: dict[str, str] = {m: COLUMNS[m].label for m in ("EffectiveCost", "BilledCost", "ListCost", "ContractedCost")}

# Kept in the daily rollup: cheap to filter and group by on every page.
ROLLUP_DIMENSIONS: tuple[str, ...] = (
    "ProviderName", "BillingAccountId", "BillingAccountName", "SubAccountId", "SubAccountName",
    "ServiceCategory", "ServiceName", "RegionId", "ChargeCategory", "PricingCategory",
    "CommitmentDiscountStatus", "BillingCurrency",
)
# Only on line items: used for drill-downs.
LINE_DIMENSIONS: tuple[str, ...] = (
    "ResourceId", "ResourceName", "ResourceType", "SkuId", "AvailabilityZone", "CommitmentDiscountId",
    "ChargeDescription",
)
# Dimension -> label users see (the FOCUS catalogue's plain-English name).
DIMENSIONS: dict[str, str] = {d: COLUMNS[d].label for d in ROLLUP_DIMENSIONS + LINE_DIMENSIONS}

MISSING = "(none)"
UNTAGGED = "(untagged)"


def tag_column(key: str) -> str:
    """Column name holding tag `key` (case-insensitive; characters other than a-z0-9 become `_`)."""
    return TAG_PREFIX + re.sub(r"[^a-z0-9]+", "_", key.strip().lower()).strip("_")


def is_tag(dimension: str) -> bool:
    """True for a tag dimension, written `tag:<key>`."""
    return dimension.startswith("tag:")


def is_allocation(dimension: str) -> bool:
    """True for an allocation dimension, written `alloc:<name>` (the rule-based owner)."""
    return dimension.startswith("alloc:")


def column_of(dimension: str) -> str:
    """Physical column of a dimension: a FOCUS column, or `x_tag_<key>` for `tag:<key>`."""
    return tag_column(dimension[4:]) if is_tag(dimension) else dimension


def tag_dimension(column: str) -> str:
    """`x_tag_team` -> `tag:team`."""
    return "tag:" + column[len(TAG_PREFIX):]


def label(dimension: str) -> str:
    """Human label of a dimension (`tag:team` -> `Tag: team`)."""
    if is_allocation(dimension):
        return f"{dimension[6:]} (allocation)"
    return f"Tag: {dimension[4:]}" if is_tag(dimension) else DIMENSIONS.get(dimension, dimension)


def missing_label(dimension: str) -> str:
    """What an empty value of this dimension is called on screen."""
    return UNTAGGED if is_tag(dimension) else MISSING
