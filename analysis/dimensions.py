"""The dimensions users filter and group by, with plain-English labels."""

from __future__ import annotations

from analysis.tags import TAG_PREFIX, tag_column

METRICS: dict[str, str] = {
    "EffectiveCost": "Effective cost (amortized)",
    "BilledCost": "Billed cost (invoice)",
    "ListCost": "List cost (public price)",
    "ContractedCost": "Contracted cost (negotiated price)",
}

# Kept in the daily rollup: cheap to filter and group by on every page.
ROLLUP_DIMENSIONS: dict[str, str] = {
    "ProviderName": "Provider",
    "BillingAccountId": "Billing account ID",
    "BillingAccountName": "Billing account",
    "SubAccountId": "Sub-account ID",
    "SubAccountName": "Sub-account",
    "ServiceCategory": "Service category",
    "ServiceName": "Service",
    "RegionId": "Region",
    "ChargeCategory": "Charge category",
    "PricingCategory": "Pricing category",
    "CommitmentDiscountStatus": "Commitment status",
    "BillingCurrency": "Currency",
}

# Only on line items: used for drill-downs.
LINE_DIMENSIONS: dict[str, str] = {
    "ResourceId": "Resource ID",
    "ResourceName": "Resource",
    "ResourceType": "Resource type",
    "SkuId": "SKU",
    "AvailabilityZone": "Availability zone",
    "CommitmentDiscountId": "Commitment ID",
    "ChargeDescription": "Charge description",
}

DIMENSIONS: dict[str, str] = {**ROLLUP_DIMENSIONS, **LINE_DIMENSIONS}

MISSING = "(none)"
UNTAGGED = "(untagged)"


def is_tag(dimension: str) -> bool:
    """True for a tag dimension, written `tag:<key>`."""
    return dimension.startswith("tag:")


def column_of(dimension: str) -> str:
    """Physical column of a dimension: a FOCUS column, or `x_tag_<key>` for `tag:<key>`."""
    return tag_column(dimension[4:]) if is_tag(dimension) else dimension


def tag_dimension(column: str) -> str:
    """`x_tag_team` -> `tag:team`."""
    return "tag:" + column[len(TAG_PREFIX):]


def label(dimension: str) -> str:
    """Human label of a dimension (`tag:team` -> `Tag: team`)."""
    return f"Tag: {dimension[4:]}" if is_tag(dimension) else DIMENSIONS.get(dimension, dimension)


def missing_label(dimension: str) -> str:
    """What an empty value of this dimension is called on screen."""
    return UNTAGGED if is_tag(dimension) else MISSING
