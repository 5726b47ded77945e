"""CSV downloads: text from a bill never becomes a formula, numbers stay numbers."""

import csv
import io

import pandas as pd

from analysis.reports.safe_csv import safe_csv


def _read(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode())))


def test_formula_starts_become_text_and_numbers_stay_numbers():
    frame = pd.DataFrame({
        "ServiceName": ["=HYPERLINK(\"http://x\",\"click\")", "+1+1", "-2+3", "@SUM(A1:A2)", "\tTab", "\rCR", "EC2"],
        "cost": [-12.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
    })
    header, *rows = _read(safe_csv(frame))
    assert header == ["ServiceName", "cost"]
    assert [r[0] for r in rows] == ["'=HYPERLINK(\"http://x\",\"click\")", "'+1+1", "'-2+3", "'@SUM(A1:A2)",
                                    "'\tTab", "'\rCR", "EC2"]
    assert rows[0][1] == "-12.5"  # a negative cost is still a number


def test_line_breaks_are_quoted_and_column_names_are_neutralised():
    frame = pd.DataFrame({"=tag": ["line one\nline two", None], "n": [1, 2]})
    data = safe_csv(frame)
    assert b'"line one\nline two"' in data
    header, first, second = _read(data)
    assert header == ["'=tag", "n"] and first == ["line one\nline two", "1"] and second == ["", "2"]


def test_money_columns_are_cents_that_add_up_and_file_names_say_what_is_inside():
    from analysis.reports.safe_csv import download_name

    frame = pd.DataFrame({"owner": ["a", "b", "c"], "cost": [1 / 3, 1 / 3, 459276.81745469035], "share": [0.1234567] * 3})
    _, *rows = _read(safe_csv(frame, ["cost"]))
    assert [r[1] for r in rows] == ["0.33", "0.33", "459276.82"]  # 459277.48 in all, to the cent
    assert rows[0][2] == "0.1234567"  # not money: left as it is
    assert download_name("spend_by", "tag:team", "month", "EffectiveCost", "USD", "2026-06-01", "to", "2026-11-29") == \
        "spend_by_tag-team_month_EffectiveCost_USD_2026-06-01_to_2026-11-29.csv"
