"""Oracle Cloud (OCI) FOCUS reports to FOCUS 1.2.

Oracle writes FOCUS reports (`FOCUS Reports/YYYY/MM/DD/<number>-<part>.csv.gz`) beside its own cost
reports: FOCUS 1.0 columns, some under their 1.0-preview names, then Oracle's `oci_` columns. A report is
recognised by `BilledCost` with at least one `oci_` column. What the converter fixes, row by row:

- names: `Provider`, `Publisher`, `InvoiceIssuer`, `Region`, `UsageQuantity` / `UsageUnit` and
  `ServiceSubCategory` become `ProviderName`, `PublisherName`, `InvoiceIssuerName`, `RegionId`,
  `ConsumedQuantity` / `ConsumedUnit` and `ServiceSubcategory`; where the report also has the 1.2 name
  (newer reports write `ConsumedQuantity` and `UsageQuantity` both), the 1.2 column is read and the old
  one kept as `x_UsageQuantity`. Header cells are read without surrounding spaces (Oracle writes
  `PricingCurrencyEffectiveCost ` with one).
- `oci_<Name>` columns are kept as `x_<Name>` (`oci_CompartmentName` -> `x_CompartmentName`), the names
  the OCI cost report converter gives the same data, so compartments and overage line up across both
  formats; `x_oci_<Name>` if the report already has an `x_<Name>`.
- dates: Oracle writes `BillingPeriodEnd` as the period's last millisecond (`2024-08-31T23:59:59.999Z`);
  FOCUS ends are exclusive, so an end up to one second before a whole hour is read as that hour
  (`2024-09-01T00:00:00Z`). A date in a form Oracle never writes (Oracle writes ISO 8601 with `T` and a
  UTC offset: `2024-08-16T00:00Z`, `2024-08-01T00:00:00.000Z`) is an error naming column and rows.
- 1.0-preview values: PricingCategory `On-Demand` / `Commitment-Based` -> `Standard` / `Committed`; the
  1.0-preview `ChargeSubcategory` (kept as `x_ChargeSubcategory`) gives CommitmentDiscountStatus for
  `Used Commitment` / `Unused Commitment` and ChargeClass `Correction` for `Refund`.
- the provider, publisher and invoice issuer are Oracle where the report leaves them empty (Oracle leaves
  `InvoiceIssuer` empty).

Costs are read as written (BilledCost, EffectiveCost, ListCost, ContractedCost); one that is not a number
is an error naming column and rows. Tags are FOCUS's JSON object already (keys `<namespace>.<key>`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.focus.coerce import SAMPLE_SIZE, Finding, plural, row_number
from analysis.focus.schema import COST_COLUMNS, clean_header
from analysis.sources import FORMATS, NativeFormat

PROVIDER = "Oracle"
ORACLE_PREFIX = "oci_"
# FOCUS 1.0-preview names Oracle still writes (case-folded) -> FOCUS 1.2.
PREVIEW_NAMES = {
    "provider": "ProviderName", "publisher": "PublisherName", "invoiceissuer": "InvoiceIssuerName",
    "region": "RegionId", "usagequantity": "ConsumedQuantity", "usageunit": "ConsumedUnit",
    "servicesubcategory": "ServiceSubcategory", "chargesubcategory": "x_ChargeSubcategory",
}
DATES = ("ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart", "BillingPeriodEnd")
ENDS = ("ChargePeriodEnd", "BillingPeriodEnd")
# ISO 8601 with `T` and a UTC offset, minutes at least: every date-time form Oracle writes in these reports.
_ORACLE_DATE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})")
PRICING_CATEGORY = {"on-demand": "Standard", "commitment-based": "Committed"}
SUBCATEGORY_STATUS = {"used commitment": "Used", "unused commitment": "Unused"}
FILLED = ("ProviderName", "PublisherName", "InvoiceIssuerName")


def is_focus_report(columns: Sequence[str]) -> bool:
    """An OCI FOCUS report: FOCUS's BilledCost with Oracle's `oci_` columns."""
    folded = [clean_header(str(c)).casefold() for c in columns]
    return "billedcost" in folded and any(c.startswith(ORACLE_PREFIX) for c in folded)


def _target_names(columns: Sequence[str]) -> list[str | None]:
    """The name each column is read as (None: a repeat of a column already read)."""
    names = [clean_header(str(c)) for c in columns]
    present = set(names)
    taken: set[str] = set()
    targets: list[str | None] = []
    for name in names:
        folded = name.casefold()
        if folded.startswith(ORACLE_PREFIX):
            target = "x_" + name[len(ORACLE_PREFIX):]
            target = "x_oci_" + name[len(ORACLE_PREFIX):] if target in present else target
        elif folded in PREVIEW_NAMES:
            target = PREVIEW_NAMES[folded]
            target = "x_" + name if target in present else target  # the report also has the 1.2 name
        else:
            target = name
        targets.append(None if target in taken else target)
        taken.add(target)
    return targets


def _rows(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(row_number(i) for i in np.flatnonzero(mask)[:SAMPLE_SIZE])


def _where(mask: np.ndarray) -> str:
    """`row 6`, `rows 5, 10`, `rows 2, 3, 4, 5, 6 and 12 more`."""
    rows = _rows(mask)
    more = int(mask.sum()) - len(rows)
    return f"{'row' if len(rows) == 1 else 'rows'} {', '.join(map(str, rows))}" + (f" and {more:,} more" if more else "")


def _text(column: pd.Series) -> pd.Series:
    """Values as stripped text, missing as ""."""
    return column.astype("string").fillna("").str.strip()


def _dates(frame: pd.DataFrame, file: str) -> list[Finding]:
    """Parse the date columns in place (timestamps, UTC; inclusive ends made exclusive); errors for forms
    Oracle never writes."""
    findings = []
    for name in (d for d in DATES if d in frame):
        column = frame[name]
        if pd.api.types.is_datetime64_any_dtype(column.dtype):  # a Parquet copy: dates already typed
            stamps = column.dt.tz_localize("UTC") if column.dt.tz is None else column.dt.tz_convert("UTC")
        else:
            text = _text(column)
            stamps = pd.to_datetime(text.where(text.str.fullmatch(_ORACLE_DATE.pattern).fillna(False)), utc=True,
                                    format="ISO8601", errors="coerce")
            bad = ((text != "") & stamps.isna()).to_numpy(dtype=bool)  # not Oracle's form, or no such time
            if bad.any():
                findings.append(Finding("error", file, name, f"{plural(int(bad.sum()), 'date')} in a form Oracle "
                                        f"never writes ({_where(bad)}, for example {text[bad].iloc[0]!r}; Oracle writes "
                                        "2024-08-16T00:00Z or 2024-08-01T00:00:00.000Z)", _rows(bad)))
                continue
        if name in ENDS:
            hour = stamps.dt.ceil("h")
            inclusive = ((hour != stamps) & (hour - stamps <= pd.Timedelta(seconds=1))).to_numpy(dtype=bool)
            if inclusive.any():
                stamps = stamps.where(~inclusive, hour)
                findings.append(Finding("info", file, name, f"{plural(int(inclusive.sum()), 'end')} written as "
                                        f"the period's last instant ({_where(inclusive)}, for example "
                                        f"{str(column[inclusive].iloc[0])!r}): read as the exclusive end FOCUS 1.2 uses, "
                                        "the next hour (2024-08-31T23:59:59.999Z → 2024-09-01T00:00:00Z)",
                                        _rows(inclusive)))
        frame[name] = stamps
    return findings


def _costs(frame: pd.DataFrame, file: str) -> list[Finding]:
    """Errors for costs that are not numbers (the loader reads the numbers)."""
    findings = []
    for name in (c for c in COST_COLUMNS if c in frame):
        if pd.api.types.is_numeric_dtype(frame[name].dtype):
            continue
        text = _text(frame[name])
        bad = ((text != "") & pd.to_numeric(text.where(text != ""), errors="coerce").isna()).to_numpy(dtype=bool)
        if bad.any():
            findings.append(Finding("error", file, name, f"{plural(int(bad.sum()), 'cost')} not a number ({_where(bad)}, "
                                    f"for example {text[bad].iloc[0]!r})", _rows(bad)))
    return findings


def convert(raw: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[Finding]]:
    """The report in FOCUS 1.2 names, Oracle's columns as `x_`; each row from its own values only."""
    out = pd.DataFrame(index=raw.index)
    for i, target in enumerate(_target_names(list(raw.columns))):
        if target is not None:
            out[target] = raw.iloc[:, i]
    findings = _dates(out, file) + _costs(out, file)
    if any(f.severity == "error" for f in findings):
        return out.iloc[:0], findings
    if "PricingCategory" in out:
        category = _text(out["PricingCategory"])
        out["PricingCategory"] = category.str.casefold().map(PRICING_CATEGORY).fillna(category).replace("", pd.NA)
    if "x_ChargeSubcategory" in out:
        sub = _text(out["x_ChargeSubcategory"]).str.casefold()
        status = _text(out.get("CommitmentDiscountStatus", pd.Series("", index=out.index)))
        out["CommitmentDiscountStatus"] = status.where(status != "", sub.map(SUBCATEGORY_STATUS)).replace("", pd.NA)
        charge_class = _text(out.get("ChargeClass", pd.Series("", index=out.index)))
        out["ChargeClass"] = charge_class.where((charge_class != "") | (sub != "refund"), "Correction").replace(
            "", pd.NA)
    for name in FILLED:
        given = _text(out[name]) if name in out else pd.Series("", index=out.index, dtype="string")
        out[name] = given.where(given != "", PROVIDER)
    return out.reset_index(drop=True), [Finding("info", file, None, "read as an OCI FOCUS report (FOCUS "
                                                "columns with Oracle's oci_ columns, kept as x_ columns)"),
                                        *findings]


FORMATS.append(NativeFormat("OCI FOCUS report", is_focus_report, convert))
