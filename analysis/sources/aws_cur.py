"""AWS Cost and Usage Reports to FOCUS 1.2: legacy CUR (CSV `lineItem/UnblendedCost` and Parquet/Athena
`line_item_unblended_cost`, tags one column each) and CUR 2.0 (Data Exports; `resource_tags`, `product`
as maps, read by the loader as JSON text).

The mapping follows the FinOps Foundation's focus_converters tables (tests/fixtures/reference/
focus_conversion_rules/aws*.csv), brought to FOCUS 1.2: credits are `Credit` (not `Adjustment`), refunds
keep `Adjustment` and are `ChargeClass` `Correction`; BilledCost is `line_item_unblended_cost`, what the
invoice adds up. EffectiveCost (amortized) per line item type:

| line item type | EffectiveCost |
|---|---|
| DiscountedUsage | reservation_effective_cost |
| RIFee | reservation_unused_amortized_upfront_fee_for_billing_period + reservation_unused_recurring_fee |
| SavingsPlanCoveredUsage | savings_plan_savings_plan_effective_cost |
| SavingsPlanRecurringFee | savings_plan_total_commitment_to_date - savings_plan_used_commitment (unused part) |
| SavingsPlanNegation, SavingsPlanUpfrontFee, Fee of a reservation (upfront) | 0 |
| anything else (Usage, Tax, Credit, Refund, discounts, ...) | line_item_unblended_cost |

Columns are looked up by name in any of the three spellings (`lineItem/UnblendedCost`,
`line_item_unblended_cost`; `reservation/ReservationARN` = `reservation_reservation_a_r_n`), and only the
required ones are assumed: months differ in their columns. A row that cannot be fully mapped (an unknown
line item type, a missing amortization amount) is still loaded, with the unblended cost as its
EffectiveCost, and reported by row number.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.focus.coerce import SAMPLE_SIZE, Finding, plural, row_number, to_text
from analysis.focus.schema import SUBCATEGORY_PARENT
from analysis.sources import FORMATS, NativeFormat
from analysis.sources.units import focus_units

PROVIDER = "AWS"
# Required columns (snake name, legacy CSV name): a CUR without them cannot be converted.
REQUIRED = (("line_item_unblended_cost", "lineItem/UnblendedCost"),
            ("line_item_usage_start_date", "lineItem/UsageStartDate"))
# Columns that only a CUR has (any spelling): two of them make a header a CUR.
_MARKERS = frozenset({"identitylineitemid", "lineitemlineitemtype", "lineitemusageaccountid", "billpayeraccountid",
                      "lineitemunblendedcost", "lineitemusagestartdate", "billbillingperiodstartdate"})
# Columns only CUR 2.0 has (its nested maps and its account names).
_CUR2_ONLY = frozenset({"resource_tags", "product", "cost_category", "discount", "bill_payer_account_name",
                        "line_item_usage_account_name"})
_TAG_PREFIXES = ("resourcetags/", "resource_tags_")

USAGE_TYPES = ("Usage", "DiscountedUsage", "SavingsPlanCoveredUsage", "SavingsPlanNegation")
DISCOUNT_TYPES = ("BundledDiscount", "Discount", "PrivateRateDiscount", "EdpDiscount", "DistributorDiscount")
PURCHASE_TYPES = ("RIFee", "Fee", "SavingsPlanRecurringFee", "SavingsPlanUpfrontFee")
CATEGORY = {**dict.fromkeys(USAGE_TYPES + DISCOUNT_TYPES, "Usage"), **dict.fromkeys(PURCHASE_TYPES, "Purchase"),
            "Tax": "Tax", "Credit": "Credit", "Refund": "Adjustment"}
FREQUENCY = {**dict.fromkeys(USAGE_TYPES + DISCOUNT_TYPES, "Usage-Based"),
             "RIFee": "Recurring", "SavingsPlanRecurringFee": "Recurring",
             "Fee": "One-Time", "SavingsPlanUpfrontFee": "One-Time", "Tax": "One-Time", "Credit": "One-Time",
             "Refund": "One-Time"}
# ServiceCategory from lineItem/ProductCode (the focus_converters' aws_category_mapping, extended), then
# from product family; anything else is "Other".
SERVICE_CATEGORY = {
    **dict.fromkeys(("AmazonEC2", "AWSLambda", "AmazonECS", "AmazonEKS", "AmazonLightsail", "AWSBatch",
                     "AmazonWorkSpaces", "AmazonAppStream", "AWSOutposts", "AmazonECR", "AWSFargate",
                     "ElasticMapReduce", "AmazonBraket"), "Compute"),
    **dict.fromkeys(("AmazonS3", "AmazonEFS", "AmazonFSx", "AmazonGlacier", "AWSBackup", "AmazonS3GlacierDeepArchive",
                     "AWSStorageGatewayDeepArchive", "AWSStorageGateway", "AmazonEBS"), "Storage"),
    **dict.fromkeys(("AmazonRDS", "AmazonDynamoDB", "AmazonElastiCache", "AmazonRedshift", "AmazonDocDB",
                     "AmazonNeptune", "AmazonMemoryDB", "AmazonKeyspaces", "AmazonTimestream", "AmazonQLDB",
                     "AWSDatabaseMigrationSvc"), "Databases"),
    **dict.fromkeys(("AmazonVPC", "AWSDataTransfer", "AmazonCloudFront", "AmazonRoute53", "AWSELB",
                     "AWSDirectConnect", "AmazonApiGateway", "AWSGlobalAccelerator", "AWSTransitGateway",
                     "AWSCloudMap", "AWSPrivateLink"), "Networking"),
    **dict.fromkeys(("AmazonAthena", "AWSGlue", "AmazonKinesis", "AmazonKinesisFirehose", "AmazonKinesisAnalytics",
                     "AmazonQuickSight", "AmazonES", "AmazonOpenSearchService", "AmazonMSK", "AWSLakeFormation",
                     "AWSDataPipeline"), "Analytics"),
    **dict.fromkeys(("AmazonSageMaker", "AmazonBedrock", "AmazonRekognition", "AmazonComprehend", "AmazonPolly",
                     "AmazonTranscribe", "AmazonTranslate", "AmazonLex", "AmazonTextract", "AmazonKendra",
                     "AmazonPersonalize", "AmazonForecast"), "AI and Machine Learning"),
    **dict.fromkeys(("AWSCloudTrail", "AmazonCloudWatch", "AWSConfig", "AWSSystemsManager", "AWSCloudFormation",
                     "AWSSupportBusiness", "AWSSupportEnterprise", "AWSSupportDeveloper", "AWSCostExplorer",
                     "AWSOrganizations", "AWSServiceCatalog", "AWSXRay", "AWSBudgets", "AmazonManagedGrafana",
                     "AmazonPrometheus"), "Management and Governance"),
    **dict.fromkeys(("AWSKMS", "AWSSecretsManager", "AmazonGuardDuty", "AWSSecurityHub", "AmazonInspector",
                     "AmazonInspectorV2", "AWSWAF", "AWSShield", "AmazonMacie", "AWSCertificateManager",
                     "AmazonDetective", "AWSFMS"), "Security"),
    **dict.fromkeys(("AWSDirectoryService", "AmazonCognito", "AWSIAM", "AWSSSO"), "Identity"),
    **dict.fromkeys(("AmazonSNS", "AWSQueueService", "AmazonSQS", "AmazonMQ", "AWSEvents", "AmazonEventBridge",
                     "AmazonStates", "AWSStepFunctions", "AmazonSWF", "AmazonAppFlow"), "Integration"),
    **dict.fromkeys(("AWSCodeCommit", "AWSCodeBuild", "AWSCodePipeline", "AWSCodeDeploy", "AWSCodeArtifact",
                     "AWSCloud9", "AWSDeveloperSupport"), "Developer Tools"),
    **dict.fromkeys(("AWSIoT", "AWSIoTAnalytics", "AWSGreengrass", "AWSIoTCore"), "Internet of Things"),
    **dict.fromkeys(("AmazonSES", "AmazonConnect", "AmazonChime", "AmazonWorkMail", "AmazonWorkDocs"),
                    "Business Applications"),
    **dict.fromkeys(("AmazonElasticTranscoder", "AWSElementalMediaConvert", "AmazonIVS", "AWSElementalMediaLive"),
                    "Media"),
    **dict.fromkeys(("AWSMigrationHub", "AWSTransfer", "AWSDataSync", "AWSSnowball", "AWSApplicationMigrationSvc"),
                    "Migration"),
    **dict.fromkeys(("AWSAmplify", "AWSDeviceFarm", "AmazonPinpoint"), "Mobile"),
}
# ServiceSubcategory from lineItem/ProductCode where one clearly fits the service's category; otherwise
# "Other (<ServiceCategory>)".
SERVICE_SUBCATEGORY = {
    "AmazonEC2": "Virtual Machines", "AmazonLightsail": "Virtual Machines", "AWSLambda": "Serverless Compute",
    **dict.fromkeys(("AmazonECS", "AmazonEKS", "AWSFargate", "AmazonECR"), "Containers"),
    "AmazonWorkSpaces": "End User Computing", "AmazonAppStream": "End User Computing", "AmazonBraket": "Quantum Compute",
    **dict.fromkeys(("AmazonS3", "AmazonGlacier", "AmazonS3GlacierDeepArchive"), "Object Storage"),
    "AmazonEBS": "Block Storage", "AmazonEFS": "File Storage", "AmazonFSx": "File Storage", "AWSBackup": "Backup Storage",
    "AWSStorageGateway": "Storage Platforms", "AWSStorageGatewayDeepArchive": "Storage Platforms",
    "AmazonRDS": "Relational Databases", "AmazonRedshift": "Data Warehouses", "AmazonTimestream": "Time Series Databases",
    **dict.fromkeys(("AmazonDynamoDB", "AmazonDocDB", "AmazonNeptune", "AmazonKeyspaces"), "NoSQL Databases"),
    "AmazonElastiCache": "Caching", "AmazonMemoryDB": "Caching", "AmazonQLDB": "Ledger Databases",
    "AmazonVPC": "Network Infrastructure", "AWSELB": "Network Infrastructure", "AmazonCloudFront": "Content Delivery",
    **dict.fromkeys(("AWSDataTransfer", "AWSDirectConnect", "AWSPrivateLink", "AWSTransitGateway"),
                    "Network Connectivity"),
    "AmazonRoute53": "Network Routing", "AWSGlobalAccelerator": "Network Routing", "AWSCloudMap": "Network Routing",
    **dict.fromkeys(("AmazonAthena", "AWSGlue", "AWSDataPipeline"), "Data Processing"),
    **dict.fromkeys(("AmazonKinesis", "AmazonKinesisFirehose", "AmazonKinesisAnalytics", "AmazonMSK"),
                    "Streaming Analytics"),
    "AmazonQuickSight": "Business Intelligence", "AmazonES": "Search", "AmazonOpenSearchService": "Search",
    "AWSLakeFormation": "Analytics Platforms",
    "AmazonSageMaker": "Machine Learning", "AmazonBedrock": "Generative AI", "AmazonLex": "Bots",
    **dict.fromkeys(("AmazonComprehend", "AmazonTranslate", "AmazonTranscribe", "AmazonPolly"),
                    "Natural Language Processing"),
    **dict.fromkeys(("AmazonCloudWatch", "AWSXRay", "AmazonManagedGrafana", "AmazonPrometheus", "AWSCloudTrail"),
                    "Observability"),
    "AWSConfig": "Compliance", "AWSCostExplorer": "Cost Management", "AWSBudgets": "Cost Management",
    **dict.fromkeys(("AWSSupportBusiness", "AWSSupportEnterprise", "AWSSupportDeveloper"), "Support"),
    "AWSKMS": "Secret Management", "AWSSecretsManager": "Secret Management",
    "AmazonGuardDuty": "Threat Detection and Response", "AmazonDetective": "Threat Detection and Response",
    **dict.fromkeys(("AWSSecurityHub", "AmazonInspector", "AmazonInspectorV2", "AmazonMacie"),
                    "Security Posture Management"),
    **dict.fromkeys(("AWSDirectoryService", "AmazonCognito", "AWSIAM", "AWSSSO"), "Identity and Access Management"),
    **dict.fromkeys(("AmazonSNS", "AWSQueueService", "AmazonSQS", "AmazonMQ", "AWSEvents", "AmazonEventBridge"),
                    "Messaging"),
    **dict.fromkeys(("AmazonStates", "AWSStepFunctions", "AmazonSWF"), "Workflow Orchestration"),
    "AWSCodeCommit": "Source Code Management", "AWSCloud9": "Development Environments",
    **dict.fromkeys(("AWSCodeBuild", "AWSCodePipeline", "AWSCodeDeploy"), "Continuous Integration and Deployment"),
    **dict.fromkeys(("AWSIoT", "AWSIoTCore", "AWSGreengrass"), "IoT Platforms"), "AWSIoTAnalytics": "IoT Analytics",
    **dict.fromkeys(("AmazonChime", "AmazonWorkMail", "AmazonWorkDocs", "AmazonConnect"),
                    "Productivity and Collaboration"),
    "AmazonIVS": "Media Streaming", "AWSElementalMediaLive": "Media Streaming",
    "AmazonElasticTranscoder": "Content Creation", "AWSElementalMediaConvert": "Content Creation",
    "AWSMigrationHub": "Resource Migration", "AWSApplicationMigrationSvc": "Resource Migration",
    **dict.fromkeys(("AWSDataSync", "AWSSnowball", "AWSTransfer"), "Data Migration"),
}
_CATEGORY_BY_CODE = {code.casefold(): category for code, category in SERVICE_CATEGORY.items()}
_SUBCATEGORY_BY_CODE = {code.casefold(): sub for code, sub in SERVICE_SUBCATEGORY.items()}
FAMILY_CATEGORY = {"Compute Instance": "Compute", "Compute": "Compute", "Storage": "Storage",
                   "Storage Snapshot": "Storage", "Data Transfer": "Networking", "Load Balancer": "Networking",
                   "Database Instance": "Databases", "Database Storage": "Databases", "NAT Gateway": "Networking",
                   "IP Address": "Networking", "Serverless": "Compute", "API Request": "Storage"}


# ----- detection ----------------------------------------------------------------------------------
def _key(name: str) -> str:
    """A column name in a form the three spellings share: `lineItem/UnblendedCost` = `line_item_unblended_cost`."""
    return re.sub(r"[^a-z0-9]", "", name.replace("\ufeff", "").strip().lower())


def _markers(columns: Sequence[str]) -> int:
    return len({_key(c) for c in columns} & _MARKERS)


def is_legacy_csv(columns: Sequence[str]) -> bool:
    """Legacy CUR in its CSV form: `lineItem/...`, `bill/...` columns."""
    return any("/" in c for c in columns) and _markers(columns) >= 2


def is_cur2(columns: Sequence[str]) -> bool:
    """CUR 2.0 (Data Exports): snake_case columns with the nested `resource_tags`, `product`, ... columns."""
    names = {c.replace("\ufeff", "").strip() for c in columns}
    return not is_legacy_csv(columns) and _markers(columns) >= 2 and bool(names & _CUR2_ONLY)


def is_legacy_parquet(columns: Sequence[str]) -> bool:
    """Legacy CUR as delivered for Athena (Parquet): snake_case, tags as `resource_tags_user_<key>` columns."""
    return not is_legacy_csv(columns) and not is_cur2(columns) and _markers(columns) >= 2


# ----- conversion ---------------------------------------------------------------------------------
class _Columns:
    """The raw frame's columns found by their shared key; values as text or numbers."""

    def __init__(self, raw: pd.DataFrame, file: str, csv_style: bool):
        self.raw, self.file, self.csv_style = raw, file, csv_style
        self.by_key: dict[str, int] = {}
        for i, name in enumerate(map(str, raw.columns)):
            if not _key(name).startswith(("resourcetags", "costcategory")):
                self.by_key.setdefault(_key(name), i)
        self.product = _json_maps(raw, "product")  # CUR 2.0: product attributes as a map
        self.findings: list[Finding] = []

    def name(self, snake: str) -> str | None:
        i = self.by_key.get(_key(snake))
        return None if i is None else str(self.raw.columns[i])

    def text(self, snake: str, *, product_key: str | None = None) -> pd.Series:
        """The column as text (blank = missing); all missing when the file lacks it."""
        i = self.by_key.get(_key(snake))
        if i is not None:
            values = to_text(self.raw.iloc[:, i].reset_index(drop=True)).str.strip()
            values = values.where(values != "")
        else:
            values = pd.Series(pd.NA, index=pd.RangeIndex(len(self.raw)), dtype="string")
        if product_key and self.product is not None:  # CUR 2.0 keeps many product columns in its map
            from_map = pd.Series([m.get(product_key) if m else None for m in self.product], dtype="string")
            values = values.fillna(from_map.where(from_map != ""))
        return values

    def number(self, snake: str) -> pd.Series:
        """The column as float (missing = NaN); text that is not a number is an error naming the rows."""
        i = self.by_key.get(_key(snake))
        if i is None:
            return pd.Series(np.nan, index=pd.RangeIndex(len(self.raw)), dtype="float64")
        column = self.raw.iloc[:, i].reset_index(drop=True)
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            return column.astype("float64")
        text = self.text(snake)
        values = pd.to_numeric(text.astype("object").where(text.notna(), None), errors="coerce").astype("float64")
        bad = text.notna().to_numpy() & values.isna().to_numpy()
        if bad.any():
            rows = np.flatnonzero(bad)
            shown = ", ".join(f"row {row_number(r)} ({str(text.iloc[r])[:30]!r})" for r in rows[:SAMPLE_SIZE])
            more = f" and {len(rows) - SAMPLE_SIZE:,} more" if len(rows) > SAMPLE_SIZE else ""
            self.findings.append(Finding("error", self.file, str(self.raw.columns[i]),
                                         f"{plural(len(rows), 'value')} not a number: {shown}{more}",
                                         tuple(row_number(r) for r in rows[:SAMPLE_SIZE])))
        return values


def _json_maps(raw: pd.DataFrame, column: str) -> list[dict | None] | None:
    """A map column (JSON object text, or a dict) as dicts; None when the file has no such column."""
    if column not in raw.columns:
        return None
    out: list[dict | None] = []
    for value in raw[column].tolist():
        if isinstance(value, dict):
            out.append(value)
            continue
        if isinstance(value, list):  # a map as key/value pairs
            out.append({str(k): v for k, v in value} if all(isinstance(p, (list, tuple)) for p in value) else None)
            continue
        try:
            parsed = json.loads(value) if isinstance(value, str) and value.strip() else None
        except ValueError:
            parsed = None
        out.append(parsed if isinstance(parsed, dict) else None)
    return out


def _tag_key(raw_key: str) -> str:
    """`user:team`, `user_team` -> `team`; `aws:createdBy`, `aws_created_by` -> `aws:createdBy`, `aws:created_by`."""
    for user in ("user:", "user_"):
        if raw_key.startswith(user):
            return raw_key[len(user):]
    if raw_key.startswith("aws_"):
        return "aws:" + raw_key[len("aws_"):]
    return raw_key


def _tags(raw: pd.DataFrame) -> pd.Series:
    """Tags as a JSON object string per row (None when untagged), from tag columns or the `resource_tags` map.

    Worked out once per distinct combination of the row's tag values, then spread to the rows.
    """
    names = [n for n in map(str, raw.columns) if n == "resource_tags" or _tag_column_key(n) is not None]
    if not names:
        return pd.Series(pd.NA, index=pd.RangeIndex(len(raw)), dtype="string")
    combined = raw[names[0]].astype("string").fillna("\x00")
    for name in names[1:]:
        combined = combined + "\x1f" + raw[name].astype("string").fillna("\x00")
    codes = pd.factorize(combined)[0]
    first = np.unique(codes, return_index=True)[1]
    distinct = np.array(_row_tags(raw.iloc[first][names].reset_index(drop=True)), dtype=object)
    return pd.Series(distinct[codes], dtype="string")


def _tag_column_key(name: str) -> str | None:
    """The tag key a legacy CUR tag column holds (`resourceTags/user:team`, `resource_tags_user_team`), or None."""
    clean = name.replace("\ufeff", "").strip()
    lowered = clean.lower()
    if lowered.startswith("resourcetags/"):
        return _tag_key(clean.split("/", 1)[1])
    if lowered.startswith("resource_tags_"):
        return _tag_key(clean[len("resource_tags_"):])
    return None


def _row_tags(raw: pd.DataFrame) -> list[str | None]:
    """Each row's tags as a JSON object string (None when untagged)."""
    parts = [(key, raw[name].tolist()) for name in map(str, raw.columns)
             if (key := _tag_column_key(name)) is not None]
    maps = _json_maps(raw, "resource_tags") or [None] * len(raw)
    out = []
    for i, mapped in enumerate(maps):
        tags: dict[str, str] = {}
        for key, value in (mapped or {}).items():
            if value is not None and str(value).strip() != "":
                tags[_tag_key(str(key))] = str(value)
        for key, values in parts:
            value = values[i]
            if value is not None and not (isinstance(value, float) and np.isnan(value)) and str(value).strip() != "":
                tags[key] = str(value)
        out.append(json.dumps(tags, ensure_ascii=False, sort_keys=True) if tags else None)
    return out


def _rows_finding(mask: np.ndarray, file: str, column: str | None, message: str) -> Finding:
    rows = np.flatnonzero(mask)
    shown = ", ".join(str(row_number(r)) for r in rows[:SAMPLE_SIZE])
    more = f" and {len(rows) - SAMPLE_SIZE:,} more" if len(rows) > SAMPLE_SIZE else ""
    return Finding("warning", file, column, f"{plural(len(rows), 'row')} {message} (rows {shown}{more})",
                   tuple(row_number(r) for r in rows[:SAMPLE_SIZE]))


def convert(raw: pd.DataFrame, file: str, *, csv_style: bool = False) -> tuple[pd.DataFrame, list[Finding]]:
    """A CUR table (legacy CSV, legacy Parquet or CUR 2.0) as FOCUS 1.2 columns plus `x_` columns."""
    cols = _Columns(raw, file, csv_style)
    missing = [(snake, legacy) for snake, legacy in REQUIRED if cols.name(snake) is None]
    if missing:
        return raw.iloc[:0, :0], [Finding("error", file, legacy if csv_style else snake,
                                          "required column is missing (an AWS Cost and Usage Report needs "
                                          f"{', '.join(legacy if csv_style else s for s, legacy in REQUIRED)})")
                                  for snake, legacy in missing]
    n = len(raw)
    findings: list[Finding] = []
    kind = cols.text("line_item_line_item_type")
    if cols.name("line_item_line_item_type") is None:
        findings.append(Finding("warning", file, "lineItem/LineItemType" if csv_style else "line_item_line_item_type",
                                "column is missing: every row is taken as Usage at its unblended cost"))
        kind = kind.fillna("Usage")
    types = kind.fillna("").to_numpy(dtype=object)

    unblended = cols.number("line_item_unblended_cost")
    effective = unblended.copy()

    def amortize(line_type: str, value: pd.Series, sources: str) -> None:
        rows = types == line_type
        found = rows & value.notna().to_numpy()
        effective[found] = value[found]
        lacking = rows & ~found
        if lacking.any():
            findings.append(_rows_finding(lacking, file, None, f"of type {line_type} have no {sources}, so their "
                                          "EffectiveCost is their unblended cost"))

    amortize("DiscountedUsage", cols.number("reservation_effective_cost"), "reservation effective cost")
    unused_upfront = cols.number("reservation_unused_amortized_upfront_fee_for_billing_period")
    unused_recurring = cols.number("reservation_unused_recurring_fee")
    both_missing = unused_upfront.isna() & unused_recurring.isna()
    amortize("RIFee", (unused_upfront.fillna(0) + unused_recurring.fillna(0)).where(~both_missing),
             "unused amortized upfront or recurring fee")
    amortize("SavingsPlanCoveredUsage", cols.number("savings_plan_savings_plan_effective_cost"),
             "savings plan effective cost")
    amortize("SavingsPlanRecurringFee",
             cols.number("savings_plan_total_commitment_to_date") - cols.number("savings_plan_used_commitment"),
             "total and used commitment")
    reservation_arn = cols.text("reservation_reservation_a_r_n")
    savings_plan_arn = cols.text("savings_plan_savings_plan_a_r_n")
    zero = np.isin(types, ("SavingsPlanNegation", "SavingsPlanUpfrontFee"))
    zero |= (types == "Fee") & reservation_arn.notna().to_numpy()  # a reservation's upfront fee: amortized over its term
    effective[zero] = 0.0

    category = pd.Series([CATEGORY.get(t) for t in types], dtype="string")
    unknown = category.isna().to_numpy()
    if unknown.any():
        names = sorted({str(t) or "(empty)" for t in types[unknown]})
        findings.append(_rows_finding(unknown, file, "lineItem/LineItemType" if csv_style else "line_item_line_item_type",
                                      f"have a line item type this converter does not know ({', '.join(names[:5])}): "
                                      "loaded at their unblended cost with no ChargeCategory"))

    product_code = cols.text("line_item_product_code")
    family = cols.text("product_product_family", product_key="product_family")
    service_category = pd.Series([_CATEGORY_BY_CODE.get(c.casefold()) if isinstance(c, str) else None
                                  for c in product_code.tolist()], dtype="string")  # `awskms` is AWSKMS
    by_family = pd.Series([FAMILY_CATEGORY.get(f) if isinstance(f, str) else None for f in family.tolist()],
                          dtype="string")
    service_category = service_category.fillna(by_family).fillna("Other")
    subcategory = pd.Series([_SUBCATEGORY_BY_CODE.get(c.casefold()) if isinstance(c, str) else None
                             for c in product_code.tolist()], dtype="string")
    fits = (subcategory.map(SUBCATEGORY_PARENT) == service_category).fillna(False)
    subcategory = subcategory.where(fits, "Other (" + service_category + ")")

    usage_type = cols.text("line_item_usage_type")
    covered = np.isin(types, ("DiscountedUsage", "SavingsPlanCoveredUsage", "SavingsPlanNegation"))
    spot = usage_type.fillna("").str.contains("SpotUsage", regex=False).to_numpy()
    pricing = np.where(covered, "Committed", np.where(spot, "Dynamic", "Standard")).astype(object)
    usage_or_purchase = np.isin(category.fillna("").to_numpy(dtype=object), ("Usage", "Purchase"))
    pricing[~usage_or_purchase] = None

    commitment_id = savings_plan_arn.fillna(reservation_arn)
    is_sp = savings_plan_arn.notna().to_numpy()
    is_ri = reservation_arn.notna().to_numpy() & ~is_sp
    commitment_type = np.where(is_sp, "Savings Plan", np.where(is_ri, "Reserved Instance", None)).astype(object)
    commitment_category = np.where(is_sp, "Spend", np.where(is_ri, "Usage", None)).astype(object)
    status = np.full(n, None, dtype=object)
    status[np.isin(types, ("DiscountedUsage", "SavingsPlanCoveredUsage"))] = "Used"
    unused_fee = np.isin(types, ("RIFee", "SavingsPlanRecurringFee")) & (effective.fillna(0).to_numpy() != 0)
    status[unused_fee] = "Unused"

    usage_amount = cols.number("line_item_usage_amount")
    unit = focus_units(cols.text("pricing_unit"))  # `Hrs` -> `Hours`, `GB-Mo` -> `GB-Months`
    quantity = cols.number("reservation_total_reserved_units")
    quantity = quantity.where(quantity.notna(), usage_amount)
    quantity = quantity.where(pd.Series(usage_or_purchase).to_numpy() & unit.notna().to_numpy())  # FOCUS: no unit, no quantity
    billing_entity = cols.text("bill_billing_entity")
    by_aws = billing_entity.isna().to_numpy() | (billing_entity.fillna("") == PROVIDER).to_numpy()
    legal_entity = cols.text("line_item_legal_entity")
    out = {
        "BillingAccountId": cols.text("bill_payer_account_id"),
        "BillingAccountName": cols.text("bill_payer_account_name"),
        "SubAccountId": cols.text("line_item_usage_account_id"),
        "SubAccountName": cols.text("line_item_usage_account_name"),
        "BillingPeriodStart": _column(raw, cols, "bill_billing_period_start_date"),
        "BillingPeriodEnd": _column(raw, cols, "bill_billing_period_end_date"),
        "ChargePeriodStart": _column(raw, cols, "line_item_usage_start_date"),
        "ChargePeriodEnd": _column(raw, cols, "line_item_usage_end_date"),
        "BilledCost": unblended,
        "EffectiveCost": effective,
        "ListCost": cols.number("pricing_public_on_demand_cost"),
        "ContractedCost": unblended,  # the price after negotiated discounts, before commitments
        "BillingCurrency": cols.text("line_item_currency_code").fillna(cols.text("pricing_currency")),
        "ChargeCategory": category,
        "ChargeClass": pd.Series(np.where(types == "Refund", "Correction", None), dtype="string"),
        "ChargeFrequency": pd.Series([FREQUENCY.get(t) for t in types], dtype="string"),
        "ChargeDescription": cols.text("line_item_line_item_description"),
        "ProviderName": pd.Series(PROVIDER, index=pd.RangeIndex(n), dtype="string"),
        # AWS itself, or the Marketplace seller (its legal entity) invoiced by "AWS Marketplace"
        "PublisherName": pd.Series(np.where(by_aws, PROVIDER, legal_entity.fillna(PROVIDER)), dtype="string"),
        "InvoiceIssuerName": pd.Series(np.where(by_aws, PROVIDER, billing_entity), dtype="string"),
        "InvoiceId": cols.text("bill_invoice_id"),
        "ServiceName": cols.text("product_product_name", product_key="product_name").fillna(product_code),
        "ServiceCategory": service_category,
        "ServiceSubcategory": subcategory,
        "RegionId": cols.text("product_region_code").fillna(cols.text("product_region", product_key="region")),
        "AvailabilityZone": cols.text("line_item_availability_zone"),
        "ResourceId": cols.text("line_item_resource_id"),
        "SkuId": cols.text("product_sku"),
        "SkuPriceId": cols.text("pricing_rate_code").fillna(cols.text("pricing_rate_id")),
        "PricingCategory": pd.Series(pricing, dtype="string"),
        "PricingQuantity": quantity,
        "PricingUnit": unit,
        "ConsumedQuantity": usage_amount.where(category.fillna("").to_numpy() == "Usage"),
        "ConsumedUnit": unit.where(category.fillna("").to_numpy() == "Usage"),
        "CommitmentDiscountId": commitment_id,
        "CommitmentDiscountType": pd.Series(commitment_type, dtype="string"),
        "CommitmentDiscountCategory": pd.Series(commitment_category, dtype="string"),
        "CommitmentDiscountStatus": pd.Series(status, dtype="string"),
        "Tags": _tags(raw),
        "x_line_item_type": kind,
        "x_product_code": product_code,
        "x_usage_type": usage_type,
        "x_operation": cols.text("line_item_operation"),
        "x_product_family": family,
        "x_line_item_id": cols.text("identity_line_item_id"),
        "x_bill_type": cols.text("bill_bill_type"),
        "x_legal_entity": legal_entity,
        "x_invoicing_entity": cols.text("bill_invoicing_entity"),
        "x_blended_cost": cols.number("line_item_blended_cost"),
        "x_net_unblended_cost": cols.number("line_item_net_unblended_cost"),
        "x_reservation_arn": reservation_arn,
        "x_savings_plan_arn": savings_plan_arn,
        "x_current_generation": cols.text("product_current_generation", product_key="current_generation"),
    }
    if out["x_current_generation"].isna().all():  # the export does not say (CUR 2.0 without the attribute)
        del out["x_current_generation"]
    frame = pd.DataFrame(out)
    # columns the file does not have at all are left out, so that the loader reports them as for any file
    absent = [name for name, source in _SOURCES.items() if all(cols.name(s) is None for s in source)]
    frame = frame.drop(columns=absent)
    return frame, cols.findings + findings


def _column(raw: pd.DataFrame, cols: _Columns, snake: str) -> pd.Series:
    """A column as stored (typed Parquet timestamps stay typed), blank text as missing."""
    name = cols.name(snake)
    if name is None:
        return pd.Series(pd.NA, index=pd.RangeIndex(len(raw)), dtype="string")
    column = raw[name].reset_index(drop=True)
    if pd.api.types.is_datetime64_any_dtype(column):
        return column
    return cols.text(snake)


# FOCUS columns whose only sources are these CUR columns: left out when the file has none of them.
_SOURCES: dict[str, tuple[str, ...]] = {
    "BillingAccountId": ("bill_payer_account_id",), "BillingAccountName": ("bill_payer_account_name",),
    "SubAccountName": ("line_item_usage_account_name",),
    "BillingPeriodStart": ("bill_billing_period_start_date",), "BillingPeriodEnd": ("bill_billing_period_end_date",),
    "ChargePeriodEnd": ("line_item_usage_end_date",), "ListCost": ("pricing_public_on_demand_cost",),
    "BillingCurrency": ("line_item_currency_code", "pricing_currency"),
    "x_net_unblended_cost": ("line_item_net_unblended_cost",), "x_blended_cost": ("line_item_blended_cost",),
}


def _convert_csv(raw: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[Finding]]:
    return convert(raw, file, csv_style=True)


FORMATS.extend([
    NativeFormat("AWS legacy CUR (CSV)", is_legacy_csv, _convert_csv),
    NativeFormat("AWS legacy CUR (Parquet/Athena)", is_legacy_parquet, convert),
    NativeFormat("AWS CUR 2.0", is_cur2, convert),
])
