"""Azure cost exports to FOCUS 1.2: cost details (EA, MCA, pay-as-you-go v1; actual and amortized) and FocusCost.

Cost details are recognised from the header whatever its spelling: PascalCase (EA), camelCase (MCA,
partner), all lowercase, the legacy pay-as-you-go usage layout (`PreTaxCost`, `UsageDateTime`,
`SubscriptionGuid`), localized headers with the English name in brackets (`Abonnement-GUID
(SubscriptionGuid)`), a byte-order mark. Column mapping follows the FinOps Foundation's Azure table
(tests/fixtures/reference/focus_conversion_rules/azure.csv), fixed for FOCUS 1.2 (`Credit`; refunds
keep their category; a charge period is the row's day, end exclusive).

Actual and amortized costs, as the Microsoft FinOps toolkit combines them: BilledCost comes from the
actual-cost export, EffectiveCost from the amortized-cost export. In the actual view usage covered by a
reservation or savings plan costs 0 and the commitment purchase its full price; in the amortized view
the covered usage carries its share of the commitment and the purchase costs 0. Which view a file is
comes from its name (`amortized` / `actual`) or else from its content (`view_of`).

- One file alone: actual -> BilledCost = EffectiveCost = cost (nothing can be amortized without the
  amortized export); amortized -> EffectiveCost = cost, BilledCost = cost except 0 for commitment-covered
  usage, unused commitment and commitment purchases (not what was invoiced). A warning says so.
- Both views of a billing period in one load (`combine_actual_amortized`, called by the FOCUS loader
  after every file is loaded): rows are matched on the charge's identity (`PAIR_KEY`, the columns present
  in both files: subscription, day, meter, resource, charge type, pricing model, commitment, quantity,
  product, additional info), the n-th actual row of a key with the n-th amortized row of the same key.
  A matched charge appears once, in the actual file's rows, with the amortized EffectiveCost; the
  amortized row is removed. Rows without a partner stay where they are: an actual-only row keeps its
  BilledCost with EffectiveCost 0 (a commitment purchase), an amortized-only row keeps its EffectiveCost
  with BilledCost 0 (usage covered by a commitment, unused commitment). So nothing is dropped or counted
  twice: BilledCost adds up to the actual file and EffectiveCost to the amortized file.

FocusCost exports are FOCUS already (with `x_` columns); preview values are mapped to FOCUS 1.2. A FocusCost
export holds the same charges as the cost details, so the two kinds of the same billing account and period
count every charge twice: a load warns when it holds both (`warn_focus_cost_with_cost_details`) or when the
cache already holds the other kind (`cached_double_counts`, called by the cache's load).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np
import pandas as pd

from analysis.focus.coerce import Finding, plural, row_number
from analysis.focus.schema import SUBCATEGORY_PARENT
from analysis.sources import FORMATS, NativeFormat
from analysis.sources.units import focus_units

PROVIDER = "Microsoft"
VIEW_COLUMN = "x_CostDetailsView"  # "actual" or "amortized": which export a row came from
ACTUAL, AMORTIZED = "actual", "amortized"

# Internal field -> spellings (case-folded English names, as in brackets of a localized header), first found wins.
FIELDS: dict[str, tuple[str, ...]] = {
    "cost": ("costinbillingcurrency", "pretaxcost", "cost"),
    "date": ("date", "usagedatetime", "usagedate"),
    "currency": ("billingcurrencycode", "billingcurrency", "currency"),
    "subscription_id": ("subscriptionid", "subscriptionguid"),
    "subscription_name": ("subscriptionname",),
    "account_id": ("billingaccountid",),
    "account_name": ("billingaccountname",),
    "period_start": ("billingperiodstartdate",),
    "period_end": ("billingperiodenddate",),
    "meter_category": ("metercategory",),
    "service_name": ("servicename",),
    "service_family": ("servicefamily",),
    "location": ("resourcelocation",),
    "resource_id": ("resourceid", "instanceid", "instancename"),
    "resource_name": ("resourcename",),
    "resource_type": ("resourcetype",),
    "charge_type": ("chargetype",),
    "pricing_model": ("pricingmodel",),
    "benefit_id": ("benefitid",),
    "benefit_name": ("benefitname",),
    "reservation_id": ("reservationid",),
    "reservation_name": ("reservationname",),
    "frequency": ("frequency",),
    "quantity": ("quantity", "usagequantity"),
    "unit": ("unitofmeasure",),
    "unit_price": ("unitprice",),
    "payg_price": ("paygprice",),
    "payg_cost": ("paygcostinbillingcurrency",),
    "product": ("productname", "product"),
    "publisher": ("publishername",),
    "zone": ("availabilityzone",),
    "tags": ("tags",),
    "meter_id": ("meterid",),
    "additional_info": ("additionalinfo",),
    "part_number": ("partnumber", "productid"),
    "invoice_id": ("invoiceid",),
}
# Detection: a cost column and at least two of these (a FOCUS file has BilledCost and is not Azure cost details).
_MARKERS = frozenset({"metercategory", "meterid", "metername", "subscriptionguid", "subscriptionid",
                      "consumedservice", "metersubcategory", "resourcelocation", "meterregion"})
# FocusCost: FOCUS columns plus Microsoft's own x_ columns.
_FOCUSCOST_MARKERS = frozenset({"x_skumetercategory", "x_skumeterid", "x_billingprofileid", "x_resourcegroupname",
                                "x_invoicesectionid", "x_skupartnumber", "x_billedcostinusd", "x_effectivecostinusd"})
# Fields whose whole content is in FOCUS columns, so not kept again as x_ columns.
_CONSUMED = frozenset({"invoice_id", "cost", "date", "currency", "subscription_id", "subscription_name", "account_id",
                       "account_name", "period_start", "period_end", "resource_id", "resource_name", "zone",
                       "quantity", "unit", "tags"})
# x_ columns get one spelling whatever the layout (`meterId`, `meterid` -> x_MeterId), so that months and
# layouts line up in the cache and an actual + amortized pair can be matched on them.
X_NAMES = {n.casefold(): n for n in (
    "MeterId", "MeterName", "MeterCategory", "MeterSubCategory", "MeterRegion", "ChargeType", "PricingModel",
    "PartNumber", "ProductId", "ProductName", "AdditionalInfo", "ProductOrderId", "ProductOrderName", "BenefitId",
    "BenefitName", "ReservationId", "ReservationName", "ResourceGroup", "ResourceGroupName", "ResourceLocation",
    "ConsumedService", "ServiceFamily", "ServiceInfo1", "ServiceInfo2", "UnitPrice", "EffectivePrice", "PayGPrice",
    "PayGCostInBillingCurrency", "CostInUsd", "CostInPricingCurrency", "PricingCurrency", "Frequency", "Term",
    "PublisherName", "PublisherType", "PublisherId", "InvoiceSectionId", "InvoiceSectionName", "CostCenter",
    "BillingProfileId", "BillingProfileName", "OfferId", "PlanName", "ServicePeriodStartDate",
    "ServicePeriodEndDate", "ExchangeRatePricingToBilling", "ExchangeRateDate", "CustomerTenantId", "CustomerName",
    "PartnerName", "ResellerName", "ResellerMpnId", "ResourceRate", "ServiceName", "ServiceTier", "InstanceName",
    "AccountName", "AccountOwnerId", "IsAzureCreditEligible", "CostAllocationRuleName", "Location")}
_BRACKETED = re.compile(r"\(([^()]+)\)\s*$")

CHARGE_CATEGORY = {"usage": "Usage", "purchase": "Purchase", "tax": "Tax", "unusedreservation": "Usage",
                   "unusedsavingsplan": "Usage", "credit": "Credit", "azurecredit": "Credit",
                   "roundingadjustment": "Adjustment", "adjustment": "Adjustment"}
PRICING_CATEGORY = {"ondemand": "Standard", "spot": "Dynamic", "reservation": "Committed",
                    "savingsplan": "Committed"}
CHARGE_FREQUENCY = {"onetime": "One-Time", "recurring": "Recurring", "usagebased": "Usage-Based"}
COMMITMENT_MODELS = frozenset({"reservation", "savingsplan"})
UNUSED = frozenset({"unusedreservation", "unusedsavingsplan"})

# MeterCategory (then ServiceFamily) -> FOCUS ServiceCategory; anything else is Other.
SERVICE_CATEGORY = {
    "virtual machines": "Compute", "virtual machines licenses": "Compute", "functions": "Compute",
    "container instances": "Compute", "azure kubernetes service": "Compute", "batch": "Compute",
    "cloud services": "Compute", "azure container apps": "Compute", "container registry": "Compute",
    "storage": "Storage", "backup": "Storage", "azure netapp files": "Storage",
    "bandwidth": "Networking", "virtual network": "Networking", "load balancer": "Networking",
    "vpn gateway": "Networking", "application gateway": "Networking", "azure dns": "Networking",
    "azure front door service": "Networking", "content delivery network": "Networking",
    "expressroute": "Networking", "network watcher": "Networking", "azure firewall": "Networking",
    "ip addresses": "Networking", "nat gateway": "Networking", "azure bastion": "Networking",
    "sql database": "Databases", "sql managed instance": "Databases", "azure database for mysql": "Databases",
    "azure database for postgresql": "Databases", "azure cosmos db": "Databases", "redis cache": "Databases",
    "azure database for mariadb": "Databases",
    "log analytics": "Management and Governance", "azure monitor": "Management and Governance",
    "insight and analytics": "Management and Governance", "automation": "Management and Governance",
    "advanced threat protection": "Security", "advanced data security": "Security", "key vault": "Security",
    "microsoft defender for cloud": "Security", "sentinel": "Security",
    "azure app service": "Web", "app service": "Web", "api management": "Integration",
    "service bus": "Integration", "event grid": "Integration", "logic apps": "Integration",
    "event hubs": "Analytics", "azure synapse analytics": "Analytics", "azure data factory v2": "Analytics",
    "azure databricks": "Analytics", "hdinsight": "Analytics", "stream analytics": "Analytics",
    "cognitive services": "AI and Machine Learning", "azure machine learning": "AI and Machine Learning",
    "azure openai": "AI and Machine Learning", "iot hub": "Internet of Things",
    "azure devops": "Developer Tools", "visual studio subscription": "Developer Tools",
    "azure active directory": "Identity", "microsoft entra id": "Identity",
    # ServiceFamily values
    "compute": "Compute", "networking": "Networking", "databases": "Databases", "security": "Security",
    "analytics": "Analytics", "ai + machine learning": "AI and Machine Learning", "web": "Web",
    "management and governance": "Management and Governance", "internet of things": "Internet of Things",
    "integration": "Integration", "developer tools": "Developer Tools", "containers": "Compute",
}
# MeterCategory -> FOCUS ServiceSubcategory where one clearly fits; otherwise "Other (<ServiceCategory>)".
SERVICE_SUBCATEGORY = {
    "virtual machines": "Virtual Machines", "virtual machines licenses": "Virtual Machines",
    "functions": "Serverless Compute", "container instances": "Containers", "azure kubernetes service": "Containers",
    "azure container apps": "Containers", "container registry": "Containers",
    "storage": "Storage Platforms", "backup": "Backup Storage", "azure netapp files": "File Storage",
    "bandwidth": "Network Connectivity", "virtual network": "Network Infrastructure",
    "load balancer": "Network Infrastructure", "vpn gateway": "Network Connectivity",
    "expressroute": "Network Connectivity", "azure dns": "Network Routing", "ip addresses": "Network Infrastructure",
    "nat gateway": "Network Infrastructure", "application gateway": "Application Networking",
    "azure front door service": "Content Delivery", "content delivery network": "Content Delivery",
    "azure firewall": "Network Security", "azure bastion": "Network Security",
    "sql database": "Relational Databases", "sql managed instance": "Relational Databases",
    "azure database for mysql": "Relational Databases", "azure database for postgresql": "Relational Databases",
    "azure database for mariadb": "Relational Databases", "azure cosmos db": "NoSQL Databases",
    "redis cache": "Caching", "log analytics": "Observability", "azure monitor": "Observability",
    "insight and analytics": "Observability", "key vault": "Secret Management",
    "advanced threat protection": "Threat Detection and Response", "sentinel": "Threat Detection and Response",
    "microsoft defender for cloud": "Security Posture Management",
    "advanced data security": "Security Posture Management", "azure app service": "Application Platforms",
    "app service": "Application Platforms", "api management": "API Management", "service bus": "Messaging",
    "event grid": "Messaging", "logic apps": "Workflow Orchestration", "event hubs": "Streaming Analytics",
    "stream analytics": "Streaming Analytics", "azure synapse analytics": "Analytics Platforms",
    "azure data factory v2": "Data Processing", "azure databricks": "Data Processing", "hdinsight": "Data Processing",
    "cognitive services": "AI Platforms", "azure machine learning": "Machine Learning",
    "azure openai": "Generative AI", "iot hub": "IoT Platforms",
    "azure active directory": "Identity and Access Management", "microsoft entra id": "Identity and Access Management",
}
# Display names of locations (old exports) -> Azure region ids.
REGION_IDS = {
    "us east": "eastus", "us east 2": "eastus2", "us west": "westus", "us west 2": "westus2", "us west 3": "westus3",
    "us central": "centralus", "us north central": "northcentralus", "us south central": "southcentralus",
    "us west central": "westcentralus", "eu west": "westeurope", "eu north": "northeurope",
    "ca central": "canadacentral", "ca east": "canadaeast", "uk south": "uksouth", "uk west": "ukwest",
    "ap east": "eastasia", "ap southeast": "southeastasia", "ja east": "japaneast", "ja west": "japanwest",
    "au east": "australiaeast", "au southeast": "australiasoutheast", "br south": "brazilsouth",
    "in central": "centralindia", "in south": "southindia", "kr central": "koreacentral",
    "de west central": "germanywestcentral", "fr central": "francecentral", "ch north": "switzerlandnorth",
    "no east": "norwayeast", "se central": "swedencentral", "za north": "southafricanorth",
}


def english_name(header: str) -> str:
    """A header cell's English name: `Abonnement-GUID (SubscriptionGuid)` -> `SubscriptionGuid`."""
    name = str(header).replace("\ufeff", "").strip()
    bracketed = _BRACKETED.search(name)
    return bracketed.group(1).strip() if bracketed else name


def _fields(columns: Sequence[str]) -> dict[str, int]:
    """Internal field -> column position, for the fields the header has."""
    folded = [english_name(c).casefold() for c in columns]
    found: dict[str, int] = {}
    for field, spellings in FIELDS.items():
        for spelling in spellings:
            if spelling in folded:
                found[field] = folded.index(spelling)
                break
    return found


def looks_like_cost_details(columns: Sequence[str]) -> bool:
    """Azure cost details (any layout), even without its cost column (then `convert` reports it)."""
    folded = {english_name(c).casefold() for c in columns}
    return "billedcost" not in folded and len(folded & _MARKERS) >= 2


def looks_like_focus_cost(columns: Sequence[str]) -> bool:
    """An Azure FocusCost export: FOCUS costs and Microsoft's x_ columns."""
    folded = {str(c).replace("\ufeff", "").strip().casefold() for c in columns}
    return {"billedcost", "effectivecost"} <= folded and bool(folded & _FOCUSCOST_MARKERS)


# ----- values ----------------------------------------------------------------------------------
def _text(raw: pd.DataFrame, fields: dict[str, int], field: str) -> pd.Series:
    """A field's values as stripped text, missing as ""; all "" when the header lacks it."""
    if field not in fields:
        return pd.Series("", index=raw.index, dtype="string")
    column = raw.iloc[:, fields[field]]
    text = column.astype("string").fillna("").str.strip()
    return text.where(~text.isin(["NULL", "null", "None"]), "")


def _numbers(text: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Text to float (empty -> NaN) and which non-empty values are not numbers."""
    values = pd.to_numeric(text.where(text != ""), errors="coerce").astype("float64")
    return values, ((text != "") & values.isna()).to_numpy()


_DATE_FORMATS = ("%m/%d/%Y", "%Y-%m-%d", "ISO8601", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M:%S %p")


def _dates(text: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Azure dates (US `09/21/2023` in EA, ISO `2021-02-02` elsewhere) as UTC days; bad ones flagged."""
    codes, uniques = pd.factorize(text)
    uniques = np.asarray(uniques, dtype=object)
    parsed = np.full(len(uniques), np.datetime64("NaT"), dtype="datetime64[us]")
    for fmt in _DATE_FORMATS:
        todo = np.isnat(parsed) & (uniques != "")
        if not todo.any():
            break
        found = pd.to_datetime(pd.Series(uniques[todo], dtype=object), format=fmt, utc=True, errors="coerce")
        parsed[todo] = found.dt.tz_convert(None).dt.as_unit("us").to_numpy()
    stamps = parsed[codes] if len(uniques) else np.full(len(codes), np.datetime64("NaT"), "datetime64[us]")
    stamps[codes < 0] = np.datetime64("NaT")
    values = pd.Series(stamps, index=text.index).dt.tz_localize("UTC")
    return values, ((text != "") & values.isna()).to_numpy()


def _rows(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(row_number(i) for i in np.flatnonzero(mask)[:10])


def _tags(text: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Tags as a JSON object string (EA writes them without the outer braces); unreadable flagged."""
    def one(value: str) -> tuple[str | None, bool]:
        if not value:
            return None, False
        candidate = value if value.startswith("{") else "{" + value + "}"
        try:
            parsed = json.loads(candidate)
        except ValueError:
            return None, True
        if not isinstance(parsed, dict):
            return None, True
        return json.dumps(parsed, ensure_ascii=False), False

    codes, uniques = pd.factorize(text)
    done = [one(u) for u in uniques]
    values = pd.Series([done[c][0] if c >= 0 else None for c in codes], index=text.index, dtype="string")
    bad = np.array([done[c][1] if c >= 0 else False for c in codes], dtype=bool)
    return values, bad


def _region(location: pd.Series) -> pd.Series:
    """Locations as region ids (`US East` -> `eastus`, `EastUS` -> `eastus`), each distinct value once."""
    codes, uniques = pd.factorize(location.str.casefold())
    ids = np.array([REGION_IDS.get(u, u.replace(" ", "")) or None for u in uniques] + [None], dtype=object)
    return pd.Series(ids[codes], index=location.index, dtype="string")


def view_of(name: str, charge_type: pd.Series, pricing_model: pd.Series, cost: pd.Series) -> str | None:
    """`actual`, `amortized`, or None when the file cannot tell (no commitment rows: both views agree)."""
    folded = name.casefold()
    if "amortiz" in folded or "amortis" in folded:
        return AMORTIZED
    if "actual" in folded:
        return ACTUAL
    charge = charge_type.str.casefold().str.replace(" ", "")
    committed = pricing_model.str.casefold().str.replace(" ", "").isin(COMMITMENT_MODELS)
    paid = cost.fillna(0) != 0
    if (charge.isin(UNUSED)).any() or (committed & (charge == "usage") & paid).any():
        return AMORTIZED
    if (committed & (charge == "purchase") & paid).any() or (committed & (charge == "usage") & ~paid).any():
        return ACTUAL
    return None


# ----- cost details --------------------------------------------------------------------------
def convert_cost_details(raw: pd.DataFrame, shown: str) -> tuple[pd.DataFrame, list[Finding]]:
    """Azure cost details (actual or amortized, any layout) as FOCUS columns plus x_ columns."""
    columns = [str(c) for c in raw.columns]
    fields = _fields(columns)
    findings: list[Finding] = []
    if "cost" not in fields:
        return pd.DataFrame(), [Finding("error", shown, "CostInBillingCurrency", "looks like an Azure cost export but "
                                        "has no cost column (CostInBillingCurrency, costInBillingCurrency, PreTaxCost "
                                        "or Cost), so no amount can be loaded")]
    if "date" not in fields:
        return pd.DataFrame(), [Finding("error", shown, "Date", "looks like an Azure cost export but has no date "
                                        "column (Date, date or UsageDateTime)")]
    cost_name = english_name(columns[fields["cost"]])
    date_name = english_name(columns[fields["date"]])
    t = {field: _text(raw, fields, field) for field in FIELDS}
    cost, bad_cost = _numbers(t["cost"])
    if bad_cost.any():
        findings.append(Finding("error", shown, cost_name, f"{plural(int(bad_cost.sum()), 'cost')} "
                                f"{'is' if bad_cost.sum() == 1 else 'are'} not a number (for example "
                                f"{t['cost'][bad_cost].iloc[0]!r})", _rows(bad_cost)))
    day, bad_day = _dates(t["date"])
    if bad_day.any():
        findings.append(Finding("error", shown, date_name, f"{plural(int(bad_day.sum()), 'date')} in a format "
                                f"Azure never writes (for example {t['date'][bad_day].iloc[0]!r}; expected "
                                "MM/DD/YYYY or YYYY-MM-DD)", _rows(bad_day)))
    if findings:
        return pd.DataFrame(), findings

    charge = t["charge_type"].str.casefold().str.replace(" ", "")
    model = t["pricing_model"].str.casefold().str.replace(" ", "")
    benefit = t["benefit_id"].where(t["benefit_id"] != "", t["reservation_id"])
    benefit_path = t["benefit_id"].str.casefold()
    commitment_type = pd.Series(pd.NA, index=raw.index, dtype="string")
    commitment_type[benefit_path.str.contains("/microsoft.capacity/", regex=False)] = "Reservation"
    commitment_type[benefit_path.str.contains("/microsoft.billingbenefits/", regex=False)] = "Savings Plan"
    commitment_type[commitment_type.isna() & (model == "reservation")] = "Reservation"
    commitment_type[commitment_type.isna() & (model == "savingsplan")] = "Savings Plan"
    commitment_type[commitment_type.isna() & (benefit != "") & charge.isin(UNUSED)] = \
        charge.map({"unusedreservation": "Reservation", "unusedsavingsplan": "Savings Plan"})
    committed = commitment_type.notna().to_numpy()

    out = pd.DataFrame(index=raw.index)
    out["ChargePeriodStart"] = day
    out["ChargePeriodEnd"] = day + pd.Timedelta(days=1)
    start, _ = _dates(t["period_start"])
    end, _ = _dates(t["period_end"])
    month = day.dt.tz_convert(None).dt.to_period("M").dt.start_time.dt.tz_localize("UTC").astype(day.dtype)
    out["BillingPeriodStart"] = start.fillna(month)
    out["BillingPeriodEnd"] = (end + pd.Timedelta(days=1)).fillna(  # Azure's end date is the last day
        (month.dt.tz_convert(None) + pd.offsets.MonthBegin(1)).dt.tz_localize("UTC").astype(day.dtype))
    out["BillingAccountId"] = t["account_id"].replace("", pd.NA)
    out["BillingAccountName"] = t["account_name"].replace("", pd.NA)
    out["SubAccountId"] = t["subscription_id"].replace("", pd.NA)
    out["SubAccountName"] = t["subscription_name"].replace("", pd.NA)
    if "currency" in fields:  # without the column, the loader takes USD and says so
        out["BillingCurrency"] = t["currency"].replace("", pd.NA)
    service = t["meter_category"].where(t["meter_category"] != "", t["service_name"])
    out["ServiceName"] = service.replace("", pd.NA)
    category = service.str.casefold().map(SERVICE_CATEGORY)
    category = category.fillna(t["service_family"].str.casefold().map(SERVICE_CATEGORY)).fillna("Other")
    out["ServiceCategory"] = category.astype("string")
    out["ServiceSubcategory"] = _subcategories(service, category)
    out["RegionId"] = _region(t["location"])
    out["RegionName"] = t["location"].replace("", pd.NA)
    out["AvailabilityZone"] = t["zone"].replace("", pd.NA)
    out["ResourceId"] = t["resource_id"].replace("", pd.NA)
    name = t["resource_name"].where(t["resource_name"] != "", t["resource_id"].str.rsplit("/", n=1).str[-1])
    out["ResourceName"] = name.replace("", pd.NA)
    out["ResourceType"] = t["resource_type"].replace("", pd.NA)
    if "invoice_id" in fields:  # MCA; EA cost details carry no invoice id
        out["InvoiceId"] = t["invoice_id"].replace("", pd.NA)
    # Charge category: legacy v1 files have no ChargeType and hold usage only.
    unknown_charge = (~charge.isin(list(CHARGE_CATEGORY) + ["", "refund"])).to_numpy()
    refund_of = np.where(committed | (t["reservation_id"] != "").to_numpy(), "Purchase", "Usage")
    category_values = np.array(charge.map(CHARGE_CATEGORY).fillna("Adjustment").astype("object").to_numpy(), dtype=object)
    category_values[(charge == "").to_numpy()] = "Usage"
    category_values[(charge == "refund").to_numpy()] = refund_of[(charge == "refund").to_numpy()]
    out["ChargeCategory"] = pd.Series(category_values, index=raw.index, dtype="string")
    if unknown_charge.any():
        findings.append(Finding("warning", shown, "ChargeType", f"{plural(int(unknown_charge.sum()), 'row')} "
                                f"with a charge type this converter does not know (for example "
                                f"{t['charge_type'][unknown_charge].iloc[0]!r}): loaded as Adjustment",
                                _rows(unknown_charge)))
    out["ChargeClass"] = pd.Series(pd.NA, index=raw.index, dtype="string")  # cost details carry no corrections
    frequency = t["frequency"].str.casefold().map(CHARGE_FREQUENCY).astype("string")
    # without a Frequency column (older layouts), a usage charge is usage-based
    out["ChargeFrequency"] = frequency.where(frequency.notna() | (out["ChargeCategory"] != "Usage"), "Usage-Based")
    out["ChargeDescription"] = t["product"].replace("", pd.NA)
    pricing = model.map(PRICING_CATEGORY).astype("string")
    unknown_model = ((model != "") & pricing.isna()).to_numpy()
    pricing[unknown_model] = "Other"
    pricing[pricing.isna() & committed & (charge == "usage").to_numpy()] = "Committed"
    out["PricingCategory"] = pricing
    if unknown_model.any():
        findings.append(Finding("warning", shown, "PricingModel", f"{plural(int(unknown_model.sum()), 'row')} "
                                "with a pricing model this converter does not know: PricingCategory Other",
                                _rows(unknown_model)))
    out["CommitmentDiscountId"] = benefit.where(committed, "").replace("", pd.NA)
    name_of = t["benefit_name"].where(t["benefit_name"] != "", t["reservation_name"])
    out["CommitmentDiscountName"] = name_of.where(committed, "").replace("", pd.NA)
    out["CommitmentDiscountType"] = commitment_type
    out["CommitmentDiscountCategory"] = commitment_type.map({"Reservation": "Usage", "Savings Plan": "Spend"})
    status = pd.Series(pd.NA, index=raw.index, dtype="string")
    status[committed & (charge == "usage").to_numpy()] = "Used"
    status[committed & charge.isin(UNUSED).to_numpy()] = "Unused"
    out["CommitmentDiscountStatus"] = status
    quantity, _ = _numbers(t["quantity"])
    out["ConsumedQuantity"] = quantity
    out["PricingQuantity"] = quantity
    out["ConsumedUnit"] = focus_units(t["unit"].replace("", pd.NA))  # `1 Hour` -> `Hours`, `10K` -> `10000 Units`
    out["PricingUnit"] = out["ConsumedUnit"]
    out["ProviderName"] = PROVIDER
    out["PublisherName"] = t["publisher"].where(t["publisher"] != "", PROVIDER)
    out["InvoiceIssuerName"] = PROVIDER
    # List and contracted costs where the export has pay-as-you-go and negotiated prices.
    payg_cost, _ = _numbers(t["payg_cost"])
    payg_price, _ = _numbers(t["payg_price"])
    unit_price, _ = _numbers(t["unit_price"])
    if "payg_cost" in fields:
        out["ListCost"] = payg_cost
    elif "payg_price" in fields and "quantity" in fields:
        out["ListCost"] = payg_price * quantity
        out["ListUnitPrice"] = payg_price
    if "unit_price" in fields and "quantity" in fields:
        out["ContractedCost"] = unit_price * quantity
        out["ContractedUnitPrice"] = unit_price
    tags, bad_tags = _tags(t["tags"])
    out["Tags"] = tags
    if bad_tags.any():
        findings.append(Finding("warning", shown, english_name(columns[fields["tags"]]),
                                f"{plural(int(bad_tags.sum()), 'row')} with tags that are not a JSON object: "
                                "loaded untagged, the text kept in x_Tags", _rows(bad_tags)))

    view = view_of(shown, t["charge_type"], t["pricing_model"], cost)
    if view == AMORTIZED:
        out["BilledCost"] = cost.where(~(committed | charge.isin(UNUSED).to_numpy()), 0.0)
        out["EffectiveCost"] = cost
        findings.append(Finding("warning", shown, None, "Azure amortized-cost export without its actual-cost "
                                "export: EffectiveCost is the amortized cost; BilledCost is the same except "
                                f"0 for the {plural(int(committed.sum()), 'row')} of reservations and savings "
                                "plans (what was invoiced for them is in the actual-cost export; load both "
                                "files together to get it)"))
    else:
        out["BilledCost"] = cost
        out["EffectiveCost"] = cost
        if committed.any():
            findings.append(Finding("warning", shown, None, "Azure actual-cost export without its amortized-cost "
                                    "export: EffectiveCost equals BilledCost, so reservation and savings plan "
                                    f"purchases count in full on their day and usage they cover at 0 "
                                    f"({plural(int(committed.sum()), 'row')}; load the amortized-cost export with "
                                    "it to spread them)"))
    _unpriced_costs(out, shown, findings)
    out[VIEW_COLUMN] = view or ACTUAL
    # The provider's other columns, as x_<English name>.
    consumed = {fields[f] for f in _CONSUMED if f in fields} - ({fields["tags"]} if bad_tags.any() else set())
    taken = {c.casefold() for c in out.columns}
    for i, column in enumerate(columns):
        if i in consumed:
            continue
        bare = re.sub(r"[^0-9A-Za-z_]", "", english_name(column).replace(" ", "_"))
        bare = X_NAMES.get(bare.casefold(), bare[:1].upper() + bare[1:])
        kept = "x_" + bare
        if kept.casefold() in taken or kept == "x_":
            continue
        taken.add(kept.casefold())
        out[kept] = raw.iloc[:, i].astype("string")
    findings.insert(0, Finding("info", shown, None, f"read as an Azure cost-details export ({view or ACTUAL} cost"
                               f"{'' if view else ', no reservation or savings plan rows to tell the views apart'}"
                               f"; costs from {cost_name})"))
    return out.reset_index(drop=True), findings


def _unpriced_costs(out: pd.DataFrame, shown: str, findings: list[Finding]) -> None:
    """FOCUS 1.2: ListCost and ContractedCost never null; a charge without the unit price to compute one from
    (pay-as-you-go layouts have no prices; some rows no quantity) gets its BilledCost, as the spec says for a
    charge unrelated to other charges."""
    for cost, price in (("ListCost", "ListUnitPrice"), ("ContractedCost", "ContractedUnitPrice")):
        given = out[cost] if cost in out else pd.Series(np.nan, index=out.index)
        missing = given.isna() & (out[price].isna() if price in out else True)
        if missing.any():
            out[cost] = given.where(~missing, out["BilledCost"])
            findings.append(Finding("info", shown, None, f"{plural(int(missing.sum()), 'row')} with no {price} to "
                                    f"compute {cost} from: {cost} is the BilledCost"))


# ----- FocusCost -------------------------------------------------------------------------------
_PREVIEW_VALUES = {"PricingCategory": {"On-Demand": "Standard", "Commitment-Based": "Committed",
                                       "OnDemand": "Standard", "Spot": "Dynamic"}}


def convert_focus_cost(raw: pd.DataFrame, shown: str) -> tuple[pd.DataFrame, list[Finding]]:
    """An Azure FocusCost export: FOCUS already; preview values mapped to 1.2, x_ columns kept as they are."""
    frame = raw.copy()
    frame.columns = [str(c).replace("\ufeff", "").strip() for c in frame.columns]
    findings = [Finding("info", shown, None, "read as an Azure FocusCost export (FOCUS columns with Microsoft's "
                        "x_ columns)")]
    for column, values in _PREVIEW_VALUES.items():
        if column in frame:
            text = frame[column].astype("string")
            frame[column] = text.replace(values)
    if "ProviderName" not in frame and "ServiceProviderName" not in frame:
        frame["ProviderName"] = PROVIDER
    if "ServiceSubcategory" not in frame and {"ServiceName", "ServiceCategory"} <= set(frame.columns):  # FOCUS 1.0
        frame["ServiceSubcategory"] = _subcategories(frame["ServiceName"].astype("string"),
                                                     frame["ServiceCategory"].astype("string"))
    return frame, findings


def _subcategories(service: pd.Series, category: pd.Series) -> pd.Series:
    """ServiceSubcategory per row from its service name where one fits its category, else `Other (<category>)`."""
    subcategory = service.str.casefold().map(SERVICE_SUBCATEGORY)
    fits = subcategory.map(SUBCATEGORY_PARENT) == category
    return subcategory.where(fits, "Other (" + category + ")").astype("string")


AZURE_FORMATS = [
    NativeFormat("Azure FocusCost export", looks_like_focus_cost, convert_focus_cost),
    NativeFormat("Azure cost details (EA / MCA / pay-as-you-go)", looks_like_cost_details, convert_cost_details),
]
FORMATS.extend(AZURE_FORMATS)


# ----- actual + amortized in one load ----------------------------------------------------------
PAIR_KEY = ("BillingAccountId", "SubAccountId", "ChargePeriodStart", "x_MeterId", "ResourceId", "x_ChargeType",
            "x_PricingModel", "CommitmentDiscountId", "ConsumedQuantity", "ConsumedUnit", "x_PartNumber", "x_ProductId",
            "x_AdditionalInfo", "x_ProductOrderId", "BillingCurrency")


class _Loaded(Protocol):  # analysis.focus.loader.LoadedFile (not imported: the loader imports this package)
    path: object
    frame: pd.DataFrame
    findings: list[Finding]
    focus_version_guess: str | None


def _period(frame: pd.DataFrame) -> tuple:
    """The (billing account, billing period start) pairs a file holds."""
    columns = [c for c in ("BillingAccountId", "BillingPeriodStart") if c in frame]
    pairs = frame[columns].drop_duplicates().astype("string").fillna("")
    return tuple(sorted(map(tuple, pairs.to_numpy().tolist())))


def _pair_keys(actual: pd.DataFrame, amortized: pd.DataFrame, columns: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per row of each side: one integer for (charge identity, occurrence among that side's rows of it)."""
    both = pd.concat([actual[columns], amortized[columns]], ignore_index=True)
    identity = (both.groupby(columns, dropna=False, sort=False).ngroup() if columns
                else pd.Series(0, index=both.index)).to_numpy().astype("int64")
    side = np.r_[np.zeros(len(actual), "int64"), np.ones(len(amortized), "int64")]
    occurrence = pd.Series(identity).groupby([side, identity]).cumcount().to_numpy().astype("int64")
    key = identity * (len(both) + 1) + occurrence
    return key[:len(actual)], key[len(actual):]


def combine_actual_amortized(loaded: Iterable[_Loaded]) -> None:
    """Azure actual- and amortized-cost exports of the same billing periods in one load, combined in place.

    See the module's docstring: matched charges once with both costs, unmatched rows kept with the
    other cost 0, so BilledCost adds up to the actual files and EffectiveCost to the amortized files.
    """
    loaded = list(loaded)
    warn_focus_cost_with_cost_details(loaded)
    groups: dict[tuple, dict[str, list[_Loaded]]] = {}
    for item in loaded:
        if item.focus_version_guess != COST_DETAILS:  # other files are not read into memory
            continue
        frame = item.frame
        if VIEW_COLUMN not in frame or frame.empty or "BillingPeriodStart" not in frame:
            continue
        views = set(frame[VIEW_COLUMN].dropna().unique())
        if len(views) != 1:
            continue
        groups.setdefault(_period(frame), {ACTUAL: [], AMORTIZED: []})[views.pop()].append(item)
    for group in groups.values():
        if group[ACTUAL] and group[AMORTIZED]:
            _combine(group[ACTUAL], group[AMORTIZED])


def _combine(actual: list[_Loaded], amortized: list[_Loaded]) -> None:
    columns = [c for c in PAIR_KEY if all(c in i.frame for i in actual + amortized)]
    def stacked(items: list[_Loaded]) -> pd.DataFrame:
        return pd.concat([i.frame[[*columns, "EffectiveCost"]].assign(_file=n) for n, i in enumerate(items)],
                         ignore_index=True)

    act, amo = stacked(actual), stacked(amortized)
    act_key, amo_key = _pair_keys(act, amo, columns)
    effective = pd.Series(amo["EffectiveCost"].to_numpy(), index=amo_key)
    matched_act = np.isin(act_key, amo_key)
    matched_amo = np.isin(amo_key, act_key)
    act["EffectiveCost"] = np.where(matched_act, effective.reindex(act_key).to_numpy(), 0.0)
    act["x_AmortizedView"] = pd.Series(np.where(matched_act, "matched", "actual only"), dtype="string")
    names = ", ".join(str(getattr(i.path, "name", i.path)) for i in amortized)
    for n, item in enumerate(actual):
        part = act[act["_file"] == n]  # stacked in the file's own row order
        mine = matched_act[act["_file"].to_numpy() == n]
        frame = item.frame.copy()
        frame["EffectiveCost"] = part["EffectiveCost"].to_numpy()
        frame["x_AmortizedView"] = part["x_AmortizedView"].to_numpy()
        item.frame = frame
        shown = str(getattr(item.path, "name", item.path))
        item.findings = [f for f in item.findings if not f.message.startswith("Azure actual-cost export without")]
        item.findings.append(Finding("info", shown, None, f"combined with the amortized-cost export ({names}): "
                                     f"{plural(int(mine.sum()), 'charge')} matched on "
                                     f"{', '.join(columns)} take EffectiveCost from it"))
        if (~mine).any():
            item.findings.append(Finding("warning", shown, "EffectiveCost", f"{plural(int((~mine).sum()), 'row')} "
                                         "not in the amortized-cost export (such as reservation purchases, which it "
                                         "spreads over the usage they cover): kept with EffectiveCost 0",
                                         _rows(~mine)))
    for n, item in enumerate(amortized):
        mine = matched_amo[amo["_file"].to_numpy() == n]
        shown = str(getattr(item.path, "name", item.path))
        frame = item.frame.loc[~mine].copy()
        frame["BilledCost"] = 0.0
        frame["x_AmortizedView"] = pd.Series("amortized only", index=frame.index, dtype="string")
        item.frame = frame.reset_index(drop=True)
        item.findings = [f for f in item.findings
                         if not f.message.startswith("Azure amortized-cost export without")]
        item.findings.append(Finding("info", shown, None, f"combined with the actual-cost export: "
                                     f"{plural(int(mine.sum()), 'charge')} matched, loaded once with the "
                                     "actual file's rows"))
        if (~mine).any():
            item.findings.append(Finding("warning", shown, "BilledCost", f"{plural(int((~mine).sum()), 'row')} "
                                         "not in the actual-cost export (such as usage covered by a reservation or "
                                         "savings plan): kept with BilledCost 0", _rows(~mine)))


# ----- FocusCost and cost details of the same billing period -------------------------------------
# A FocusCost export holds every charge the cost-details exports (actual and amortized) hold, so the two
# kinds of the same billing account and period together count each charge twice. Their cache keys differ
# (FocusCost's BillingAccountId is a resource path, cost details' the bare id), so neither replaces the
# other: the load says so instead, naming both files and the periods.
FOCUS_COST, COST_DETAILS = (f.name for f in AZURE_FORMATS)
_ACCOUNT_IN_PATH = re.compile(r"/billingAccounts/([^/]+)", re.IGNORECASE)
_SHOWN_PERIODS = 3


def billing_account_key(account: str) -> str:
    """The billing account an Azure BillingAccountId names, in one spelling for both kinds of export:
    FocusCost's resource path (`/providers/Microsoft.Billing/billingAccounts/8611537`, for MCA down to the
    billing profile) and cost details' bare id (`8611537`) both give `8611537`."""
    match = _ACCOUNT_IN_PATH.search(account)
    return (match.group(1) if match else account).strip().casefold()


def _is_focus_cost_account(account: str) -> bool:
    """A cached billing period's account as FocusCost writes it (a resource path), not as cost details do."""
    return account.startswith("/") and _ACCOUNT_IN_PATH.search(account) is not None


def _account_periods(item: _Loaded) -> dict[tuple[str, str], str]:
    """(billing account key, billing month `2024-03`) -> the account as written, for every row of a file
    (batch by batch where the loader staged a large file)."""
    frames = getattr(item, "frames", None)
    found: dict[tuple[str, str], str] = {}
    for frame in frames() if callable(frames) else [item.frame]:
        if "BillingAccountId" not in frame or "ChargePeriodStart" not in frame or frame.empty:
            continue
        charge = pd.to_datetime(frame["ChargePeriodStart"], utc=True)
        start = (pd.to_datetime(frame["BillingPeriodStart"], utc=True) if "BillingPeriodStart" in frame
                 else pd.Series(pd.NaT, index=frame.index, dtype=charge.dtype)).fillna(charge)
        pairs = pd.DataFrame({"account": frame["BillingAccountId"].astype("string"),
                              "month": start.dt.strftime("%Y-%m")}).dropna().drop_duplicates()
        for account, month in pairs.itertuples(index=False):
            if str(account).strip():
                found.setdefault((billing_account_key(str(account)), str(month)), str(account))
    return found


def _periods_phrase(overlap: Iterable[tuple[str, str]]) -> str:
    """`billing account 10000000, 2024-03` (and how many more)."""
    ordered = sorted(overlap, key=lambda p: (p[1], p[0]))
    shown = "; ".join(f"billing account {account}, {month}" for account, month in ordered[:_SHOWN_PERIODS])
    more = len(ordered) - _SHOWN_PERIODS
    return shown + (f" and {plural(more, 'more period')}" if more > 0 else "")


def warn_focus_cost_with_cost_details(loaded: Sequence[_Loaded]) -> None:
    """A FocusCost export and cost details of the same billing account and period in one load: a warning
    on both files naming the other and the periods (both are loaded, as asked)."""
    kinds: dict[str, list[tuple[_Loaded, dict[tuple[str, str], str]]]] = {FOCUS_COST: [], COST_DETAILS: []}
    for item in loaded:
        kind = getattr(item, "focus_version_guess", None)
        if kind in kinds:
            kinds[kind].append((item, _account_periods(item)))
    for focus, focus_periods in kinds[FOCUS_COST]:
        for details, details_periods in kinds[COST_DETAILS]:
            overlap = focus_periods.keys() & details_periods.keys()
            if not overlap:
                continue
            focus_name, details_name = (str(getattr(i.path, "name", i.path)) for i in (focus, details))
            message = (f"{focus_name} (an Azure FocusCost export) and {details_name} (Azure cost details) both hold "
                       f"{_periods_phrase(overlap)}: the FocusCost export already holds these charges, so loading "
                       "both counts every charge twice; load one or the other")
            for item, shown in ((focus, focus_name), (details, details_name)):
                item.findings.append(Finding("warning", shown, "BillingAccountId", message))


class _Delivered(Protocol):  # analysis.store.cache.Source (not imported: the cache imports this module)
    name: str
    periods: list[dict]


def cached_double_counts(new: Iterable[_Delivered], cached: Iterable[_Delivered]) -> list[str]:
    """Warnings for Azure billing periods that a load delivers as one kind of export (FocusCost or cost
    details) while the cache already holds them as the other kind: both together count every charge twice.

    `new` and `cached` are the cache's sources with their delivered periods (provider, billing_account,
    billing_period); the kind is told by the account's spelling (FocusCost writes a resource path).
    """
    def periods(source: _Delivered) -> dict[tuple[str, str], bool]:
        return {(billing_account_key(p["billing_account"]), str(p["billing_period"])[:7]):
                _is_focus_cost_account(p["billing_account"])
                for p in source.periods if p.get("provider") == PROVIDER and p.get("billing_account")}

    def kind(focus: bool) -> str:
        return "an Azure FocusCost export" if focus else "Azure cost details"

    cached = [(source, periods(source)) for source in cached]
    warnings = []
    for source in new:
        mine = periods(source)
        for older, theirs in cached:
            for is_focus in (True, False):
                overlap = {p for p, focus in mine.items() if focus == is_focus and p in theirs and theirs[p] != focus}
                if overlap:
                    warnings.append(f"{source.name} ({kind(is_focus)}) holds {_periods_phrase(overlap)}, which the "
                                    f"cache already holds from {older.name!r} ({kind(not is_focus)}): the FocusCost "
                                    "export holds the same charges as the cost details, so both together count "
                                    f"every charge twice; remove one of the two (the Data page removes a source)")
    return warnings

