"""Oracle Cloud (OCI) cost reports to FOCUS 1.2.

A cost report (`lineItem/...`, `product/...`, `usage/...`, `cost/...`, `tags/<namespace>.<key>` columns,
one row per resource and hour) is recognised by `lineItem/intervalUsageStart` with `cost/...` columns. The
mapping follows the FinOps Foundation's OCI table (tests/fixtures/reference/focus_conversion_rules/oci.csv),
fixed where it predates FOCUS 1.0: BilledCost is `cost/myCost` (what the invoice adds up; the table's
`cost/myCostOverage` is only the part beyond a commitment and is usually empty), a correction line
(`lineItem/isCorrection`) is an Adjustment, and the billing period is the calendar month of the charge.
A cost report carries no list price and no amortization, so ListCost, ContractedCost and EffectiveCost are
the cost too. Compartments, the subscription, overage amounts and the reference numbers are kept as `x_`
columns; tags become one JSON object keyed `<namespace>.<key>`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.focus.coerce import Finding, row_number
from analysis.sources import FORMATS, NativeFormat

START, COST = "lineItem/intervalUsageStart", "cost/myCost"
RENAMED = {
    "lineItem/intervalUsageStart": "ChargePeriodStart",
    "lineItem/intervalUsageEnd": "ChargePeriodEnd",
    "cost/subscriptionId": "BillingAccountId",
    "lineItem/tenantId": "SubAccountId",
    "product/service": "ServiceName",
    "product/region": "RegionId",
    "product/availabilityDomain": "AvailabilityZone",
    "product/resourceId": "ResourceId",
    "cost/productSku": "SkuId",
    "product/Description": "ChargeDescription",
    "usage/billedQuantity": "ConsumedQuantity",
    "cost/skuUnitDescription": "ConsumedUnit",
    "cost/currencyCode": "BillingCurrency",
}
KEPT = {
    "product/compartmentId": "x_CompartmentId",
    "product/compartmentName": "x_CompartmentName",
    "lineItem/referenceNo": "x_ReferenceNo",
    "lineItem/backreferenceNo": "x_BackreferenceNo",
    "cost/unitPrice": "x_UnitPrice",
    "cost/myCostOverage": "x_MyCostOverage",
    "usage/billedQuantityOverage": "x_BilledQuantityOverage",
    "cost/unitPriceOverage": "x_UnitPriceOverage",
    "cost/overageFlag": "x_OverageFlag",
    "cost/billingUnitReadable": "x_BillingUnitReadable",
}
CATEGORIES = {  # product/service -> FOCUS ServiceCategory
    "COMPUTE": "Compute", "FUNCTIONS": "Compute", "CONTAINER_ENGINE": "Compute",
    "DATABASE": "Databases", "MYSQL": "Databases", "NOSQL": "Databases",
    "NETWORK": "Networking", "LOAD_BALANCER": "Networking", "DNS": "Networking",
    "BLOCK_STORAGE": "Storage", "OBJECTSTORE": "Storage", "FILE_STORAGE": "Storage",
    "TELEMETRY": "Management and Governance", "LOGGING": "Management and Governance",
    "ORACLE_STREAMING_SERVICE": "Integration", "INTEGRATION": "Integration",
    "DATA_SCIENCE": "AI and Machine Learning", "AI_SERVICES": "AI and Machine Learning",
}
SUBCATEGORIES = {  # product/service -> FOCUS ServiceSubcategory (one of its category's); others "Other (...)"
    "COMPUTE": "Virtual Machines", "FUNCTIONS": "Serverless Compute", "CONTAINER_ENGINE": "Containers",
    "DATABASE": "Relational Databases", "MYSQL": "Relational Databases", "NOSQL": "NoSQL Databases",
    "NETWORK": "Network Connectivity", "LOAD_BALANCER": "Network Infrastructure", "DNS": "Network Routing",
    "BLOCK_STORAGE": "Block Storage", "OBJECTSTORE": "Object Storage", "FILE_STORAGE": "File Storage",
    "TELEMETRY": "Observability", "LOGGING": "Observability", "ORACLE_STREAMING_SERVICE": "Messaging",
    "DATA_SCIENCE": "Machine Learning", "AI_SERVICES": "AI Platforms",
}


def is_cost_report(columns: Sequence[str]) -> bool:
    """An OCI cost report: interval usage start and `cost/...` columns."""
    return START in columns and any(str(c).startswith("cost/") for c in columns)


def convert(raw: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[Finding]]:
    """The report in FOCUS column names (values as read; the loader coerces and checks them)."""
    if COST not in raw:
        return raw.iloc[:0], [Finding("error", file, COST, f"looks like an OCI cost report but has no {COST} column, "
                                      "so its cost cannot be read")]
    text = raw.astype("string")
    out = pd.DataFrame(index=raw.index)
    for source, target in {**RENAMED, **KEPT}.items():
        if source in text:
            out[target] = text[source]
    cost = text[COST]
    for column in ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost"):
        out[column] = cost
    out["ProviderName"] = out["PublisherName"] = out["InvoiceIssuerName"] = "Oracle"
    start = pd.to_datetime(text[START], utc=True, errors="coerce", format="ISO8601")
    month = start.dt.tz_localize(None).dt.to_period("M")
    out["BillingPeriodStart"] = month.dt.start_time.dt.strftime("%Y-%m-%dT00:00:00Z")
    out["BillingPeriodEnd"] = (month + 1).dt.start_time.dt.strftime("%Y-%m-%dT00:00:00Z")
    correction = text.get("lineItem/isCorrection", pd.Series("false", index=raw.index)).str.lower().eq("true")
    out["ChargeCategory"] = correction.map({True: "Adjustment", False: "Usage"})
    out["ChargeClass"] = correction.map({True: "Correction", False: pd.NA})
    service = text.get("product/service", pd.Series(pd.NA, index=raw.index, dtype="string"))
    out["ServiceCategory"] = service.map(lambda s: CATEGORIES.get(str(s).upper(), "Other"), na_action="ignore")
    out["ServiceSubcategory"] = service.map(
        lambda s: SUBCATEGORIES.get(str(s).upper(), f"Other ({CATEGORIES.get(str(s).upper(), 'Other')})"),
        na_action="ignore")
    out["ChargeFrequency"] = correction.map({True: "One-Time", False: "Usage-Based"})  # usage, or its correction
    out["PricingUnit"] = out.get("ConsumedUnit")
    out["PricingQuantity"] = out.get("ConsumedQuantity")
    out["Tags"] = _tags(text)
    findings = []
    unknown = service.notna() & ~service.str.upper().isin(CATEGORIES)
    if unknown.any():
        rows = tuple(row_number(i) for i in np.flatnonzero(unknown.to_numpy(dtype=bool))[:5])
        names = ", ".join(sorted(set(service[unknown].dropna()))[:5])
        findings.append(Finding("info", file, "ServiceCategory", f"services without a known category are "
                                f"'Other': {names}", rows))
    return out.reset_index(drop=True), findings


def _tags(text: pd.DataFrame) -> pd.Series:
    """One JSON object per row from the `tags/<namespace>.<key>` columns (empty cells left out)."""
    columns = [c for c in text.columns if str(c).startswith("tags/")]
    if not columns:
        return pd.Series(pd.NA, index=text.index, dtype="string")
    keys = [str(c).removeprefix("tags/") for c in columns]
    values = text[columns].to_numpy(dtype=object)
    rows = []
    for row in values:
        tags = {k: v for k, v in zip(keys, row, strict=True) if isinstance(v, str) and v != ""}
        rows.append(json.dumps(tags, ensure_ascii=False) if tags else None)
    return pd.Series(rows, index=text.index, dtype="string")


FORMATS.append(NativeFormat("OCI cost report", is_cost_report, convert))
