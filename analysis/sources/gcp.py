"""Google Cloud billing exports to FOCUS 1.2: the BigQuery usage cost export (standard and detailed) as
exported files, Google's FOCUS export as files, and the old JSON file export.

**BigQuery export as files.** Parquet keeps the nested records (the loader reads them as JSON text: a
column `service` holds `{"id": ..., "description": ...}`, `credits` a JSON list); JSON lines have the same
shape; a CSV has flattened names (`service.description` or `service_description`, `credits` as JSON
text). Fields are looked up by their path in any of these forms, and only `cost` and `usage_start_time`
are required: exports differ in their columns (standard or detailed, fields added over the years).
Timestamps are read as BigQuery writes them (`2024-03-01 08:00:00 UTC`), as ISO 8601 with a zone offset
(`2024-02-29T23:00:00-08:00`, stored as UTC) or typed; any other form is an error naming the rows.

Costs, following Google's documentation ("Cost table": the BigQuery export does not separate credits into
line items; cost plus credits is what you pay, and summed over an invoice month, with tax, adjustments and
rounding errors, it ties to the invoice):

- BilledCost = EffectiveCost = `cost` + the sum of the row's `credits` amounts (credits are negative). The
  credits stay netted on their row: FOCUS 1.2 has Credit rows, but the export has no credit lines to map
  to them, and a converter may only look at one row at a time. What each credit type took off is kept in
  `x_Credit<type>` columns (`x_CreditCommittedUse`, `x_CreditSustainedUse`, `x_CreditFreeTier`,
  `x_CreditPromotion`, `x_CreditDiscount`, `x_CreditOther`), the gross cost in `x_CostBeforeCredits`.
- ContractedCost = `cost` (usage at the account's contract prices, before credits).
- ListCost = `cost_at_list` when present, else `cost`.
- Committed use discount fees (SKU `Commitment v1: ...`, `Commitment - dollar based ...`) are Purchase,
  Recurring, with their fee as EffectiveCost too: Google bills them monthly, so there is no upfront
  payment to amortize, and spreading the fee over the covered usage would need other rows.
- ChargeCategory from `cost_type`: regular -> Usage (Purchase for commitment fees), tax -> Tax,
  adjustment -> Adjustment (ChargeClass Correction when `adjustment_info` names one), rounding error ->
  Adjustment. Usage covered by a committed use discount credit (`COMMITTED_USAGE_DISCOUNT*`,
  `FEE_UTILIZATION_OFFSET`) gets PricingCategory Committed and the CommitmentDiscount columns.
- BillingPeriodStart/End: the invoice month (`invoice.month`, YYYYMM) in Pacific time, as Google bills
  (and as Google's FOCUS view writes it), stored in UTC; the end is the next month's start.
- Tags: one JSON object of the project's labels, then the resource manager tags, then the resource's
  labels (the most specific wins on a shared key). System labels (`compute.googleapis.com/cores`, ...)
  describe the machine, not its owner, and are kept in `x_SystemLabels`.

**Google's FOCUS export** is FOCUS already, with Google's `x_` columns; files exported from it are brought
to FOCUS 1.2 where the export (or the FOCUS 1.0 BigQuery view before it) differs: timestamps written
`... UTC`, Tags built from `x_Labels` / `x_ProjectLabels` / `x_Tags` or written as a list of key/value
records, a BillingPeriodEnd written as the month's last day (1.0 view, inclusive) made the next month's
start, SubAccountId holding the billing account replaced by the project, and ServiceCategory,
InvoiceIssuerName and ProviderName filled in where absent.

**The old JSON file export** (a JSON array of `lineItemId`, `startTime`, `endTime`, `projectNumber`,
`measurements`, `cost.amount` as text, `credits`): service and SKU from `lineItemId`
(`com.google.cloud/services/big-query/Analysis` -> BigQuery, `Analysis`), the day's Pacific offsets
stored as UTC, the Pacific calendar month as billing period.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from analysis.focus.coerce import SAMPLE_SIZE, Finding, plural, row_number, to_text
from analysis.sources import FORMATS, NativeFormat
from analysis.sources.units import focus_unit

PROVIDER = "Google Cloud"
PACIFIC = "America/Los_Angeles"  # Google Cloud bills in Pacific time
UTC_TYPE = "datetime64[us, UTC]"

# ServiceCategory from service.description (case-insensitive); anything else is "Other", named in an info finding.
_CATEGORY_NAMES: dict[str, tuple[str, ...]] = {
    "Compute": ("Compute Engine", "Kubernetes Engine", "Google Kubernetes Engine", "Cloud Run", "Cloud Functions",
                "Cloud Run Functions", "App Engine", "Batch", "VMware Engine", "Google Cloud VMware Engine",
                "Bare Metal Solution", "Cloud Workstations"),
    "Storage": ("Cloud Storage", "Filestore", "Cloud Filestore", "Backup and DR Service", "NetApp Volumes",
                "Persistent Disk"),
    "Databases": ("Cloud SQL", "Cloud Spanner", "Spanner", "Cloud Bigtable", "Bigtable", "Firestore",
                  "Cloud Firestore", "Cloud Datastore", "Datastore", "Memorystore for Redis",
                  "Cloud Memorystore for Redis", "Memorystore for Memcached", "Memorystore for Valkey",
                  "AlloyDB", "AlloyDB for PostgreSQL"),
    "Analytics": ("BigQuery", "BigQuery Storage API", "BigQuery Reservation API", "BigQuery BI Engine",
                  "Dataflow", "Cloud Dataflow", "Dataproc", "Cloud Dataproc", "Looker", "Looker Studio",
                  "Cloud Data Fusion", "Data Fusion", "Dataplex", "Data Catalog", "Dataproc Metastore",
                  "Datastream", "Dataform"),
    "Networking": ("Networking", "Cloud DNS", "Cloud CDN", "Cloud Load Balancing", "Cloud NAT", "Cloud VPN",
                   "Cloud Interconnect", "Network Intelligence Center", "Cloud Domains", "Network Connectivity",
                   "Service Networking", "Network Service Tiers", "Media CDN"),
    "AI and Machine Learning": ("Vertex AI", "Cloud AI Platform", "AI Platform", "Cloud Vision API",
                                "Cloud Natural Language API", "Cloud Speech API", "Speech-to-Text",
                                "Cloud Translation API", "Cloud Text-to-Speech API", "Dialogflow",
                                "Dialogflow API", "Gemini API", "Generative Language API", "Document AI",
                                "Cloud TPU", "Contact Center AI", "Gemini for Google Cloud"),
    "Management and Governance": ("Cloud Logging", "Cloud Monitoring", "Stackdriver Logging",
                                  "Stackdriver Monitoring", "Cloud Trace", "Stackdriver Trace", "Support",
                                  "Cloud Asset Inventory", "Cloud Deployment Manager", "Cloud Billing",
                                  "Cloud Profiler", "Cloud Observability"),
    "Security": ("Secret Manager", "Cloud Key Management Service (KMS)", "Cloud KMS",
                 "Key Management Service", "Security Command Center", "Cloud Armor", "reCAPTCHA Enterprise",
                 "Certificate Manager", "Certificate Authority Service", "Cloud Data Loss Prevention",
                 "Sensitive Data Protection", "Binary Authorization", "Web Security Scanner"),
    "Identity": ("Identity Platform", "Cloud Identity", "Identity and Access Management",
                 "Identity-Aware Proxy", "Managed Service for Microsoft Active Directory"),
    "Integration": ("Cloud Pub/Sub", "Pub/Sub", "Cloud Tasks", "Cloud Scheduler", "Workflows", "Cloud Composer",
                    "Apigee", "Apigee API Management", "API Gateway", "Eventarc", "Application Integration",
                    "Integration Connectors"),
    "Developer Tools": ("Cloud Build", "Artifact Registry", "Container Registry",
                        "Container Registry Vulnerability Scanning", "Cloud Source Repositories", "Cloud Deploy",
                        "Artifact Analysis", "Firebase Test Lab"),
    "Migration": ("Database Migration Service", "Storage Transfer Service", "Migrate to Virtual Machines",
                  "Transfer Appliance", "BigQuery Data Transfer Service"),
    "Internet of Things": ("Cloud IoT Core",),
    "Media": ("Transcoder API", "Live Stream API", "Video Stitcher API"),
    "Web": ("Firebase Hosting", "Firebase Realtime Database", "Google Maps Platform", "Maps API"),
    "Business Applications": ("Google Workspace", "AppSheet"),
    "Other": ("Invoice", "Cloud Marketplace"),
}
SERVICE_CATEGORY: dict[str, str] = {name.casefold(): category for category, names in _CATEGORY_NAMES.items()
                                    for name in names}
# ServiceSubcategory (a FOCUS 1.2 subcategory of the service's category) from service.description; anything else
# is "Other (<category>)".
_SUBCATEGORY_NAMES: dict[str, tuple[str, ...]] = {
    "Virtual Machines": ("Compute Engine", "VMware Engine", "Google Cloud VMware Engine", "Bare Metal Solution"),
    "Containers": ("Kubernetes Engine", "Google Kubernetes Engine"),
    "Serverless Compute": ("Cloud Run", "Cloud Functions", "Cloud Run Functions"),
    "Object Storage": ("Cloud Storage",), "File Storage": ("Filestore", "Cloud Filestore", "NetApp Volumes"),
    "Block Storage": ("Persistent Disk",), "Backup Storage": ("Backup and DR Service",),
    "Relational Databases": ("Cloud SQL", "Cloud Spanner", "Spanner", "AlloyDB", "AlloyDB for PostgreSQL"),
    "NoSQL Databases": ("Cloud Bigtable", "Bigtable", "Firestore", "Cloud Firestore", "Cloud Datastore", "Datastore"),
    "Caching": ("Memorystore for Redis", "Cloud Memorystore for Redis", "Memorystore for Memcached",
                "Memorystore for Valkey"),
    "Analytics Platforms": ("BigQuery", "BigQuery Storage API", "BigQuery Reservation API", "BigQuery BI Engine"),
    "Data Processing": ("Dataflow", "Cloud Dataflow", "Dataproc", "Cloud Dataproc", "Cloud Data Fusion", "Data Fusion",
                        "Datastream", "Dataform"),
    "Business Intelligence": ("Looker", "Looker Studio"),
    "Network Connectivity": ("Networking", "Cloud VPN", "Cloud Interconnect", "Network Connectivity"),
    "Network Routing": ("Cloud DNS", "Cloud Domains"), "Content Delivery": ("Cloud CDN", "Media CDN"),
    "Network Infrastructure": ("Cloud Load Balancing", "Cloud NAT"),
    "AI Platforms": ("Vertex AI", "Cloud AI Platform", "AI Platform", "Cloud TPU"),
    "Generative AI": ("Gemini API", "Generative Language API", "Gemini for Google Cloud"),
    "Natural Language Processing": ("Cloud Natural Language API", "Cloud Translation API", "Speech-to-Text",
                                    "Cloud Speech API", "Cloud Text-to-Speech API"),
    "Bots": ("Dialogflow", "Dialogflow API"),
    "Observability": ("Cloud Logging", "Cloud Monitoring", "Stackdriver Logging", "Stackdriver Monitoring",
                      "Cloud Trace", "Stackdriver Trace", "Cloud Profiler", "Cloud Observability"),
    "Support": ("Support",), "Cost Management": ("Cloud Billing",),
    "Secret Management": ("Secret Manager", "Cloud Key Management Service (KMS)", "Cloud KMS",
                          "Key Management Service"),
    "Security Posture Management": ("Security Command Center",),
    "Identity and Access Management": ("Identity Platform", "Cloud Identity", "Identity and Access Management",
                                       "Identity-Aware Proxy"),
    "Messaging": ("Cloud Pub/Sub", "Pub/Sub", "Cloud Tasks", "Eventarc"),
    "Workflow Orchestration": ("Workflows", "Cloud Composer", "Cloud Scheduler"),
    "API Management": ("Apigee", "Apigee API Management", "API Gateway"),
    "Continuous Integration and Deployment": ("Cloud Build", "Cloud Deploy"),
    "Source Code Management": ("Cloud Source Repositories",),
    "Data Migration": ("Database Migration Service", "Storage Transfer Service", "Transfer Appliance",
                       "BigQuery Data Transfer Service"),
    "Resource Migration": ("Migrate to Virtual Machines",),
}
SERVICE_SUBCATEGORY: dict[str, str] = {name.casefold(): sub for sub, names in _SUBCATEGORY_NAMES.items()
                                       for name in names}
# Google's pricing units (usage.pricing_unit) in FOCUS's unit format; others are kept as written.
PRICING_UNITS = {"hour": "Hours", "month": "Months", "second": "Seconds", "day": "Days", "byte": "Bytes",
                 "gibibyte": "GiB", "tebibyte": "TiB", "gibibyte hour": "GiB-Hours", "gibibyte month": "GiB-Months",
                 "gibibyte day": "GiB-Days", "count": "Count", "request": "Requests", "requests": "Requests"}
# Region id -> name, as Google's console and its FOCUS view write them.
REGION_NAMES: dict[str, str] = {
    "africa-south1": "Johannesburg", "asia-east1": "Taiwan", "asia-east2": "Hong Kong", "asia-northeast1": "Tokyo",
    "asia-northeast2": "Osaka", "asia-northeast3": "Seoul", "asia-south1": "Mumbai", "asia-south2": "Delhi",
    "asia-southeast1": "Singapore", "asia-southeast2": "Jakarta", "australia-southeast1": "Sydney",
    "australia-southeast2": "Melbourne", "europe-central2": "Warsaw", "europe-north1": "Finland",
    "europe-north2": "Stockholm", "europe-southwest1": "Madrid", "europe-west1": "Belgium", "europe-west2": "London",
    "europe-west3": "Frankfurt", "europe-west4": "Netherlands", "europe-west6": "Zurich", "europe-west8": "Milan",
    "europe-west9": "Paris", "europe-west10": "Berlin", "europe-west12": "Turin", "me-central1": "Doha",
    "me-central2": "Dammam", "me-west1": "Tel Aviv", "northamerica-northeast1": "Montréal",
    "northamerica-northeast2": "Toronto", "northamerica-south1": "Queretaro", "southamerica-east1": "São Paulo",
    "southamerica-west1": "Santiago", "us-central1": "Iowa", "us-east1": "South Carolina",
    "us-east4": "Northern Virginia", "us-east5": "Columbus", "us-south1": "Dallas", "us-west1": "Oregon",
    "us-west2": "Los Angeles", "us-west3": "Salt Lake City", "us-west4": "Las Vegas",
}
# Credit types (credits.type; older exports have only credits.name) -> the x_ column totalling them.
CREDIT_COLUMNS = {
    "COMMITTED_USAGE_DISCOUNT": "x_CreditCommittedUse", "COMMITTED_USAGE_DISCOUNT_DOLLAR_BASE": "x_CreditCommittedUse",
    "FEE_UTILIZATION_OFFSET": "x_CreditCommittedUse", "SUSTAINED_USAGE_DISCOUNT": "x_CreditSustainedUse",
    "FREE_TIER": "x_CreditFreeTier", "PROMOTION": "x_CreditPromotion", "DISCOUNT": "x_CreditDiscount",
}
OTHER_CREDITS = "x_CreditOther"  # SUBSCRIPTION_BENEFIT, RESELLER_MARGIN, and types not known here
CREDIT_TOTALS = (*dict.fromkeys(CREDIT_COLUMNS.values()), OTHER_CREDITS)
COMMITMENT_CATEGORY = {"COMMITTED_USAGE_DISCOUNT": "Usage", "COMMITTED_USAGE_DISCOUNT_DOLLAR_BASE": "Spend",
                       "FEE_UTILIZATION_OFFSET": "Spend"}
COMMITMENT_TYPE = "Committed Use Discount"
_TYPE_FROM_NAME = (  # credits.name -> type, for exports before credits.type (July 2020)
    ("dollar based", "COMMITTED_USAGE_DISCOUNT_DOLLAR_BASE"), ("committed us", "COMMITTED_USAGE_DISCOUNT"),
    ("sustained us", "SUSTAINED_USAGE_DISCOUNT"), ("free tier", "FREE_TIER"), ("free trial", "PROMOTION"),
    ("promotion", "PROMOTION"))
CHARGE_CATEGORY = {"regular": "Usage", "tax": "Tax", "adjustment": "Adjustment", "rounding error": "Adjustment"}
CHARGE_FREQUENCY = {"Usage": "Usage-Based", "Purchase": "Recurring", "Tax": "One-Time", "Adjustment": "One-Time",
                    "Credit": "One-Time"}
_COMMITMENT_FEE = re.compile(r"(?i)^\s*commitment\b")  # `Commitment v1: Cpu in Americas for 1 Year`
_BIGQUERY_TIME = re.compile(r"\s*UTC$")  # BigQuery writes TIMESTAMP as `2024-03-01 08:00:00 UTC`
_EXPORT_MARKERS = frozenset({"billing_account_id", "export_time", "cost_type", "credits", "invoice", "invoice_month",
                             "service", "service_id", "service_description", "sku", "sku_id", "sku_description",
                             "currency_conversion_rate", "usage_end_time"})
_FOCUS_EXPORT_MARKERS = frozenset({"x_serviceid", "x_costtype", "x_credits", "x_exporttime", "x_location", "x_project",
                                   "x_projectlabels", "x_systemlabels", "x_labels", "x_currencyconversionrate",
                                   "x_subscriptioninstanceid", "x_consumptionmodelid"})
# Old file export: lineItemId's service slug -> the service's name today.
LEGACY_SERVICES = {"big-query": "BigQuery", "cloud-sql": "Cloud SQL", "cloud-storage": "Cloud Storage",
                   "compute-engine": "Compute Engine", "app-engine": "App Engine", "cloud-datastore": "Cloud Datastore",
                   "container-engine": "Kubernetes Engine", "cloud-dns": "Cloud DNS", "pubsub": "Cloud Pub/Sub",
                   "prediction": "Prediction API", "translate": "Cloud Translation API"}


# ----- detection ------------------------------------------------------------------------------------
def _key(name: str) -> str:
    """A header in the form its spellings share: `service.description` = `service_description`."""
    return re.sub(r"[^a-z0-9]+", "_", str(name).replace("\ufeff", "").strip().lower()).strip("_")


def is_bigquery_export(columns: Sequence[str]) -> bool:
    """The BigQuery usage cost export (standard or detailed) as files: usage start time with export fields."""
    keys = {_key(c) for c in columns}
    return "usage_start_time" in keys and len(keys & _EXPORT_MARKERS) >= 3


def is_focus_export(columns: Sequence[str]) -> bool:
    """Google's FOCUS export: FOCUS cost columns with Google's `x_` columns (`x_ServiceId`, `x_Credits`, ...)."""
    names = {str(c).replace("\ufeff", "").strip().casefold() for c in columns}
    return bool(names & {"billedcost", "chargeperiodstart"}) and len(names & _FOCUS_EXPORT_MARKERS) >= 2


def is_legacy_file_export(columns: Sequence[str]) -> bool:
    """The old JSON file export: `lineItemId`, `startTime` and a cost."""
    keys = {_key(c) for c in columns}
    return {"lineitemid", "starttime"} <= keys and bool(keys & {"cost", "cost_amount"})


# ----- reading fields -------------------------------------------------------------------------------
def _as_json_text(value: object) -> object:
    """A nested value (dict, list, array) as JSON text, so that values can be compared; other values as they are."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    return json.dumps(value, default=_plain) if isinstance(value, (dict, list)) else value


def _plain(value: object) -> object:
    """What JSON cannot write as it is: arrays as lists, anything else (timestamps, decimals) as text."""
    return value.tolist() if isinstance(value, np.ndarray) else str(value)


def _parse(value: object) -> object:
    """JSON text (or an already parsed value) as Python; None when it is missing or not JSON."""
    if isinstance(value, (dict, list)):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        return None


def _distinct(values: pd.Series) -> tuple[np.ndarray, list]:
    """Each row's code (-1 = missing) and the distinct values (nested values as JSON text): work done per
    distinct value, not per row, is still each row's own."""
    values = values.reset_index(drop=True)
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
        values = values.map(_as_json_text).astype(object)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return np.asarray(codes), list(uniques)


def _spread(codes: np.ndarray, results: list, missing: object) -> np.ndarray:
    """Per-distinct-value results back to rows (an object array; code -1 gets `missing`)."""
    table = np.empty(len(results) + 1, dtype=object)
    for i, result in enumerate([*results, missing]):
        table[i] = result
    return table[codes]  # code -1 takes the last entry


def _per_value(values: pd.Series, function: Callable[[object], object]) -> np.ndarray:
    """`function` of each row's value, computed once per distinct value."""
    codes, uniques = _distinct(values)
    return _spread(codes, [function(u) for u in uniques], function(None))


def _mapped(text: pd.Series, function: Callable[[str], str | None]) -> pd.Series:
    """`function` of each row's text (missing stays missing), computed once per distinct value."""
    codes, uniques = pd.factorize(text.reset_index(drop=True))
    table = pd.array([*(function(str(u)) for u in uniques), None], dtype="string")
    return pd.Series(table.take(codes))  # code -1: the last, missing


class _Fields:
    """The export's fields by path (`service.description`), from a flattened column or a nested record."""

    def __init__(self, raw: pd.DataFrame):
        self.raw = raw.reset_index(drop=True)
        self.position: dict[str, int] = {}
        for i, name in enumerate(self.raw.columns):
            self.position.setdefault(_key(name), i)
        self._records: dict[str, tuple[np.ndarray, list]] = {}  # record column -> row codes, parsed records

    def column(self, path: str) -> str | None:
        """The file's column holding the field (the flattened column, or the record it is nested in)."""
        parts = path.split(".")
        for cut in range(len(parts), 0, -1):
            i = self.position.get(_key("_".join(parts[:cut])))
            if i is not None:
                return str(self.raw.columns[i])
        return None

    def has(self, path: str) -> bool:
        return self.column(path) is not None

    def _nested(self, path: str) -> tuple[int | None, tuple[np.ndarray, list] | None]:
        """The column of the field itself (position), or the row codes and values of the field taken from the
        distinct records it is nested in; (None, None) when the file has neither."""
        parts = path.split(".")
        for cut in range(len(parts), 0, -1):
            i = self.position.get(_key("_".join(parts[:cut])))
            if i is None:
                continue
            if cut == len(parts):
                return i, None
            prefix = ".".join(parts[:cut])
            if prefix not in self._records:
                codes, uniques = _distinct(self.raw.iloc[:, i])
                self._records[prefix] = codes, [_parse(u) for u in uniques]
            codes, records = self._records[prefix]
            return None, (codes, [_as_json_text(_walk(r, parts[cut:])) for r in records])
        return None, None

    def get(self, path: str) -> pd.Series:
        """The field per row: as stored when it has its own column, else taken from the record (nested values
        as JSON text); all missing when the file has neither."""
        i, nested = self._nested(path)
        if i is not None:
            return self.raw.iloc[:, i]
        if nested is not None:
            return pd.Series(_spread(*nested, None), dtype=object)
        return pd.Series(None, index=self.raw.index, dtype=object)

    def text(self, path: str) -> pd.Series:
        """The field as text, blank and null as missing."""
        _, nested = self._nested(path)
        if nested is not None:  # cleaned once per distinct value, then spread to the rows
            codes, found = nested
            clean = to_text(pd.Series([*found, None], dtype=object)).str.strip()
            return pd.Series(clean.where(clean != "").array.take(codes))  # code -1: the last, missing
        values = self.get(path)
        if pd.api.types.is_datetime64_any_dtype(values):
            return _iso(values)
        text = to_text(values).str.strip()
        return text.where(text != "").reset_index(drop=True)


def _walk(record: object, keys: list[str]) -> object:
    """The value at `keys` in a parsed record (a digit key indexes a list: `measurements.0.sum`)."""
    for key in keys:
        if isinstance(record, list) and key.isdigit():
            record = record[int(key)] if int(key) < len(record) else None
        elif isinstance(record, dict):
            record = record.get(key)
        else:
            return None
    return record


def _iso(times: pd.Series) -> pd.Series:
    return times.dt.strftime("%Y-%m-%dT%H:%M:%SZ").astype("string")


def _numbers(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Numbers as float (missing = NaN), and which values were text that is not a number."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype("float64").reset_index(drop=True), np.zeros(len(values), dtype=bool)
    text = to_text(values).str.strip()
    text = text.where(text != "").reset_index(drop=True)
    numbers = pd.to_numeric(text.astype(object).where(text.notna(), None), errors="coerce").astype("float64")
    bad = (text.notna() & (numbers.isna() | np.isinf(numbers))).to_numpy()
    return numbers.mask(bad), bad


def _times(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Timestamps in UTC: typed, BigQuery's `2024-03-01 08:00:00 UTC`, or ISO 8601 with `Z` or an offset."""
    values = values.reset_index(drop=True)
    if pd.api.types.is_datetime64_any_dtype(values):
        typed = values.dt.tz_localize("UTC") if values.dt.tz is None else values.dt.tz_convert("UTC")
        return typed.astype(UTC_TYPE), np.zeros(len(values), dtype=bool)
    text = to_text(values).str.strip()
    codes, uniques = pd.factorize(text.where(text != ""))
    written = pd.Index(uniques.astype(str)).str.replace(_BIGQUERY_TIME, "+00:00", regex=True)
    parsed = pd.to_datetime(written, format="ISO8601", utc=True, errors="coerce").as_unit("us")
    if len(parsed):
        stamps = pd.Series(parsed.take(np.where(codes >= 0, codes, 0)), dtype=UTC_TYPE).mask(codes < 0)
    else:
        stamps = pd.Series(pd.NaT, index=range(len(codes)), dtype=UTC_TYPE)
    return stamps, ((codes >= 0) & stamps.isna()).to_numpy()


def _pacific_month_start(times: pd.Series) -> pd.Series:
    """The start (in UTC) of each time's calendar month in Pacific time."""
    local = times.dt.tz_convert(PACIFIC).dt.tz_localize(None).dt.to_period("M").dt.start_time
    return local.dt.tz_localize(PACIFIC).dt.tz_convert("UTC").astype(UTC_TYPE)


def _next_month(starts: pd.Series) -> pd.Series:
    local = starts.dt.tz_convert(PACIFIC).dt.tz_localize(None) + pd.offsets.MonthBegin(1)
    return local.dt.tz_localize(PACIFIC).dt.tz_convert("UTC").astype(UTC_TYPE)


def _invoice_month(text: str | None) -> pd.Timestamp | None:
    """`202403` -> 2024-03-01 00:00 Pacific, in UTC; None unless the text is a month written YYYYMM."""
    if text is None or not re.fullmatch(r"\d{6}", text) or not 1 <= int(text[4:]) <= 12:
        return None
    return pd.Timestamp(int(text[:4]), int(text[4:]), 1, tz=PACIFIC).tz_convert("UTC")


def _bad_rows(mask: np.ndarray, values: pd.Series, file: str, column: str | None, problem: str,
              severity: str = "error") -> Finding:
    """A finding naming the rows of `mask` with their values: `2 values not a number: row 6 ('twelve'), ...`."""
    positions = np.flatnonzero(mask)
    shown = ", ".join(f"row {row_number(p)} ({str(values.iloc[p])[:40]!r})" for p in positions[:SAMPLE_SIZE])
    more = f" and {len(positions) - SAMPLE_SIZE:,} more" if len(positions) > SAMPLE_SIZE else ""
    return Finding(severity, file, column, f"{plural(len(positions), 'value')} {problem}: {shown}{more}",
                   tuple(row_number(p) for p in positions[:SAMPLE_SIZE]))


# ----- credits, labels ------------------------------------------------------------------------------
def _credit_type(credit: dict) -> str:
    kind = str(credit.get("type") or "").strip().upper()
    if kind:
        return kind
    name = f"{credit.get('name') or ''} {credit.get('full_name') or ''} {credit.get('id') or ''}".casefold()
    return next((t for words, t in _TYPE_FROM_NAME if words in name), "")


def _amount(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)  # a number, or a number written as text (`"-0.5"`, `"-5E-1"`)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(number) or np.isinf(number) else number


def _credit_summary(value: object) -> tuple | None:
    """(total, totals per x_Credit column, the committed use discount credit's (type, id, name)) of one row's
    credits; None when they cannot be read. No credits (missing, `[]`, `{}`) is a total of 0."""
    credits = _parse(value)
    if value is not None and not (isinstance(value, float) and np.isnan(value)) and credits is None \
            and str(value).strip() not in ("", "null", "NULL"):
        return None  # text that is not JSON
    if isinstance(credits, dict):
        credits = [credits] if credits else []
    if credits is None:
        credits = []
    if not isinstance(credits, list) or not all(isinstance(c, dict) for c in credits):
        return None
    totals = dict.fromkeys(CREDIT_TOTALS, 0.0)
    commitment = None
    for credit in credits:
        amount = _amount(credit.get("amount"))
        if amount is None and credit.get("amount") is not None:
            return None
        kind = _credit_type(credit)
        totals[CREDIT_COLUMNS.get(kind, OTHER_CREDITS)] += amount or 0.0
        if kind in COMMITMENT_CATEGORY and commitment is None:
            commitment = (kind, credit.get("id") or credit.get("name"), credit.get("full_name") or credit.get("name"))
    return sum(totals.values()), totals, commitment


def _labels(value: object) -> dict[str, str]:
    """Labels as a dict: from a list of `{key, value}` records, an object, or their JSON text."""
    parsed = _parse(value)
    if isinstance(parsed, dict):
        return {str(k): "" if v is None else str(v) for k, v in parsed.items()}
    out: dict[str, str] = {}
    for item in parsed if isinstance(parsed, list) else []:
        if isinstance(item, dict):
            key = item.get("key", item.get("Key"))
            if key is not None and str(key) != "":
                found = item.get("value", item.get("Value"))
                out[str(key)] = "" if found is None else str(found)
    return out


def _merged_labels(columns: list[pd.Series], length: int) -> pd.Series:
    """One JSON object per row from label columns, later columns winning on a shared key (None when empty)."""
    if not columns:
        return pd.Series(pd.NA, index=pd.RangeIndex(length), dtype="string")
    coded = [_distinct(c) for c in columns]
    parsed = [[_labels(u) for u in uniques] + [{}] for _, uniques in coded]  # code -1 (missing) is the last
    combos, rows = np.unique(np.stack([codes for codes, _ in coded], axis=1), axis=0, return_inverse=True)
    out = []
    for combo in combos:
        merged: dict[str, str] = {}
        for labels, code in zip(parsed, combo, strict=True):
            merged.update(labels[code])
        out.append(json.dumps(merged, ensure_ascii=False, sort_keys=True) if merged else None)
    return pd.Series(_spread(np.asarray(rows).reshape(-1), out, None), dtype="string")


def _subcategory(names: pd.Series, categories: pd.Series) -> pd.Series:
    """ServiceSubcategory per service name, else 'Other (<category>)'; always one of the category's own."""
    known = _mapped(names, lambda s: SERVICE_SUBCATEGORY.get(s.casefold()))
    return known.fillna("Other (" + categories.astype("string") + ")")


def _pricing_unit(units: pd.Series) -> pd.Series:
    return _mapped(units, lambda u: focus_unit(PRICING_UNITS.get(u.casefold(), u)))


def _service_category(names: pd.Series, file: str, findings: list[Finding]) -> pd.Series:
    """ServiceCategory per service name; unknown names 'Other', named in an info finding."""
    known = _mapped(names, lambda s: SERVICE_CATEGORY.get(s.casefold()))
    unknown = (names.notna() & known.isna()).to_numpy()
    if unknown.any():
        listed = ", ".join(sorted(set(names[unknown]))[:SAMPLE_SIZE])
        positions = np.flatnonzero(unknown)[:SAMPLE_SIZE]
        findings.append(Finding("info", file, "ServiceCategory", f"services without a known category are 'Other': "
                                f"{listed}", tuple(row_number(p) for p in positions)))
    return known.fillna("Other")


# ----- BigQuery export ------------------------------------------------------------------------------
def _credits_columns(values: pd.Series | None, length: int) -> tuple[dict[str, pd.Series], np.ndarray, np.ndarray]:
    """Per row: the credits' total and totals per x_Credit column, the committed use discount credit, and which
    rows' credits could not be read (their credits count as 0)."""
    if values is None:
        return {"x_CreditsTotal": pd.Series(0.0, index=range(length))}, np.full(length, None, dtype=object), \
            np.zeros(length, dtype=bool)
    codes, uniques = _distinct(values)
    summaries = [_credit_summary(u) for u in uniques] + [_credit_summary(None)]
    bad = np.array([s is None for s in summaries], dtype=bool)[codes]
    totals = {"x_CreditsTotal": pd.Series(np.array([s[0] if s else 0.0 for s in summaries])[codes])}
    for column in CREDIT_TOTALS:
        totals[column] = pd.Series(np.array([s[1][column] if s else 0.0 for s in summaries])[codes])
    return totals, _spread(codes, [s[2] if s else None for s in summaries[:-1]], summaries[-1][2]), bad


def convert_bigquery(raw: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[Finding]]:
    """The BigQuery usage cost export (standard or detailed) in FOCUS 1.2 columns plus `x_` columns."""
    f = _Fields(raw)
    missing = [path for path in ("cost", "usage_start_time") if not f.has(path)]
    if missing:
        return raw.iloc[:0, :0], [Finding("error", file, path, "required column is missing (a Google Cloud billing "
                                          "export needs cost and usage_start_time)") for path in missing]
    n, findings = len(f.raw), []
    cost, bad = _numbers(f.get("cost"))
    if bad.any():
        findings.append(_bad_rows(bad, f.get("cost"), file, f.column("cost"), "not a number"))
    credits = f.get("credits") if f.has("credits") else None
    totals, commitment, bad = _credits_columns(credits, n)
    if bad.any():
        findings.append(_bad_rows(bad, credits, file, f.column("credits"), "not a list of credits with numeric "
                                  "amounts"))
    start, end, _ = _charge_times(f, "usage_start_time", "usage_end_time", file, findings)
    invoice = _invoice_months(f, start, file, findings)

    cost_type = f.text("cost_type").str.lower().str.replace("_", " ")
    sku = f.text("sku.description")
    category = _mapped(cost_type, CHARGE_CATEGORY.get)
    unknown = (cost_type.notna() & category.isna()).to_numpy()
    if unknown.any():
        findings.append(_bad_rows(unknown, f.text("cost_type"), file, f.column("cost_type"), "a cost type this "
                                  "converter does not know (regular, tax, adjustment, rounding error), so loaded "
                                  "as Usage", "warning"))
    category = category.fillna("Usage")
    fee = (category.eq("Usage") & sku.str.contains(_COMMITMENT_FEE, na=False)).to_numpy()
    category[fee] = "Purchase"
    adjustment_info = [f.text(f"adjustment_info.{k}") for k in ("id", "description", "mode", "type")]
    correction = cost_type.eq("adjustment").fillna(False) & pd.concat(adjustment_info, axis=1).notna().any(axis=1)
    usage = category.eq("Usage").to_numpy()

    cud_kind = pd.Series([c[0] if c else None for c in commitment], dtype="string")
    covered = usage & cud_kind.notna().to_numpy()
    instance = f.text("subscription.instance_id")
    credit_id = pd.Series([c[1] if c else None for c in commitment], dtype="string")
    credit_name = pd.Series([c[2] if c else None for c in commitment], dtype="string")
    commitment_id = pd.Series(pd.NA, index=range(n), dtype="string")
    commitment_id[covered] = instance.fillna(credit_id)[covered]
    commitment_id[fee] = instance[fee]
    has_commitment = commitment_id.notna().to_numpy()
    fee_category = np.where(sku.str.contains("dollar based|spend", case=False, na=False), "Spend", "Usage")
    by_credit = _mapped(cud_kind, COMMITMENT_CATEGORY.get).astype(object)
    commitment_category = pd.Series(np.where(fee, fee_category, by_credit), dtype="string").where(has_commitment)
    pricing = pd.Series(np.where(covered | fee, "Committed", "Standard"), dtype="string")
    priced = usage | fee
    pricing_unit = _pricing_unit(f.text("usage.pricing_unit")).where(priced)
    transaction = f.text("transaction_type")
    third_party = transaction.str.upper().str.startswith("THIRD_PARTY").fillna(False)
    seller = f.text("seller_name")
    region = f.text("location.region")
    service = f.text("service.description")
    categories = _service_category(service, file, findings)
    billed = cost + totals["x_CreditsTotal"]
    list_cost = _numbers(f.get("cost_at_list"))[0].fillna(cost) if f.has("cost_at_list") else cost
    out = {
        "BillingAccountId": f.text("billing_account_id"),
        "BillingPeriodStart": invoice,
        "BillingPeriodEnd": _next_month(invoice),
        "ChargePeriodStart": start,
        "ChargePeriodEnd": end,
        "BilledCost": billed,
        "EffectiveCost": billed,
        "ContractedCost": cost,
        "ListCost": list_cost,
        "BillingCurrency": f.text("currency"),
        "ChargeCategory": category,
        "ChargeClass": pd.Series(np.where(correction, "Correction", None), dtype="string"),
        "ChargeFrequency": _mapped(category, CHARGE_FREQUENCY.get),
        "ChargeDescription": sku,
        "ProviderName": pd.Series(PROVIDER, index=range(n), dtype="string"),
        "PublisherName": seller.where(third_party).fillna(PROVIDER),
        "InvoiceIssuerName": pd.Series(PROVIDER, index=range(n), dtype="string"),
        "ServiceName": service,
        "ServiceCategory": categories,
        "ServiceSubcategory": _subcategory(service, categories),
        "SubAccountId": f.text("project.id"),
        "SubAccountName": f.text("project.name"),
        "SubAccountType": pd.Series(np.where(f.text("project.id").notna(), "Project", None), dtype="string"),
        "RegionId": region,
        "RegionName": _mapped(region, REGION_NAMES.get),
        "AvailabilityZone": f.text("location.zone"),
        "ResourceId": f.text("resource.global_name"),
        "ResourceName": f.text("resource.name"),
        "SkuId": f.text("sku.id"),
        "PricingCategory": pricing.where(priced),
        "PricingQuantity": _numbers(f.get("usage.amount_in_pricing_units"))[0].where(pricing_unit.notna()),
        "PricingUnit": pricing_unit,
        "ConsumedQuantity": _numbers(f.get("usage.amount"))[0].where(usage),
        "ConsumedUnit": _pricing_unit(f.text("usage.unit")).where(usage),
        "ContractedUnitPrice": _numbers(f.get("price.effective_price"))[0].where(priced),
        "ListUnitPrice": _numbers(f.get("price.list_price"))[0].where(priced),
        "CommitmentDiscountId": commitment_id,
        "CommitmentDiscountName": credit_name.where(covered & has_commitment).fillna(sku.where(fee & has_commitment)),
        "CommitmentDiscountCategory": commitment_category,
        "CommitmentDiscountType": pd.Series(COMMITMENT_TYPE, index=range(n), dtype="string").where(has_commitment),
        "CommitmentDiscountStatus": pd.Series(np.where(covered & has_commitment, "Used", None), dtype="string"),
        "Tags": _merged_labels([f.get(p) for p in ("project.labels", "tags", "labels") if f.has(p)], n),
        "x_CostType": f.text("cost_type"),
        "x_CostBeforeCredits": cost,
        **totals,
        "x_Credits": f.text("credits"),
        "x_ServiceId": f.text("service.id"),
        "x_ProjectNumber": f.text("project.number"),
        "x_ProjectAncestryNumbers": f.text("project.ancestry_numbers"),
        "x_Location": f.text("location.location"),
        "x_Country": f.text("location.country"),
        "x_SystemLabels": _merged_labels([f.get("system_labels")] if f.has("system_labels") else [], n),
        "x_ExportTime": f.text("export_time"),
        "x_InvoiceMonth": f.text("invoice.month"),
        "x_CurrencyConversionRate": f.text("currency_conversion_rate"),
        "x_AdjustmentId": adjustment_info[0],
        "x_AdjustmentDescription": adjustment_info[1],
        "x_AdjustmentMode": adjustment_info[2],
        "x_AdjustmentType": adjustment_info[3],
        "x_TransactionType": transaction,
        "x_SellerName": seller,
        "x_SubscriptionInstanceId": instance,
        "x_ConsumptionModelId": f.text("consumption_model.id"),
        "x_ConsumptionModelDescription": f.text("consumption_model.description"),
        "x_PriceTierStartAmount": f.text("price.tier_start_amount"),
    }
    frame = pd.DataFrame(out)
    # Columns whose source the file does not have at all are left out (decided by the header alone, so every
    # batch of a file has the same columns): the loader reports missing FOCUS columns as for any file.
    absent = [name for name, source in _SOURCES.items() if not f.has(source)]
    absent += [name for name, source in _X_SOURCES.items() if not f.has(source)]
    return frame.drop(columns=absent, errors="ignore"), findings


# FOCUS columns whose only source is this field: left out when the file does not have it.
_SOURCES = {"BillingAccountId": "billing_account_id", "BillingCurrency": "currency",
            "ListUnitPrice": "price.list_price", "SubAccountId": "project.id", "SubAccountName": "project.name",
            "SubAccountType": "project.id",
            "RegionId": "location.region", "RegionName": "location.region", "AvailabilityZone": "location.zone",
            "ResourceId": "resource.global_name", "ResourceName": "resource.name", "SkuId": "sku.id",
            "ChargeDescription": "sku.description", "ServiceName": "service.description",
            "ChargePeriodEnd": "usage_end_time", "ContractedUnitPrice": "price.effective_price",
            "PricingQuantity": "usage.amount_in_pricing_units", "PricingUnit": "usage.pricing_unit",
            "ConsumedQuantity": "usage.amount", "ConsumedUnit": "usage.unit"}
_X_SOURCES = {**dict.fromkeys(("x_Credits", *CREDIT_TOTALS), "credits"), "x_CostType": "cost_type",
              "x_ServiceId": "service.id", "x_ProjectNumber": "project.number",
              "x_ProjectAncestryNumbers": "project.ancestry_numbers", "x_Location": "location.location",
              "x_Country": "location.country", "x_SystemLabels": "system_labels", "x_ExportTime": "export_time",
              "x_InvoiceMonth": "invoice.month", "x_CurrencyConversionRate": "currency_conversion_rate",
              "x_AdjustmentId": "adjustment_info.id", "x_AdjustmentDescription": "adjustment_info.description",
              "x_AdjustmentMode": "adjustment_info.mode", "x_AdjustmentType": "adjustment_info.type",
              "x_TransactionType": "transaction_type", "x_SellerName": "seller_name",
              "x_SubscriptionInstanceId": "subscription.instance_id", "x_ConsumptionModelId": "consumption_model.id",
              "x_ConsumptionModelDescription": "consumption_model.description",
              "x_PriceTierStartAmount": "price.tier_start_amount"}


def _charge_times(f: _Fields, start_path: str, end_path: str, file: str, findings: list[Finding]
                  ) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Charge period start and end in UTC (an unreadable start is an error, an end a warning), and the start's
    Pacific month (the billing period when the file names none)."""
    start, bad = _times(f.get(start_path))
    if bad.any():
        findings.append(_bad_rows(bad, f.get(start_path), file, f.column(start_path), "not a time Google writes "
                                  "(2024-03-01 08:00:00 UTC, or ISO 8601 such as 2024-03-01T00:00:00-08:00)"))
    end, bad = _times(f.get(end_path))
    if bad.any():
        findings.append(_bad_rows(bad, f.get(end_path), file, f.column(end_path), "not a time Google writes, so "
                                  "the charge period's end is left empty", "warning"))
    return start, end, _pacific_month_start(start)


def _invoice_months(f: _Fields, start: pd.Series, file: str, findings: list[Finding]) -> pd.Series:
    """BillingPeriodStart from `invoice.month`; the charge's Pacific month where it is missing or unreadable."""
    written = f.text("invoice.month")
    months = pd.Series(_per_value(written, _invoice_month), dtype=object)
    period = pd.to_datetime(months.where(months.notna(), None), utc=True).astype(UTC_TYPE)
    bad = (written.notna() & period.isna()).to_numpy()
    if bad.any():
        findings.append(_bad_rows(bad, written, file, f.column("invoice.month"), "not a month written YYYYMM, so "
                                  "the billing period is the charge's month (Pacific time)", "warning"))
    if not f.has("invoice.month"):
        findings.append(Finding("info", file, "invoice.month", "column is missing: each charge's billing period is "
                                "the calendar month (Pacific time) of its usage start"))
    return period.fillna(_pacific_month_start(start))


# ----- Google's FOCUS export ------------------------------------------------------------------------
_TIME_COLUMNS = ("BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd", "x_ExportTime")


def convert_focus_export(raw: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[Finding]]:
    """Google's FOCUS export: FOCUS columns as exported, brought to 1.2 where the export differs."""
    frame = raw.reset_index(drop=True).copy()
    frame.columns = [str(c).replace("\ufeff", "").strip() for c in frame.columns]
    folded = {c.casefold(): c for c in frame.columns}
    n, findings = len(frame), [Finding("info", file, None, "read as Google Cloud's FOCUS export (FOCUS columns with "
                                       "Google's x_ columns)")]
    for name in (folded[c.casefold()] for c in _TIME_COLUMNS if c.casefold() in folded):
        if not pd.api.types.is_datetime64_any_dtype(frame[name]):  # BigQuery's `2024-03-01 08:00:00 UTC`
            frame[name] = to_text(frame[name]).str.replace(_BIGQUERY_TIME, "+00:00", regex=True)
    if "billingperiodstart" in folded and "billingperiodend" in folded:
        _exclusive_period_end(frame, folded["billingperiodstart"], folded["billingperiodend"], file, findings)
    project = frame[folded["x_project"]] if "x_project" in folded else None
    if project is not None and "subaccountid" in folded and "billingaccountid" in folded:
        _project_as_sub_account(frame, folded, project, file, findings)
    tags = folded.get("tags")
    label_columns = [frame[folded[c]] for c in ("x_projectlabels", "x_tags", "x_labels") if c in folded]
    if tags is not None:  # the FOCUS 1.0 view wrote Tags as a list of key/value records
        as_list = to_text(frame[tags]).str.lstrip().str.startswith("[").fillna(False).to_numpy()
        if as_list.any():
            frame[tags] = frame[tags].astype(object).where(~as_list, _merged_labels([frame[tags]], n).astype(object))
            findings.append(Finding("info", file, tags, f"{plural(int(as_list.sum()), 'row')} wrote Tags as a list of "
                                    "key/value records; read as one JSON object"))
    elif label_columns:
        frame["Tags"] = _merged_labels(label_columns, n)
        findings.append(Finding("info", file, "Tags", "built from the project labels, tags and resource labels "
                                "(x_ProjectLabels, x_Tags, x_Labels; a resource's own label wins)"))
    service = folded.get("servicename")
    category = folded.get("servicecategory")
    if service is not None and (category is None or frame[category].isna().any()):
        guessed = _service_category(to_text(frame[service]), file, findings)
        frame[category or "ServiceCategory"] = guessed if category is None else frame[category].fillna(guessed)
    if service is not None and "servicesubcategory" not in folded:
        frame["ServiceSubcategory"] = _subcategory(to_text(frame[service]),
                                                   to_text(frame[category or "ServiceCategory"]))
    if "chargefrequency" not in folded and "chargecategory" in folded:  # as for the BigQuery export
        frame["ChargeFrequency"] = _mapped(to_text(frame[folded["chargecategory"]]),
                                           CHARGE_FREQUENCY.get).set_axis(frame.index)
    for unit in ("pricingunit", "consumedunit"):  # Google's FOCUS table writes `hour`, `gibibyte hour`
        if unit in folded:
            frame[folded[unit]] = _pricing_unit(to_text(frame[folded[unit]])).set_axis(frame.index)
    for column in ("ProviderName", "PublisherName", "InvoiceIssuerName"):
        if column.casefold() not in folded and not (column == "ProviderName" and "serviceprovidername" in folded):
            frame[column] = PROVIDER
    return frame, findings


def _exclusive_period_end(frame: pd.DataFrame, start_name: str, end_name: str, file: str,
                          findings: list[Finding]) -> None:
    """A BillingPeriodEnd written as the midnight starting the month's last day (the FOCUS 1.0 view, in UTC or
    Pacific time) becomes the next month's start: FOCUS 1.2 period ends are exclusive."""
    start, _ = _times(frame[start_name])
    end, _ = _times(frame[end_name])
    fixed = pd.Series(pd.NaT, index=frame.index, dtype=UTC_TYPE)
    for zone in ("UTC", PACIFIC):
        wall = end.dt.tz_convert(zone).dt.tz_localize(None)
        last_day = wall.eq(wall.dt.normalize()) & (wall + pd.Timedelta(days=1)).dt.day.eq(1)
        month_of_start = start.dt.tz_convert(zone).dt.tz_localize(None).dt.to_period("M")
        inclusive = last_day & wall.dt.to_period("M").eq(month_of_start) & fixed.isna()
        next_start = (wall + pd.Timedelta(days=1)).dt.tz_localize(zone, nonexistent="shift_forward",
                                                                  ambiguous="NaT").dt.tz_convert("UTC")
        fixed = fixed.mask(inclusive.fillna(False), next_start.astype(UTC_TYPE))
    if fixed.notna().any():
        if pd.api.types.is_datetime64_any_dtype(frame[end_name]):
            frame[end_name] = end.mask(fixed.notna(), fixed)
        else:
            frame[end_name] = pd.Series(_iso(fixed), dtype=object).where(fixed.notna(), frame[end_name].astype(object))
        positions = np.flatnonzero(fixed.notna().to_numpy())
        rows = tuple(row_number(p) for p in positions[:SAMPLE_SIZE])
        listed = ", ".join(map(str, rows)) + (" …" if len(positions) > len(rows) else "")
        findings.append(Finding("info", file, end_name, f"{plural(len(positions), 'row')} ended the billing period "
                                "on the month's last day (the FOCUS 1.0 view's inclusive end), read as the next "
                                f"month's start (rows {listed})", rows))


def _project_as_sub_account(frame: pd.DataFrame, folded: dict[str, str], project: pd.Series, file: str,
                            findings: list[Finding]) -> None:
    """Where SubAccountId holds the billing account (the FOCUS 1.0 view), the project from x_Project instead."""
    records = pd.Series(_per_value(project, _parse), dtype=object)
    ids = pd.Series([_walk(r, ["id"]) or _walk(r, ["Id"]) for r in records], dtype="string")
    names = pd.Series([_walk(r, ["name"]) or _walk(r, ["Name"]) for r in records], dtype="string")
    sub, account = folded["subaccountid"], folded["billingaccountid"]
    wrong = (to_text(frame[sub]).eq(to_text(frame[account])) & ids.notna()).fillna(False).to_numpy()
    if wrong.any():
        frame[sub] = frame[sub].astype(object).where(~wrong, ids.astype(object))
        name = folded.get("subaccountname", "SubAccountName")
        frame[name] = (frame[name].astype(object) if name in frame else pd.Series(None, index=frame.index)).where(
            ~wrong, names.astype(object))
        findings.append(Finding("info", file, sub, f"{plural(int(wrong.sum()), 'row')} named the billing account as "
                                "sub-account (FOCUS 1.0 view); the project from x_Project is used"))


# ----- old JSON file export -------------------------------------------------------------------------
def convert_legacy(raw: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[Finding]]:
    """The old JSON file export (one line item per service, SKU and day) in FOCUS 1.2 columns."""
    f = _Fields(raw)
    if not f.has("cost.amount"):
        return raw.iloc[:0, :0], [Finding("error", file, "cost", "has no cost amount (cost.amount), so the line "
                                          "items' cost cannot be read")]
    n, findings = len(f.raw), []
    cost, bad = _numbers(f.get("cost.amount"))
    if bad.any():
        findings.append(_bad_rows(bad, f.get("cost.amount"), file, "cost.amount", "not a number"))
    credits = f.get("credits") if f.has("credits") else None
    totals, _, bad = _credits_columns(credits, n)
    if bad.any():
        findings.append(_bad_rows(bad, credits, file, "credits", "not a list of credits with numeric amounts"))
    start, end, month = _charge_times(f, "startTime", "endTime", file, findings)
    item = f.text("lineItemId")
    slug = item.str.extract(r"/services/([^/]+)/", expand=False)
    service = _mapped(slug, lambda s: LEGACY_SERVICES.get(s, s.replace("-", " ").title()))
    categories = _service_category(service.astype("string"), file, findings)
    measured = f.text("measurements.0.sum")
    project = f.text("projectId").fillna(f.text("projectNumber"))
    billed = cost + totals["x_CreditsTotal"]
    out = {
        "BillingAccountId": f.text("accountId"),
        "BillingPeriodStart": month,
        "BillingPeriodEnd": _next_month(month),
        "ChargePeriodStart": start,
        "ChargePeriodEnd": end,
        "BilledCost": billed, "EffectiveCost": billed, "ContractedCost": cost, "ListCost": cost,
        "BillingCurrency": f.text("cost.currency"),
        "ChargeCategory": "Usage", "ChargeFrequency": "Usage-Based", "PricingCategory": "Standard",
        "ChargeDescription": f.text("description").fillna(item.str.rsplit("/", n=1).str[-1]),
        "ProviderName": PROVIDER, "PublisherName": PROVIDER, "InvoiceIssuerName": PROVIDER,
        "ServiceName": service.astype("string"),
        "ServiceCategory": categories,
        "ServiceSubcategory": _subcategory(service.astype("string"), categories),
        "SubAccountId": project,
        "SubAccountName": f.text("projectName"),
        "SubAccountType": pd.Series(np.where(project.notna(), "Project", None), dtype="string"),
        "SkuId": item,
        "ConsumedQuantity": _numbers(measured)[0],
        "ConsumedUnit": _pricing_unit(f.text("measurements.0.unit")),
        "PricingQuantity": _numbers(measured)[0],
        "PricingUnit": _pricing_unit(f.text("measurements.0.unit")),
        "Tags": _merged_labels([f.get("projectLabels")] if f.has("projectLabels") else [], n),
        "x_ProjectNumber": f.text("projectNumber"),
        "x_Measurements": f.text("measurements"),
        "x_CostBeforeCredits": cost,
        **totals,
        "x_Credits": f.text("credits"),
    }
    frame = pd.DataFrame(out, index=range(n))
    sources = {**dict.fromkeys(("x_Credits", *CREDIT_TOTALS), "credits"), "BillingAccountId": "accountId",
               "SubAccountName": "projectName", "x_ProjectNumber": "projectNumber", "x_Measurements": "measurements"}
    absent = [name for name, source in sources.items() if not f.has(source)]
    return frame.drop(columns=absent, errors="ignore"), findings


FORMATS.extend([
    NativeFormat("Google Cloud FOCUS export", is_focus_export, convert_focus_export),
    NativeFormat("Google Cloud BigQuery billing export", is_bigquery_export, convert_bigquery),
    NativeFormat("Google Cloud billing file export (legacy JSON)", is_legacy_file_export, convert_legacy),
])
