"""Bad files, made from the real sample: rejected with the file, the column and the rows named.

Row numbers are as in a spreadsheet: the header is row 1, the first data row is row 2.
"""

import csv
import os
from collections.abc import Callable

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from analysis.focus.loader import FocusLoadError, load_focus_file, load_focus_paths
from tests.fixture_paths import FIXTURES, SAMPLE_1000


def _sample_rows() -> tuple[list[str], list[list[str]]]:
    with open(SAMPLE_1000, newline="", encoding="utf-8-sig") as handle:
        header, *rows = list(csv.reader(handle))
    return header, rows


def _variant(tmp_path, name: str, edit: Callable[[list[str], list[list[str]]], None], rows: int = 50):
    """A copy of the sample's first `rows` rows, changed in place by `edit(header, rows)`."""
    header, data = _sample_rows()
    data = data[:rows]
    edit(header, data)
    path = tmp_path / name
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, *data])
    return path


def _set(column: str, values: dict[int, str]):
    """An edit writing `values` ({spreadsheet row: text}) into `column`."""
    def edit(header, rows):
        for row, text in values.items():
            rows[row - 2][header.index(column)] = text
    return edit


def _rejected(path, **kwargs) -> FocusLoadError:
    with pytest.raises(FocusLoadError) as caught:
        load_focus_file(path, **kwargs)
    return caught.value


def test_a_missing_cost_column_is_named(tmp_path):
    def drop_billed(header, rows):
        i = header.index("BilledCost")
        for line in [header, *rows]:
            del line[i]
    error = _rejected(_variant(tmp_path, "no_billed.csv", drop_billed))
    assert str(error) == ("no_billed.csv, column BilledCost: required column is missing (every FOCUS file "
                          "needs ChargePeriodStart, BilledCost, EffectiveCost)")


def test_costs_that_are_not_numbers_are_named_with_rows_and_values(tmp_path):
    bad = {2: "abc", 7: "12 USD", 9: "n/a", 12: "1.234,50"}
    path = _variant(tmp_path, "bad_costs.csv", _set("BilledCost", bad))
    error = _rejected(path)
    (finding,) = [f for f in error.findings if f.severity == "error"]
    assert (finding.file, finding.column, finding.rows) == ("bad_costs.csv", "BilledCost", (2, 7, 9, 12))
    assert str(finding).startswith("bad_costs.csv, column BilledCost: 4 values are not a number "
                                   "(rows 2, 7, 9, 12: 'abc', '12 USD', 'n/a', '1.234,50')")


def test_many_bad_values_show_a_sample_and_a_count(tmp_path):
    path = _variant(tmp_path, "many.csv", _set("EffectiveCost", {r: "x" for r in range(2, 42)}))
    (finding,) = _rejected(path).findings[:1]
    assert finding.rows == (2, 3, 4, 5, 6)
    assert "40 values are not a number (rows 2, 3, 4, 5, 6 and 35 more:" in finding.message


def test_every_bad_column_is_reported_at_once(tmp_path):
    def edit(header, rows):
        _set("BilledCost", {3: "abc"})(header, rows)
        _set("ChargePeriodStart", {5: "not a date"})(header, rows)
    error = _rejected(_variant(tmp_path, "two.csv", edit))
    assert str(error).splitlines() == [
        ("two.csv, column BilledCost: 1 value is not a number (row 3: 'abc'); amounts must be numbers such as "
         "1234.56, -0.5 or $1,234.56"),
        ("two.csv, column ChargePeriodStart: 1 value is not a date (row 5: 'not a date'); expected dates such "
         "as 2024-09-18 22:00:00, 2024-09-18T22:00:00Z or 09/18/2024"),
    ]


def test_an_empty_charge_period_start_is_rejected(tmp_path):
    error = _rejected(_variant(tmp_path, "no_start.csv", _set("ChargePeriodStart", {4: "NULL", 6: ""})))
    assert "no_start.csv, column ChargePeriodStart: 2 rows are empty (rows 4, 6)" in str(error)


def test_an_empty_file_is_rejected(tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    assert str(_rejected(tmp_path / "empty.csv")) == "empty.csv: is empty (0 bytes)"


def test_a_header_only_file_has_no_rows(tmp_path):
    path = _variant(tmp_path, "header.csv", lambda header, rows: rows.clear())
    assert str(_rejected(path)) == "header.csv: has no rows (only a header)"


def test_a_csv_of_something_else_is_not_billing_data(tmp_path):
    (tmp_path / "people.csv").write_text("name,team\nAda,platform\n")
    assert str(_rejected(tmp_path / "people.csv")) == (
        "people.csv: doesn't look like FOCUS billing data: none of ChargePeriodStart, BilledCost, "
        "EffectiveCost found; columns were: name, team")


def test_a_cloud_export_that_is_not_billing_data_is_rejected(tmp_path):
    # the legacy CUR's product columns alone (as in a price list) are neither FOCUS nor a known native format
    with open(FIXTURES / "aws" / "cur_legacy_anonymized.csv", newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    kept = [i for i, name in enumerate(header) if name.startswith("product/")]
    with open(tmp_path / "products.csv", "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([[r[i] for i in kept] for r in [header, *rows]])
    error = _rejected(tmp_path / "products.csv")
    assert "doesn't look like FOCUS billing data" in str(error)
    assert "columns were: product/ProductName, product/availability" in str(error)


def test_a_ragged_csv_names_the_rows(tmp_path):
    def ragged(header, rows):
        rows[3] = rows[3][:10]  # row 5
        rows[7].append("extra")  # row 9
    error = _rejected(_variant(tmp_path, "ragged.csv", ragged))
    assert str(error) == ("ragged.csv: is not a well-formed CSV file: the header has 44 fields but "
                          "row 5 has 10, row 9 has 45 (a missing or extra comma, or an unclosed quote?)")


def test_binary_garbage_is_rejected(tmp_path):
    (tmp_path / "garbage.csv").write_bytes(os.urandom(4096))
    assert str(_rejected(tmp_path / "garbage.csv")).startswith("garbage.csv: is not a text CSV file")


def test_an_unreadable_parquet_is_rejected(tmp_path):
    table = pacsv.read_csv(SAMPLE_1000)
    pq.write_table(table, tmp_path / "whole.parquet")
    (tmp_path / "cut.parquet").write_bytes((tmp_path / "whole.parquet").read_bytes()[:5000])
    message = str(_rejected(tmp_path / "cut.parquet"))
    assert message.startswith("cut.parquet: could not be read as a Parquet file")
    (tmp_path / "text.parquet").write_text("ChargePeriodStart,BilledCost\n")
    assert "text.parquet: is not a Parquet file" in str(_rejected(tmp_path / "text.parquet"))


def test_a_parquet_file_gets_the_same_checks(tmp_path):
    path = _variant(tmp_path, "bad.csv", _set("BilledCost", {3: "abc"}))
    pq.write_table(pacsv.read_csv(path), tmp_path / "bad.parquet")  # BilledCost stays text there
    assert str(_rejected(tmp_path / "bad.parquet")).startswith(
        "bad.parquet, column BilledCost: 1 value is not a number (row 3: 'abc')")


def test_the_name_shown_is_the_users_file_name(tmp_path):
    path = _variant(tmp_path, "tmpa1b2c3", _set("BilledCost", {2: "abc"}))
    message = str(_rejected(path, name="September export.csv"))
    assert message.startswith("September export.csv, column BilledCost")


def test_mixed_currencies_load_and_are_reported(tmp_path):
    path = _variant(tmp_path, "mixed.csv", _set("BillingCurrency", {2: "EUR", 3: "EUR", 10: "EUR"}))
    loaded = load_focus_file(path)
    assert loaded.frame["BillingCurrency"].value_counts().to_dict() == {"USD": 47, "EUR": 3}
    (note,) = [f for f in loaded.findings if f.column == "BillingCurrency"]
    assert note.severity == "info"
    assert str(note) == ("mixed.csv, column BillingCurrency: 2 currencies, kept per row and never added "
                         "together: EUR (3 rows), USD (47 rows)")


def test_negative_costs_are_credits_and_load(tmp_path):
    loaded = load_focus_file(_variant(tmp_path, "credit.csv", _set("BilledCost", {2: "-12.5", 3: "-1e-2"})))
    assert loaded.frame["BilledCost"].iloc[:2].tolist() == [-12.5, -0.01]
    assert not [f for f in loaded.findings if f.severity != "info"]


def test_values_outside_the_focus_list_are_a_warning(tmp_path):
    loaded = load_focus_file(_variant(tmp_path, "odd.csv", _set("ServiceCategory", {4: "Quantum Stuff"})))
    (warning,) = [f for f in loaded.findings if f.severity == "warning"]
    assert str(warning).startswith("odd.csv, column ServiceCategory: 1 value is not allowed in FOCUS 1.2: "
                                   "'Quantum Stuff' (row 4); allowed: AI and Machine Learning, Analytics,")
    assert loaded.frame["ServiceCategory"].iloc[2] == "Quantum Stuff"


def test_tags_that_are_not_json_are_a_warning_and_left_empty(tmp_path):
    tags = {3: "team=web", 5: "[1, 2]", 6: "{}"}
    loaded = load_focus_file(_variant(tmp_path, "tags.csv", _set("Tags", tags)))
    (warning,) = [f for f in loaded.findings if f.severity == "warning"]
    assert (warning.column, warning.rows) == ("Tags", (3, 5))
    assert "'team=web', '[1, 2]'" in warning.message
    assert loaded.frame["Tags"].iloc[[1, 3, 4]].isna().all()


def test_a_folder_with_one_bad_file_loads_nothing_and_names_only_the_bad_one(tmp_path):
    _variant(tmp_path, "good.csv", lambda header, rows: None)
    _variant(tmp_path, "bad.csv", _set("BilledCost", {2: "abc"}))
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(FocusLoadError) as caught:
        load_focus_paths([tmp_path])
    lines = str(caught.value).splitlines()
    assert lines[0].startswith("bad.csv, column BilledCost: 1 value is not a number (row 2: 'abc')")
    assert lines[1:] == ["empty.csv: is empty (0 bytes)"]


def test_a_missing_path_is_named(tmp_path):
    with pytest.raises(FocusLoadError, match="nothere.csv: no such file or folder"):
        load_focus_paths([tmp_path / "nothere.csv"])
