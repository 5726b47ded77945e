"""The dimensions users filter and group by (FOCUS columns, tag keys, allocation dimensions), the cost
metrics, and their plain-English labels."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

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


TOTAL = "Total"  # the whole bill as one scope or series (monitors, forecasts, charts)
TAG, ALLOCATION = "tag:", "alloc:"


@dataclass(frozen=True)
class Dimension:
    """A dimension users filter and group by: a FOCUS column, a tag key (`tag:<key>`) or an allocation
    dimension (`alloc:<name>`, the owner the rules give). Its text form is what filters, URLs and
    cache keys carry; this type is the one place that reads and writes it."""

    kind: Literal["column", "tag", "allocation"]
    name: str  # the column, the tag key as written, or the allocation dimension's name

    @classmethod
    def parse(cls, text: str) -> Dimension:
        """`tag:team` -> a tag dimension, `alloc:Team` -> an allocation dimension, else a column."""
        if text.startswith(TAG):
            return cls("tag", text.removeprefix(TAG))
        if text.startswith(ALLOCATION):
            return cls("allocation", text.removeprefix(ALLOCATION))
        return cls("column", text)

    @classmethod
    def tag(cls, key: str) -> Dimension:
        return cls("tag", key)

    @classmethod
    def allocation(cls, name: str) -> Dimension:
        return cls("allocation", name)

    @classmethod
    def of_tag_column(cls, column: str) -> Dimension:
        """`x_tag_team` -> the tag dimension `tag:team`."""
        return cls("tag", column.removeprefix(TAG_PREFIX))

    def __str__(self) -> str:
        return {"tag": TAG, "allocation": ALLOCATION, "column": ""}[self.kind] + self.name

    @property
    def column(self) -> str:
        """The physical column: the FOCUS column, or `x_tag_<key>` (allocation dimensions have none)."""
        return tag_column(self.name) if self.kind == "tag" else self.name

    @property
    def label(self) -> str:
        """What users read: the FOCUS catalogue's name, `Tag: team` or `Team (allocation)`."""
        if self.kind == "allocation":
            return f"{self.name} (allocation)"
        return f"Tag: {self.name}" if self.kind == "tag" else DIMENSIONS.get(self.name, self.name)

    @property
    def missing_label(self) -> str:
        """What an empty value is called on screen."""
        return UNTAGGED if self.kind == "tag" else MISSING


def tag_column(key: str) -> str:
    """Column name holding tag `key` (case-insensitive; characters other than a-z0-9 become `_`)."""
    return TAG_PREFIX + re.sub(r"[^a-z0-9]+", "_", key.strip().lower()).strip("_")


def is_tag(dimension: str) -> bool:
    """True for a tag dimension, written `tag:<key>`."""
    return Dimension.parse(dimension).kind == "tag"


def is_allocation(dimension: str) -> bool:
    """True for an allocation dimension, written `alloc:<name>` (the rule-based owner)."""
    return Dimension.parse(dimension).kind == "allocation"


def column_of(dimension: str) -> str:
    """Physical column of a dimension: a FOCUS column, or `x_tag_<key>` for `tag:<key>`."""
    return Dimension.parse(dimension).column


def tag_dimension(column: str) -> str:
    """`x_tag_team` -> `tag:team`."""
    return str(Dimension.of_tag_column(column))


def label(dimension: str) -> str:
    """Human label of a dimension (`tag:team` -> `Tag: team`)."""
    return Dimension.parse(dimension).label


def missing_label(dimension: str) -> str:
    """What an empty value of this dimension is called on screen."""
    return Dimension.parse(dimension).missing_label
