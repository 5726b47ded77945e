"""OCI cost reports load as FOCUS: every row, the cost to the cent against the raw file, tags queryable."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from analysis.focus.loader import FocusLoadError, load_focus_paths
from analysis.query import Filters, local_queries
from analysis.store.cache import FocusCache
from analysis.store.load import deliveries
from tests.conftest import ROOT

REPORT = ROOT / "tests" / "fixtures" / "oci" / "cost_report_2023-11-13.csv"


def _raw() -> pd.DataFrame:
    return pd.read_csv(REPORT, dtype=str, keep_default_na=False)


def test_the_report_loads_every_row_with_its_cost_to_the_cent(tmp_path):
    raw = _raw()
    expected = sum(Decimal(v) for v in raw["cost/myCost"] if v)
    (loaded,) = load_focus_paths([REPORT])
    frame = loaded.frame
    assert loaded.focus_version_guess == "OCI cost report" and len(frame) == len(raw) == 363
    for column in ("BilledCost", "EffectiveCost"):
        assert Decimal(str(round(frame[column].sum(), 10))) == pytest.approx(expected, abs=Decimal("0.005"))
    assert set(frame["ProviderName"]) == {"Oracle"} and set(frame["ChargeCategory"]) == {"Usage"}
    # start times with and without seconds both become the hour they name
    assert frame["ChargePeriodStart"].min() == pd.Timestamp("2023-11-13T07:00Z")
    assert (frame["ChargePeriodEnd"] - frame["ChargePeriodStart"]).eq(pd.Timedelta(hours=1)).all()
    assert frame["BillingPeriodStart"].eq(pd.Timestamp("2023-11-01T00:00Z")).all()
    by_service = frame.groupby("ServiceCategory")["BilledCost"].sum()
    raw_db = sum(Decimal(c) for c, s in zip(raw["cost/myCost"], raw["product/service"], strict=True)
                 if s in ("DATABASE", "MYSQL") and c)
    assert by_service["Databases"] == pytest.approx(float(raw_db), abs=1e-9)
    assert "x_CompartmentName" in frame and frame["x_CompartmentName"].notna().all()

    cache = FocusCache(tmp_path / "cache")
    cache.load(deliveries([loaded]))
    q = local_queries(cache)
    assert q.total(Filters()) == pytest.approx(float(expected), abs=0.005)
    boots = sum(Decimal(c) for c, t in zip(raw["cost/myCost"], raw["tags/Valtest.Cat"], strict=True)
                if t == "boots" and c)
    assert boots > 0
    assert q.total(Filters.of(**{"tag_valtest.cat": ["boots"]})) == pytest.approx(float(boots), abs=1e-9)


def test_a_correction_line_is_an_adjustment(tmp_path):
    raw = _raw()
    raw.loc[0, "lineItem/isCorrection"] = "true"
    variant = tmp_path / "corrected.csv"
    raw.to_csv(variant, index=False)
    (loaded,) = load_focus_paths([variant])
    assert loaded.frame.loc[0, "ChargeCategory"] == "Adjustment"
    assert (loaded.frame["ChargeCategory"] == "Usage").sum() == len(raw) - 1


def test_a_report_without_its_cost_column_is_refused_naming_it(tmp_path):
    variant = tmp_path / "no_cost.csv"
    _raw().drop(columns=["cost/myCost"]).to_csv(variant, index=False)
    with pytest.raises(FocusLoadError) as error:
        load_focus_paths([variant])
    (finding,) = error.value.findings
    assert finding.file == "no_cost.csv" and finding.column == "cost/myCost"


def test_a_cost_holding_text_is_refused_naming_the_rows(tmp_path):
    raw = _raw()
    raw.loc[4, "cost/myCost"] = "twelve"
    variant = tmp_path / "text_cost.csv"
    variant.write_text(raw.to_csv(index=False))
    with pytest.raises(FocusLoadError) as error:
        load_focus_paths([variant])
    problems = [f for f in error.value.findings if f.severity == "error"]
    assert problems and problems[0].file == "text_cost.csv" and 6 in problems[0].rows  # header = row 1


def test_the_command_loads_it_with_the_json_summary_last(tmp_path):
    import json
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "analysis", "--cache", str(tmp_path / "cache"), "load", str(REPORT)],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["rows"] == 363 and summary["providers"] == ["Oracle"]
    assert summary["totals"]["USD"]["BilledCost"] == pytest.approx(1.8205, abs=0.0001)




def test_each_service_has_one_subcategory_of_its_category_and_usage_is_usage_based():
    from analysis.focus.schema import SUBCATEGORY_PARENT

    [item] = load_focus_paths([REPORT])
    frame = item.frame
    raw = pd.read_csv(REPORT, dtype=str)
    known = frame["ServiceSubcategory"].notna()
    assert known.tolist() == raw["product/service"].notna().tolist()
    assert (frame.loc[known, "ServiceSubcategory"].map(SUBCATEGORY_PARENT) == frame.loc[known, "ServiceCategory"]).all()
    assert set(frame.loc[raw["product/service"].eq("COMPUTE"), "ServiceSubcategory"]) <= {"Virtual Machines"}
    expected = raw.get("lineItem/isCorrection", pd.Series("false", index=raw.index)).str.lower().map(
        {"true": "One-Time", "false": "Usage-Based"})
    assert frame["ChargeFrequency"].tolist() == expected.tolist()
