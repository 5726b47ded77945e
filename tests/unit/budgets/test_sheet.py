"""Budgets in a spreadsheet (CSV and .xlsx): round trips, text that stays text, and errors naming the row,
the budget and the column."""

import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from analysis.budgets.model import Alert, Budget, BudgetError, parse_budgets
from analysis.budgets.sheet import (
    COLUMNS,
    DEFAULT_ALERTS,
    budgets_sheet,
    merge,
    read_sheet,
    sheet_budgets,
    sheet_csv,
    sheet_xlsx,
)

BUDGETS = parse_budgets("""
budgets:
- name: Platform team
  scope: {alloc:Team: platform}
  amount: 200000
  alerts: [{actual: 80}, {forecast: 100}]
  owner: platform-leads@example.com
- name: Compute in production
  scope: {ServiceCategory: Compute, tag:env: [prod, production]}
  metric: BilledCost
  period: quarter
  fiscal_year_start: 4
  amount: 900000.25
  amounts: {2027-Q3: 1000000.5, 2027-Q4: 950000}
  alerts: [{forecast: 110}]
- name: Whole bill
  period: year
  fiscal_year_start: 4
  amounts: {FY2026: 14000000, FY2027: 15500000}
- name: '=HYPERLINK("http://x","y")'
  scope: {ProviderName: AWS}
  amount: 12.34
  owner: '@finance'
""")
HEADER = ",".join(COLUMNS)


def _rows(*lines: str) -> pd.DataFrame:
    return read_sheet("budgets.csv", "\n".join([HEADER, *lines]).encode())


def _problems(*lines: str) -> str:
    with pytest.raises(BudgetError) as error:
        sheet_budgets(_rows(*lines), [], "budgets.csv")
    return str(error.value)


# ----- round trips ---------------------------------------------------------------------------
def test_the_sheet_has_one_row_per_budget_and_planned_period():
    sheet = budgets_sheet(BUDGETS)
    assert list(sheet.columns) == list(COLUMNS)
    assert list(sheet["name"]) == ["Platform team", "Compute in production", "Compute in production",
                                   "Compute in production", "Whole bill", "Whole bill", BUDGETS[3].name]
    assert list(sheet["period_key"]) == ["", "", "2027-Q3", "2027-Q4", "FY2026", "FY2027", ""]
    assert list(sheet["amount"]) == [200000, 900000.25, 1000000.5, 950000, 14000000, 15500000, 12.34]
    assert sheet.loc[1, "scope"] == "ServiceCategory=Compute; tag:env=prod|production"
    assert sheet.loc[0, "scope"] == "alloc:Team=platform" and sheet.loc[4, "scope"] == ""


def test_csv_round_trip_keeps_every_budget_and_the_alerts():
    rows = read_sheet("budgets.csv", sheet_csv(BUDGETS))
    assert sheet_budgets(rows, BUDGETS) == BUDGETS


def test_xlsx_round_trip_keeps_every_budget_and_the_alerts():
    rows = read_sheet("budgets.xlsx", sheet_xlsx(BUDGETS))
    assert sheet_budgets(rows, BUDGETS) == BUDGETS


def test_new_budgets_get_the_default_alerts():
    imported = sheet_budgets(read_sheet("budgets.csv", sheet_csv(BUDGETS)), [])
    assert [b.alerts for b in imported] == [DEFAULT_ALERTS] * len(BUDGETS)
    assert [str(a) for a in DEFAULT_ALERTS] == ["actual 80%", "actual 100%", "forecast 100%"]
    assert [b.model_copy(update={"alerts": o.alerts}) for b, o in zip(imported, BUDGETS, strict=True)] == BUDGETS
    # Alerts are matched by name ignoring case; the sheet's spelling of the name wins.
    kept = sheet_budgets(_rows("compute,,,month,1,,10,"), [Budget(name="Compute", amount=1, alerts=(Alert(actual=5),))])
    assert kept == [Budget(name="compute", amount=10, alerts=(Alert(actual=5),))]


def test_a_formula_like_name_stays_text_in_the_workbook():
    book = load_workbook(io.BytesIO(sheet_xlsx(BUDGETS)))
    sheet = book["Budgets"]
    assert [c.value for c in sheet[1]] == list(COLUMNS)
    cell = sheet["A8"]
    assert cell.value == '=HYPERLINK("http://x","y")' and cell.data_type == "s"
    assert sheet["H8"].value == "@finance" and sheet["H8"].data_type == "s"
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)
    assert sheet["G2"].value == 200000 and sheet["G2"].data_type == "n"  # amounts stay numbers
    assert sheet["G8"].value == 12.34 and sheet["G8"].number_format == "#,##0.00"


def test_a_formula_like_name_is_quoted_in_csv_and_comes_back_unchanged():
    text = sheet_csv(BUDGETS).decode()
    lines = text.splitlines()
    assert lines[0] == HEADER
    assert lines[-1] == """"'=HYPERLINK(""http://x"",""y"")",ProviderName=AWS,EffectiveCost,month,1,,12.34,'@finance"""
    imported = sheet_budgets(read_sheet("budgets.csv", text.encode()), BUDGETS)
    assert imported[-1].name == '=HYPERLINK("http://x","y")' and imported[-1].owner == "@finance"


def test_a_sheet_written_by_hand_reads_loosely():
    # Excel's BOM, spaces around cells, money signs and thousands separators, defaults for empty cells.
    data = ("\ufeff" + " name , scope,metric,period,fiscal_year_start,period_key,amount,owner\n"
            'Compute , ServiceCategory = Compute ,,,,,"$1,200.50", me \n'
            "Bill,,BilledCost,quarter,4,2027-Q3,€300,\n").encode()
    compute, bill = sheet_budgets(read_sheet("budgets.csv", data), [])
    assert compute == Budget(name="Compute", scope={"ServiceCategory": "Compute"}, amount=1200.5, owner="me",
                             alerts=DEFAULT_ALERTS)
    assert bill == Budget(name="Bill", metric="BilledCost", period="quarter", fiscal_year_start=4,
                          amounts={"2027-Q3": 300}, alerts=DEFAULT_ALERTS)


# ----- errors --------------------------------------------------------------------------------
def test_missing_and_unknown_columns_are_named():
    with pytest.raises(BudgetError) as error:
        read_sheet("mine.csv", b"name,scope,period,amount,notes,colour\nA,,month,1,,\n")
    assert str(error.value) == ("mine.csv: missing columns metric, fiscal_year_start, period_key, owner; unknown "
                                "columns notes, colour (the columns are: " + ", ".join(COLUMNS) + ")")
    with pytest.raises(BudgetError, match=r"^mine\.csv: missing column owner \(the columns"):
        read_sheet("mine.csv", HEADER.removesuffix(",owner").encode() + b"\n")
    with pytest.raises(BudgetError, match=r"^mine\.xlsx: not a readable CSV or \.xlsx sheet"):
        read_sheet("mine.xlsx", b"not a workbook")


def test_a_negative_amount_names_its_row_and_budget():
    message = _problems("Compute,,,month,1,,100,", "Storage,,,month,1,,-5,")
    assert message == ("budgets.csv: row 3 (budget 'Storage'), field amount: Input should be greater than or "
                       "equal to 0")


def test_every_problem_is_listed_with_its_row():
    message = _problems(
        "Compute,ServiceCategory,,month,1,,100,",          # row 2: a scope without '='
        "Storage,,,month,1,2027-Q1,100,",                  # row 3: a quarter key on a monthly budget
        "Network,,,month,1,,abc,",                         # row 4: not a number
        "Bill,,,year,4,FY2027,100,",                       # rows 5 and 6: one budget, two periods
        "Bill,,,quarter,4,2027-Q1,100,",
        ",,,month,1,,100,",                                # row 7: no name
        "Data,,,month,1,2027-01,1,", "Data,,,month,1,2027-01,2,",  # rows 8 and 9: the same key twice
        "Ops,,,month,1,,1,", "Ops,,,month,1,,2,",          # rows 10 and 11: two amounts for every period
    )
    assert message.splitlines() == [
        "budgets.csv: row 2 (budget 'Compute'), field scope: 'ServiceCategory' is not written dimension=value",
        ("row 3 (budget 'Storage'), field amounts: period key '2027-Q1' does not name a month: write YYYY-MM "
        "(e.g. 2027-01)"),
        "row 4 (budget 'Network'), field amount: 'abc' is not a number",
        "rows 5, 6 (budget 'Bill'): period differ between the rows of one budget",
        "row 7: field name is empty",
        "row 9 (budget 'Data'), field period_key: 2027-01 appears twice",
        "row 11 (budget 'Ops'), field period_key: a second amount for every period (period_key is empty)",
    ]


def test_names_differing_only_in_case_are_one_name():
    message = _problems("Compute,,,month,1,,100,", "Storage,,,month,1,,5,", "COMPUTE,,,month,1,,200,")
    assert message == ("budgets.csv: row 4 (budget 'COMPUTE'), field name: row 2 has the same name; "
                       "names must be unique")


def test_merge_replaces_adds_and_keeps():
    existing = [Budget(name="Compute", amount=100), Budget(name="Storage", amount=50), Budget(name="Kept", amount=1)]
    imported = [Budget(name="storage", amount=50), Budget(name="Compute", amount=120), Budget(name="New", amount=7)]
    merged, changes = merge(existing, imported)
    assert merged == [Budget(name="Compute", amount=120), Budget(name="storage", amount=50),
                      Budget(name="Kept", amount=1), Budget(name="New", amount=7)]
    assert changes.to_dict("records") == [{"name": "Compute", "change": "replaced"},
                                          {"name": "storage", "change": "replaced"},
                                          {"name": "New", "change": "added"}]
    same, changes = merge(existing, [Budget(name="Storage", amount=50)])
    assert same == existing and changes.to_dict("records") == [{"name": "Storage", "change": "unchanged"}]
    assert list(merge([], [])[1].columns) == ["name", "change"]


def test_importing_an_exported_sheet_changes_nothing():
    rows = read_sheet("budgets.xlsx", sheet_xlsx(BUDGETS))
    merged, changes = merge(BUDGETS, sheet_budgets(rows, BUDGETS))
    assert merged == BUDGETS and set(changes["change"]) == {"unchanged"} and len(changes) == len(BUDGETS)
