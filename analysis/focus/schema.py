"""The FOCUS 1.2 column catalogue: names, types, feature levels, allowed values and older names.

Checked against the FOCUS specification repository (tag v1.2, `specification/columns/*.md`):
57 columns, their data type, feature level, allowed values and the version each was introduced
in. Older and newer names that mean the same column are read as aliases:

- 0.5 `AmortizedCost` -> `EffectiveCost`, 0.5 `ChargeType` -> `ChargeCategory`;
- 0.5 / 1.0-preview `Region` -> `RegionId`;
- 1.0-preview `UsageQuantity` / `UsageUnit` -> `ConsumedQuantity` / `ConsumedUnit`;
- 1.3 `ServiceProviderName` -> `ProviderName` (1.3 deprecates `ProviderName`);
- `Provider`, `Publisher`, `InvoiceIssuer`: the names the FinOps Foundation's focus_converters
  write (see tests/fixtures/reference/focus_conversion_rules/).

1.0, 1.1 and 1.2 only added columns; none was renamed between them.

Some names are reserved for the columns the cache adds (`RESERVED_COLUMNS`, and `x_tag_*`): a
provider column of that name is read as `x_provider_<name without x_>` (see `canonical_name`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["string", "decimal", "datetime", "json"]

VERSIONS: tuple[str, ...] = ("0.5", "1.0-preview", "1.0", "1.1", "1.2", "1.3")
CUSTOM_PREFIX = "x_"
PROVIDER_PREFIX = "x_provider_"  # reserved names in a file are read with this prefix
SOURCE_COLUMN = "x_Source"  # the cache's column naming the file each row came from
DATE_COLUMN = "ChargeDate"  # the cache's day of ChargePeriodStart
TAG_PREFIX = "x_tag_"  # the cache's column of tag key <key> is x_tag_<key>
TAGGED_COLUMN = "x_Tagged"  # the cache's flag: the row has at least one tag
RESERVED_COLUMNS: tuple[str, ...] = (SOURCE_COLUMN, TAGGED_COLUMN, DATE_COLUMN)


@dataclass(frozen=True)
class FocusColumn:
    """One FOCUS 1.2 column."""

    name: str  # FOCUS 1.2 column ID
    kind: Kind
    mandatory: bool  # feature level Mandatory in 1.2 (else Conditional or Recommended)
    allowed: tuple[str, ...] | None = None  # allowed values, where the spec fixes them
    label: str = ""  # plain English, for finance users
    aliases: tuple[str, ...] = ()  # other FOCUS versions' (or tools') names for this column
    introduced: str = "1.2"  # FOCUS version that introduced the column


SERVICE_CATEGORIES = (
    "AI and Machine Learning", "Analytics", "Business Applications", "Compute", "Databases",
    "Developer Tools", "Multicloud", "Identity", "Integration", "Internet of Things",
    "Management and Governance", "Media", "Migration", "Mobile", "Networking", "Security",
    "Storage", "Web", "Other",
)

SERVICE_SUBCATEGORIES = (
    "AI Platforms", "Bots", "Generative AI", "Machine Learning", "Natural Language Processing",
    "Other (AI and Machine Learning)",
    "Analytics Platforms", "Business Intelligence", "Data Processing", "Search", "Streaming Analytics",
    "Other (Analytics)",
    "Productivity and Collaboration", "Other (Business Applications)",
    "Containers", "End User Computing", "Quantum Compute", "Serverless Compute", "Virtual Machines",
    "Other (Compute)",
    "Caching", "Data Warehouses", "Ledger Databases", "NoSQL Databases", "Relational Databases",
    "Time Series Databases", "Other (Databases)",
    "Developer Platforms", "Continuous Integration and Deployment", "Development Environments",
    "Source Code Management", "Quality Assurance", "Other (Developer Tools)",
    "Identity and Access Management", "Other (Identity)",
    "API Management", "Messaging", "Workflow Orchestration", "Other (Integration)",
    "IoT Analytics", "IoT Platforms", "Other (Internet of Things)",
    "Architecture", "Compliance", "Cost Management", "Data Governance", "Disaster Recovery",
    "Endpoint Management", "Observability", "Support", "Other (Management and Governance)",
    "Content Creation", "Gaming", "Media Streaming", "Mixed Reality", "Other (Media)",
    "Data Migration", "Resource Migration", "Other (Migration)",
    "Other (Mobile)",
    "Multicloud Integration", "Other (Multicloud)",
    "Application Networking", "Content Delivery", "Network Connectivity", "Network Infrastructure",
    "Network Routing", "Network Security", "Other (Networking)",
    "Secret Management", "Security Posture Management", "Threat Detection and Response",
    "Other (Security)",
    "Backup Storage", "Block Storage", "File Storage", "Object Storage", "Storage Platforms",
    "Other (Storage)",
    "Application Platforms", "Other (Web)",
    "Other (Other)",
)


def _subcategory_parents() -> dict[str, str]:
    """FOCUS ServiceSubcategory -> its ServiceCategory (the catalogue lists each category's subcategories,
    ending with `Other (<category>)`)."""
    parents, pending = {}, []
    for sub in SERVICE_SUBCATEGORIES:
        pending.append(sub)
        if sub.startswith("Other ("):
            parents.update(dict.fromkeys(pending, sub[len("Other ("):-1]))
            pending = []
    return parents


SUBCATEGORY_PARENT: dict[str, str] = _subcategory_parents()  # ServiceSubcategory -> its ServiceCategory


_USED_UNUSED = ("Used", "Unused")
_C = FocusColumn
_CATALOGUE: tuple[FocusColumn, ...] = (
    _C("AvailabilityZone", "string", False, label="Availability zone", introduced="0.5"),
    _C("BilledCost", "decimal", True, label="Billed cost (invoice)", introduced="0.5"),
    _C("BillingAccountId", "string", True, label="Billing account ID", introduced="0.5"),
    _C("BillingAccountName", "string", True, label="Billing account", introduced="0.5"),
    _C("BillingAccountType", "string", False, label="Billing account type"),
    _C("BillingCurrency", "string", True, label="Billing currency", introduced="0.5"),
    _C("BillingPeriodEnd", "datetime", True, label="Billing period end (exclusive)", introduced="0.5"),
    _C("BillingPeriodStart", "datetime", True, label="Billing period start", introduced="0.5"),
    _C("CapacityReservationId", "string", False, label="Capacity reservation ID", introduced="1.1"),
    _C("CapacityReservationStatus", "string", False, _USED_UNUSED, "Capacity reservation status",
       introduced="1.1"),
    _C("ChargeCategory", "string", True, ("Usage", "Purchase", "Tax", "Credit", "Adjustment"),
       "Charge category", ("ChargeType",), "0.5"),
    _C("ChargeClass", "string", True, ("Correction",), "Charge class (correction of a past period)",
       introduced="1.0"),
    _C("ChargeDescription", "string", True, label="Charge description", introduced="1.0-preview"),
    _C("ChargeFrequency", "string", False, ("One-Time", "Recurring", "Usage-Based"), "Charge frequency",
       introduced="1.0-preview"),
    _C("ChargePeriodEnd", "datetime", True, label="Charge period end (exclusive)", introduced="0.5"),
    _C("ChargePeriodStart", "datetime", True, label="Charge period start", introduced="0.5"),
    _C("CommitmentDiscountCategory", "string", False, ("Spend", "Usage"), "Commitment discount category",
       introduced="1.0-preview"),
    _C("CommitmentDiscountId", "string", False, label="Commitment discount ID", introduced="1.0-preview"),
    _C("CommitmentDiscountName", "string", False, label="Commitment discount", introduced="1.0-preview"),
    _C("CommitmentDiscountQuantity", "decimal", False, label="Commitment discount quantity",
       introduced="1.1"),
    _C("CommitmentDiscountStatus", "string", False, _USED_UNUSED, "Commitment discount status (used/unused)",
       introduced="1.0"),
    _C("CommitmentDiscountType", "string", False, label="Commitment discount type", introduced="1.0-preview"),
    _C("CommitmentDiscountUnit", "string", False, label="Commitment discount unit", introduced="1.1"),
    _C("ConsumedQuantity", "decimal", False, label="Consumed quantity", aliases=("UsageQuantity",),
       introduced="1.0"),
    _C("ConsumedUnit", "string", False, label="Consumed unit", aliases=("UsageUnit",), introduced="1.0"),
    _C("ContractedCost", "decimal", True, label="Contracted cost (negotiated price)", introduced="1.0"),
    _C("ContractedUnitPrice", "decimal", False, label="Contracted unit price", introduced="1.0"),
    _C("EffectiveCost", "decimal", True, label="Effective cost (amortized)", aliases=("AmortizedCost",),
       introduced="0.5"),
    _C("InvoiceId", "string", False, label="Invoice ID"),
    _C("InvoiceIssuerName", "string", True, label="Invoice issuer", aliases=("InvoiceIssuer",),
       introduced="0.5"),
    _C("ListCost", "decimal", True, label="List cost (public price)", introduced="1.0-preview"),
    _C("ListUnitPrice", "decimal", False, label="List unit price", introduced="1.0-preview"),
    _C("PricingCategory", "string", False, ("Standard", "Dynamic", "Committed", "Other"), "Pricing category",
       introduced="1.0-preview"),
    _C("PricingCurrency", "string", False, label="Pricing currency"),
    _C("PricingCurrencyContractedUnitPrice", "decimal", False,
       label="Contracted unit price (pricing currency)"),
    _C("PricingCurrencyEffectiveCost", "decimal", False, label="Effective cost (pricing currency)"),
    _C("PricingCurrencyListUnitPrice", "decimal", False, label="List unit price (pricing currency)"),
    _C("PricingQuantity", "decimal", True, label="Pricing quantity", introduced="1.0-preview"),
    _C("PricingUnit", "string", True, label="Pricing unit", introduced="1.0-preview"),
    _C("ProviderName", "string", True, label="Provider", aliases=("ServiceProviderName", "Provider"),
       introduced="0.5"),
    _C("PublisherName", "string", True, label="Publisher", aliases=("Publisher",), introduced="0.5"),
    _C("RegionId", "string", False, label="Region", aliases=("Region",), introduced="1.0"),
    _C("RegionName", "string", False, label="Region name", introduced="1.0"),
    _C("ResourceId", "string", False, label="Resource ID", introduced="0.5"),
    _C("ResourceName", "string", False, label="Resource", introduced="0.5"),
    _C("ResourceType", "string", False, label="Resource type", introduced="1.0-preview"),
    _C("ServiceCategory", "string", True, SERVICE_CATEGORIES, "Service category", introduced="0.5"),
    _C("ServiceName", "string", True, label="Service", introduced="0.5"),
    _C("ServiceSubcategory", "string", False, SERVICE_SUBCATEGORIES, "Service subcategory", introduced="1.1"),
    _C("SkuId", "string", False, label="SKU", introduced="1.0-preview"),
    _C("SkuMeter", "string", False, label="SKU meter", introduced="1.1"),
    _C("SkuPriceDetails", "json", False, label="SKU price details", introduced="1.1"),
    _C("SkuPriceId", "string", False, label="SKU price ID", introduced="1.0-preview"),
    _C("SubAccountId", "string", False, label="Sub-account ID", introduced="0.5"),
    _C("SubAccountName", "string", False, label="Sub-account", introduced="0.5"),
    _C("SubAccountType", "string", False, label="Sub-account type"),
    _C("Tags", "json", False, label="Tags", introduced="1.0-preview"),
)

COLUMNS: dict[str, FocusColumn] = {c.name: c for c in _CATALOGUE}
MANDATORY: tuple[str, ...] = tuple(c.name for c in _CATALOGUE if c.mandatory)
COST_COLUMNS: tuple[str, ...] = ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost")
REQUIRED_TO_LOAD: tuple[str, ...] = ("ChargePeriodStart", "BilledCost", "EffectiveCost")
# Money columns (costs and unit prices, in billing or pricing currency), as opposed to quantities.
AMOUNTS: tuple[str, ...] = tuple(c.name for c in _CATALOGUE
                                 if c.kind == "decimal" and c.name.endswith(("Cost", "UnitPrice")))
# (start, end) pairs of one row: the end must not be earlier than the start.
PERIODS: tuple[tuple[str, str], ...] = (("ChargePeriodStart", "ChargePeriodEnd"),
                                        ("BillingPeriodStart", "BillingPeriodEnd"))

# Columns FOCUS 1.3 adds to the cost and usage dataset (not 1.2 columns; seen only to guess the version).
FOCUS_1_3_COLUMNS = frozenset({
    "ServiceProviderName", "HostProviderName", "AllocatedMethodId", "AllocatedMethodDetails",
    "AllocatedResourceId", "AllocatedResourceName", "AllocatedTags", "ContractApplied",
})

_BY_FOLDED_NAME: dict[str, str] = {c.name.casefold(): c.name for c in _CATALOGUE}
_BY_FOLDED_ALIAS: dict[str, str] = {a.casefold(): c.name for c in _CATALOGUE for a in c.aliases}
_RESERVED_FOLDED = frozenset(c.casefold() for c in RESERVED_COLUMNS)


def clean_header(raw: str) -> str:
    """A header cell without byte-order marks and surrounding whitespace."""
    return raw.replace("\ufeff", "").strip()


def is_reserved(name: str) -> bool:
    """Whether a column name (any case) is one the cache adds: RESERVED_COLUMNS or `x_tag_*`."""
    folded = name.casefold()
    return folded in _RESERVED_FOLDED or folded.startswith(TAG_PREFIX.casefold())


def provider_name(name: str) -> str:
    """The name a provider column with a reserved name is read as: `x_Source` -> `x_provider_Source`."""
    bare = name[len(CUSTOM_PREFIX):] if name.casefold().startswith(CUSTOM_PREFIX) else name
    return PROVIDER_PREFIX + bare


def canonical_name(raw: str) -> str | None:
    """The FOCUS 1.2 name for a header cell, `x_` columns as they are, or None if not FOCUS.

    Matches exact names, then names in any case (`SkuPriceid`), then aliases in any case.
    Reserved names (`is_reserved`) are read as `provider_name(name)`.
    """
    name = clean_header(raw)
    if is_reserved(name):
        return provider_name(name)
    if name in COLUMNS or name.startswith(CUSTOM_PREFIX):
        return name
    folded = name.casefold()
    return _BY_FOLDED_NAME.get(folded) or _BY_FOLDED_ALIAS.get(folded)


def guess_version(headers: list[str]) -> str | None:
    """The oldest FOCUS version that has every FOCUS column named (a lower bound), or None.

    Aliases do not count (an old name does not date a file), except 1.3's new columns.
    """
    names = [clean_header(h) for h in headers]
    if any(n in FOCUS_1_3_COLUMNS for n in names):
        return "1.3"
    found = {_BY_FOLDED_NAME[n.casefold()] for n in names if n.casefold() in _BY_FOLDED_NAME}
    if not found:
        return None
    return max((COLUMNS[n].introduced for n in found), key=VERSIONS.index)
