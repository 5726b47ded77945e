"""Validation at the file boundary: values out of range reject their file with a finding naming the
file, the column, the rows (header = row 1) and the values; nothing produces a traceback."""

import csv
import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import analysis.focus.loader as focus_loader
from analysis.focus.limits import LoadLimits
from analysis.focus.loader import FocusLoadError, load_focus_file, load_focus_paths, validate_frame
from analysis.focus.schema import is_reserved, provider_name
from analysis.store.tag_columns import _parse, extract_tag_columns
from tests.fixture_paths import SPEC_EXAMPLES

BASE = {"ChargePeriodStart": "2025-01-01", "ChargePeriodEnd": "2025-01-02",
        "BillingPeriodStart": "2025-01-01", "BillingPeriodEnd": "2025-02-01",
        "BilledCost": "1.5", "EffectiveCost": "1.5", "BillingCurrency": "USD"}


def _csv(tmp_path, name: str, changes: dict[int, dict[str, str]], rows: int = 4, base: dict | None = None):
    """A small FOCUS CSV of `rows` rows like BASE, with `changes` ({spreadsheet row: {column: text}})."""
    records = [dict(base or BASE) for _ in range(rows)]
    for row, values in changes.items():
        records[row - 2].update(values)
    path = tmp_path / name
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(records[0]))
        writer.writeheader()
        writer.writerows(records)
    return path


def _rejected(path, **kwargs) -> FocusLoadError:
    with pytest.raises(FocusLoadError) as caught:
        load_focus_file(path, **kwargs)
    return caught.value


def _error(path, column: str, **kwargs):
    """The one error finding of a rejected file about `column`."""
    findings = _rejected(path, **kwargs).findings
    (finding,) = [f for f in findings if f.severity == "error" and f.column == column]
    return finding


def test_a_year_0001_date_rejects_the_file(tmp_path):
    path = _csv(tmp_path, "early.csv", {3: {"ChargePeriodStart": "0001-01-01"}})
    finding = _error(path, "ChargePeriodStart")
    assert (finding.file, finding.rows) == ("early.csv", (3,))
    assert str(finding) == ("early.csv, column ChargePeriodStart: 1 date is outside 2000-01-01 to 2099-12-31 "
                            "(row 3: '0001-01-01'); dates that far off are placeholders or typos")


def test_a_year_9999_date_rejects_the_file_in_any_date_column(tmp_path):
    path = _csv(tmp_path, "late.csv", {2: {"BillingPeriodEnd": "9999-12-31T23:59:59Z"},
                                      4: {"BillingPeriodEnd": "12/31/9999"}})
    finding = _error(path, "BillingPeriodEnd")
    assert (finding.file, finding.rows) == ("late.csv", (2, 4))
    assert "2 dates are outside 2000-01-01 to 2099-12-31 (rows 2, 4: '9999-12-31T23:59:59Z', '12/31/9999')" \
        in finding.message


def test_a_year_9999_next_to_nanoseconds_is_still_read_as_a_date_out_of_range(tmp_path):
    path = _csv(tmp_path, "nanos.csv", {2: {"ChargePeriodStart": "2025-01-01T00:00:00.123456789Z"},
                                       3: {"ChargePeriodStart": "9999-01-01"}})
    finding = _error(path, "ChargePeriodStart")
    assert finding.rows == (3,) and "outside" in finding.message and "'9999-01-01'" in finding.message


def test_a_typed_parquet_date_out_of_range_rejects_the_file(tmp_path):
    table = pa.table({"ChargePeriodStart": pa.array([dt.datetime(2025, 1, 1), dt.datetime(1, 1, 1)],
                                                    pa.timestamp("us")),
                      "BilledCost": [1.0, 2.0], "EffectiveCost": [1.0, 2.0]})
    pq.write_table(table, tmp_path / "typed.parquet")
    finding = _error(tmp_path / "typed.parquet", "ChargePeriodStart")
    assert (finding.file, finding.rows) == ("typed.parquet", (3,))
    assert "'0001-01-01T00:00:00" in finding.message


def test_the_date_limits_are_settings(tmp_path):
    path = _csv(tmp_path, "old.csv", {2: {"ChargePeriodStart": "2024-12-31"}})
    assert load_focus_file(path).frame["ChargePeriodStart"].iloc[0] == pd.Timestamp("2024-12-31", tz="UTC")
    finding = _error(path, "ChargePeriodStart", limits=LoadLimits(earliest=dt.date(2025, 1, 1)))
    assert finding.rows == (2,) and "outside 2025-01-01 to 2099-12-31" in finding.message


def test_a_1e308_cost_rejects_the_file(tmp_path):
    path = _csv(tmp_path, "huge.csv", {4: {"BilledCost": "1e308"}, 5: {"ListUnitPrice": "-2e12"}},
                rows=5, base={**BASE, "ListUnitPrice": "0.1"})
    errors = {f.column: f for f in _rejected(path).findings if f.severity == "error"}
    assert (errors["BilledCost"].file, errors["BilledCost"].rows) == ("huge.csv", (4,))
    assert str(errors["BilledCost"]) == (
        "huge.csv, column BilledCost: 1 value is larger than 1,000,000,000,000 in magnitude "
        "(row 4: '1e308'); no single charge is that large, so the file is taken to be wrong")
    assert errors["ListUnitPrice"].rows == (5,) and "'-2e12'" in errors["ListUnitPrice"].message


def test_infinity_is_not_a_number_and_quantities_have_no_amount_limit(tmp_path):
    path = _csv(tmp_path, "inf.csv", {3: {"EffectiveCost": "inf"}}, base={**BASE, "ConsumedQuantity": "1e15"})
    finding = _error(path, "EffectiveCost")
    assert finding.rows == (3,) and "1 value is not a number (row 3: 'inf')" in finding.message
    assert not [f for f in _rejected(path).findings if f.column == "ConsumedQuantity"]


def test_a_parquet_cost_of_1e308_rejects_the_file(tmp_path):
    table = pa.table({"ChargePeriodStart": ["2025-01-01", "2025-01-02"], "BilledCost": [1.0, 1e308],
                      "EffectiveCost": [1.0, 2.0]})
    pq.write_table(table, tmp_path / "huge.parquet")
    finding = _error(tmp_path / "huge.parquet", "BilledCost")
    assert finding.rows == (3,) and "'1e+308'" in finding.message


def test_the_amount_limit_is_a_setting(tmp_path):
    path = _csv(tmp_path, "big.csv", {2: {"EffectiveCost": "150"}})
    assert load_focus_file(path).frame["EffectiveCost"].iloc[0] == 150
    finding = _error(path, "EffectiveCost", limits=LoadLimits(max_abs_amount=100))
    assert finding.rows == (2,) and "larger than 100 in magnitude (row 2: '150')" in finding.message


def test_a_charge_period_ending_before_it_starts_rejects_the_file(tmp_path):
    path = _csv(tmp_path, "backwards.csv",
                {3: {"ChargePeriodStart": "2025-01-05", "ChargePeriodEnd": "2025-01-01"}})
    finding = _error(path, "ChargePeriodEnd")
    assert (finding.file, finding.rows) == ("backwards.csv", (3,))
    assert str(finding) == (
        "backwards.csv, column ChargePeriodEnd: 1 row is earlier than ChargePeriodStart (row 3, "
        "ChargePeriodStart → ChargePeriodEnd: '2025-01-05' → '2025-01-01'); "
        "a period cannot end before it starts")


def test_a_billing_period_ending_before_it_starts_rejects_the_file(tmp_path):
    path = _csv(tmp_path, "billing.csv",
                {2: {"BillingPeriodEnd": "12/1/24"}, 5: {"BillingPeriodEnd": "2024-12-31"}}, rows=5)
    finding = _error(path, "BillingPeriodEnd")
    assert finding.rows == (2, 5)
    assert "BillingPeriodStart" in finding.message
    assert "'2025-01-01' → '12/1/24', '2025-01-01' → '2024-12-31'" in finding.message


def test_a_period_of_length_zero_or_without_an_end_is_accepted(tmp_path):
    path = _csv(tmp_path, "zero.csv", {2: {"ChargePeriodEnd": "2025-01-01"}, 3: {"ChargePeriodEnd": ""}})
    assert not [f for f in load_focus_file(path).findings if f.severity == "error"]


def test_a_lower_case_currency_is_corrected_with_an_info_finding(tmp_path):
    path = _csv(tmp_path, "case.csv", {3: {"BillingCurrency": "usd"}, 4: {"BillingCurrency": " USD "}})
    loaded = load_focus_file(path)
    assert loaded.frame["BillingCurrency"].tolist() == ["USD"] * 4
    (note,) = [f for f in loaded.findings if f.column == "BillingCurrency"]
    assert (note.severity, note.file, note.rows) == ("info", "case.csv", (3, 4))
    assert "'usd' → 'USD', ' USD ' → 'USD'" in note.message


def test_a_currency_that_is_not_an_iso_code_rejects_the_file(tmp_path):
    path = _csv(tmp_path, "euro.csv", {2: {"BillingCurrency": "EURO"}, 4: {"BillingCurrency": "$"}})
    finding = _error(path, "BillingCurrency")
    assert (finding.file, finding.rows) == ("euro.csv", (2, 4))
    assert str(finding) == ("euro.csv, column BillingCurrency: 2 values are not an ISO 4217 currency code "
                            "(rows 2, 4: 'EURO', '$'); expected codes such as USD, EUR or JPY")


def test_an_empty_currency_on_a_row_with_a_cost_rejects_the_file(tmp_path):
    path = _csv(tmp_path, "nocurrency.csv", {3: {"BillingCurrency": ""}, 4: {"BillingCurrency": "NULL"}})
    finding = _error(path, "BillingCurrency")
    assert (finding.file, finding.rows) == ("nocurrency.csv", (3, 4))
    assert "2 rows are empty although they hold a cost that is not zero (rows 3, 4)" in finding.message


def test_an_empty_currency_on_a_row_without_costs_is_accepted(tmp_path):
    path = _csv(tmp_path, "free.csv", {3: {"BillingCurrency": "", "BilledCost": "0", "EffectiveCost": ""}})
    loaded = load_focus_file(path)
    (note,) = [f for f in loaded.findings if f.column == "BillingCurrency"]
    assert (note.severity, note.rows) == ("info", (3,))
    assert pd.isna(loaded.frame["BillingCurrency"].iloc[1])


def test_a_pricing_currency_may_be_a_virtual_currency(tmp_path):
    path = _csv(tmp_path, "tokens.csv", {}, base={**BASE, "PricingCurrency": "Tokens"})
    loaded = load_focus_file(path)
    assert loaded.frame["PricingCurrency"].tolist() == ["Tokens"] * 4
    assert not [f for f in loaded.findings if f.column == "PricingCurrency" or f.severity == "error"]


@pytest.mark.parametrize(("written", "read_as"), [
    ("x_Source", "x_provider_Source"), ("x_Tagged", "x_provider_Tagged"),
    ("x_tag_team", "x_provider_tag_team"),
    ("X_SOURCE", "x_provider_SOURCE"), ("ChargeDate", "x_provider_ChargeDate"),
])
def test_a_reserved_column_name_is_renamed_with_a_warning(tmp_path, written, read_as):
    path = _csv(tmp_path, "reserved.csv", {3: {written: "provider value"}}, base={**BASE, written: "mine"})
    loaded = load_focus_file(path)
    assert written not in loaded.frame.columns
    assert loaded.frame[read_as].tolist() == ["mine", "provider value", "mine", "mine"]
    (warning,) = [f for f in loaded.findings if f.column == written]
    assert (warning.severity, warning.file) == ("warning", "reserved.csv")
    assert warning.message == f"column name is reserved for the app's own columns, so it is read as {read_as}"


def test_reserved_names_are_the_cache_columns():
    assert all(map(is_reserved, ["x_Source", "x_tagged", "CHARGEDATE", "x_tag_", "X_Tag_Env"]))
    assert not any(map(is_reserved, ["x_Team", "x_provider_Source", "Tags", "ChargePeriodStart"]))
    assert provider_name("x_tag_team") == "x_provider_tag_team"


def test_tags_nested_100000_deep_are_left_empty_with_a_warning(tmp_path):
    deep = '{"a":' * 100_000 + "1" + "}" * 100_000
    path = _csv(tmp_path, "deep.csv", {3: {"Tags": deep}}, base={**BASE, "Tags": '{"team": "web"}'})
    loaded = load_focus_file(path)
    (warning,) = [f for f in loaded.findings if f.column == "Tags"]
    assert (warning.severity, warning.file, warning.rows) == ("warning", "deep.csv", (3,))
    assert "1 value is not a JSON object (or nested too deeply), so left empty (row 3: '{\"a\":{\"a\":" \
        in warning.message
    assert loaded.frame["Tags"].isna().tolist() == [False, True, False, False]
    assert _parse(deep) == {}
    columns, _ = extract_tag_columns(pd.Series([deep, '{"team": "web"}']))
    assert columns["x_Tagged"].tolist() == [False, True]


def test_nested_tag_values_become_json_text_only_when_they_can_be_written():
    assert _parse('{"owner": {"name": "Ada"}, "ids": [1, 2], "team": "web"}') == {
        "owner": '{"name": "Ada"}', "ids": "[1, 2]", "team": "web"}


def test_an_exception_while_coercing_a_column_becomes_a_finding_naming_it(tmp_path, monkeypatch):
    real = focus_loader.coerce_column

    def failing(raw, file, name, limits):
        if name == "EffectiveCost":
            raise ValueError("boom")
        return real(raw, file, name, limits)

    monkeypatch.setattr(focus_loader, "coerce_column", failing)
    finding = _error(_csv(tmp_path, "odd.csv", {}), "EffectiveCost")
    assert str(finding) == ("odd.csv, column EffectiveCost: could not be checked "
                            "(unexpected problem: ValueError: boom)")


def test_an_exception_while_reading_becomes_a_finding_naming_the_file(tmp_path, monkeypatch):
    def out_of_memory(path, shown):
        raise MemoryError

    monkeypatch.setattr(focus_loader, "_batches", out_of_memory)
    message = str(_rejected(_csv(tmp_path, "big.csv", {})))
    assert message == "big.csv: could not be read (not enough memory to read it)"


def test_an_exception_while_checking_a_frame_becomes_a_finding(monkeypatch):
    def recursing(*args):
        raise RecursionError

    monkeypatch.setattr(focus_loader, "check_rows", recursing)
    frame = pd.DataFrame({"ChargePeriodStart": ["2025-01-01"], "BilledCost": ["1"], "EffectiveCost": ["1"]})
    (finding,) = validate_frame(frame, "in memory")
    assert str(finding) == "in memory: could not be checked (a value is nested too deeply to read)"


def test_money_amounts_and_short_us_dates_are_read_with_an_info_finding(tmp_path):
    path = _csv(tmp_path, "saas.csv", {
        2: {"BilledCost": '$10,100.00 ', "ChargePeriodStart": "4/1/25", "ChargePeriodEnd": "5/1/25"},
        3: {"BilledCost": "($1,200.50)"}, 4: {"BilledCost": "-€5"}, 5: {"BilledCost": "1,234"}})
    loaded = load_focus_file(path)
    assert loaded.frame["BilledCost"].tolist() == [10100.0, -1200.5, -5.0, 1234.0]
    assert loaded.frame["ChargePeriodStart"].iloc[0] == pd.Timestamp("2025-04-01", tz="UTC")
    assert loaded.frame["ChargePeriodEnd"].iloc[0] == pd.Timestamp("2025-05-01", tz="UTC")
    (note,) = [f for f in loaded.findings if f.column == "BilledCost"]
    assert (note.severity, note.file, note.rows) == ("info", "saas.csv", (2, 3, 4, 5))
    assert note.message.startswith("4 values are written as money (rows 2, 3, 4, 5: '$10,100.00 ', "
                                   "'($1,200.50)', '-€5', '1,234'), read as numbers")


@pytest.mark.parametrize("text", ["$1,23", "1.234,50", "$-", "(12", "12 USD", "--5", "1,2345"])
def test_text_that_only_looks_like_money_is_not_a_number(tmp_path, text):
    finding = _error(_csv(tmp_path, "almost.csv", {3: {"BilledCost": text}}), "BilledCost")
    assert finding.rows == (3,) and f"not a number (row 3: {text!r})" in finding.message


def test_the_saas_example_loads_its_dollar_amounts_and_short_dates():
    path = SPEC_EXAMPLES / "saas_examples" / "simple_agreements" / "simple_saas_agreements_c.csv"
    loaded = load_focus_file(path)
    assert loaded.frame["BilledCost"].tolist() == [10100.0, 13000.0, 12700.0]
    assert loaded.frame["ChargePeriodStart"].dt.strftime("%Y-%m-%d").tolist() == [
        "2025-04-01", "2025-05-01", "2025-06-01"]
    (note,) = [f for f in loaded.findings if f.column == "BilledCost"]
    assert note.rows == (2, 3, 4) and "'$10,100.00 ', '$13,000.00 ', '$12,700.00 '" in note.message
    assert not np.isnan(loaded.frame["ListUnitPrice"]).any()



def test_a_path_that_cannot_be_looked_at_is_a_finding(tmp_path):
    with pytest.raises(FocusLoadError, match="could not be opened \\(File name too long\\)"):
        load_focus_paths([tmp_path / ("x" * 5000)])
