"""Providers' unit spellings, as found in the fixtures, in the FOCUS 1.2 Unit Format."""

import pandas as pd
import pytest

from analysis.sources.units import focus_unit, focus_units

SPELLINGS = {
    # AWS CUR pricing/unit
    "Hrs": "Hours", "GB-Mo": "GB-Months", "IOPS-Mo": "IOPS-Months", "DPU-Hour": "DPU-Hours", "days": "Days",
    "Requests": "Requests", "Events": "Events",
    # Azure UnitOfMeasure: a block of units is `<quantity> <plural units>`, a block of one is the unit itself
    "1 Hour": "Hours", "100 Hours": "100 Hours", "10K": "10000 Units", "1K": "1000 Units", "1/Month": "Units/Month",
    "1/Day": "Units/Day", "1 GB": "GB", "1 GB/Month": "GB/Month", "GB/Month": "GB/Month",
    # Google Cloud usage.unit and usage.pricing_unit
    "hour": "Hours", "gibibyte hour": "GiB-Hours", "gibibyte month": "GiB-Months", "vCPU-second": "vCPU-Seconds",
    "requests": "Requests", "bytes": "B", "byte-seconds": "B-Seconds", "seconds": "Seconds",
    # OCI: already words FOCUS accepts, kept
    "Gigabyte Storage Capacity Per Month": "Gigabyte Storage Capacity Per Month", "OCPU Per Hour": "OCPU Per Hour",
    "GB Hours": "GB-Hours",
}


@pytest.mark.parametrize(("raw", "unit"), SPELLINGS.items())
def test_a_provider_spelling_becomes_the_focus_unit(raw, unit):
    assert focus_unit(raw) == unit


def test_missing_and_blank_stay_missing_and_a_series_maps_each_row():
    assert focus_unit(None) is None and focus_unit("  ") is None and focus_unit(float("nan")) is None
    out = focus_units(pd.Series(["Hrs", None, "GB-Mo", "Hrs"], dtype="string"))
    assert out.tolist()[0] == "Hours" and pd.isna(out[1]) and out.tolist()[2:] == ["GB-Months", "Hours"]
