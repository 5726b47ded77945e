"""Budgets in a spreadsheet (CSV or .xlsx), as finance keeps them: one row per budget and period.

Columns: name, scope (`dimension=value; dimension=value|value`), metric, period, fiscal_year_start,
period_key (empty: the amount of every period), amount, owner. Alert thresholds are not in the sheet:
an imported budget keeps those it has, and a new one gets DEFAULT_ALERTS.
"""

from __future__ import annotations

import io
from pathlib import PurePath

import pandas as pd
from openpyxl import Workbook

from analysis.budgets.model import Alert, Budget, BudgetError, validate_budget
from analysis.reports.safe_csv import FORMULA_STARTS, safe_csv
from analysis.scope import ScopeError, parse_scope, scope_text

COLUMNS = ("name", "scope", "metric", "period", "fiscal_year_start", "period_key", "amount", "owner")
DEFAULT_ALERTS = (Alert(actual=80), Alert(actual=100), Alert(forecast=100))
_SHARED = ("scope", "metric", "period", "fiscal_year_start", "owner")  # the same on every row of a budget


def read_sheet(name: str, data: bytes) -> pd.DataFrame:
    """The rows of a budget sheet, every cell as text ('' when empty); BudgetError names the file and
    the missing or unknown columns."""
    try:
        if PurePath(name).suffix.lower() in (".xlsx", ".xlsm"):
            frame = pd.read_excel(io.BytesIO(data), dtype=str, engine="openpyxl")
        else:
            frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except Exception as error:  # any unreadable file gets one message naming it
        raise BudgetError(f"{name}: not a readable CSV or .xlsx sheet ({error})") from error
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in COLUMNS if c not in frame.columns]
    extra = [c for c in frame.columns if c not in COLUMNS]
    if missing or extra:
        parts = ([f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}"] if missing else []) \
            + ([f"unknown column{'s' if len(extra) > 1 else ''} {', '.join(extra)}"] if extra else [])
        raise BudgetError(f"{name}: {'; '.join(parts)} (the columns are: {', '.join(COLUMNS)})")
    return frame[list(COLUMNS)].fillna("").map(lambda v: _unquote(str(v).strip()))


def _unquote(text: str) -> str:
    """Undo the quote a safe export put before text that looks like a formula."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_STARTS) else text


def sheet_budgets(rows: pd.DataFrame, existing: list[Budget], source: str = "sheet") -> list[Budget]:
    """The budgets of a sheet; alerts are kept from `existing` budgets of the same name. BudgetError
    lists every problem with its row number (the header is row 1) and budget."""
    alerts = {b.name.casefold(): b.alerts for b in existing}
    problems, budgets, seen = [], [], {}
    for name, group in rows.groupby("name", sort=False):
        numbers = [int(i) + 2 for i in group.index]
        if not name:
            problems.extend(f"row {n}: field name is empty" for n in numbers)
            continue
        rows_of = f"row{'s' if len(numbers) > 1 else ''} {', '.join(map(str, numbers))}"
        where = f"{rows_of} (budget {name!r})"
        if name.casefold() in seen:  # names are unique ignoring case, as in budgets.yaml
            problems.append(f"{where}, field name: {seen[name.casefold()]} has the same name; names must be unique")
            continue
        seen[name.casefold()] = rows_of
        differing = [c for c in _SHARED if group[c].nunique() > 1]
        if differing:
            problems.append(f"{where}: {', '.join(differing)} differ between the rows of one budget")
            continue
        first = group.iloc[0]
        fields: dict = {"name": name, "metric": first["metric"] or "EffectiveCost", "period": first["period"] or "month",
                        "fiscal_year_start": first["fiscal_year_start"] or 1, "owner": first["owner"],
                        "alerts": alerts.get(name.casefold(), DEFAULT_ALERTS)}
        try:
            fields["scope"] = parse_scope(first["scope"])
            for number, (_, row) in zip(numbers, group.iterrows(), strict=True):
                amount = _amount(row["amount"], f"row {number} (budget {name!r})")
                if row["period_key"]:
                    if row["period_key"] in fields.setdefault("amounts", {}):
                        raise BudgetError(f"row {number} (budget {name!r}), field period_key: "
                                          f"{row['period_key']} appears twice")
                    fields["amounts"][row["period_key"]] = amount
                elif "amount" in fields:
                    raise BudgetError(f"row {number} (budget {name!r}), field period_key: a second amount for "
                                      "every period (period_key is empty)")
                else:
                    fields["amount"] = amount
            budgets.append(validate_budget(fields, where))
        except ScopeError as error:
            problems.append(f"{where}, field scope: {error}")
        except BudgetError as error:
            problems.append(str(error) if str(error).startswith("row") else f"{where}: {error}")
    if problems:
        raise BudgetError(f"{source}: " + "\n".join(problems))
    return budgets


def _amount(text: str, where: str) -> float:
    try:
        return float(text.replace(",", "").replace("$", "").replace("€", "").replace("£", "").strip())
    except ValueError:
        raise BudgetError(f"{where}, field amount: {text!r} is not a number") from None


def merge(existing: list[Budget], imported: list[Budget]) -> tuple[list[Budget], pd.DataFrame]:
    """`existing` with the `imported` budgets replacing those of the same name and the others added;
    and what changes (name, change: added, replaced or unchanged)."""
    by_name = {b.name.casefold(): b for b in imported}
    out, changes = [], []
    for budget in existing:
        new = by_name.pop(budget.name.casefold(), None)
        out.append(new or budget)
        if new:
            changes.append((new.name, "unchanged" if new == budget else "replaced"))
    out.extend(by_name.values())
    changes.extend((b.name, "added") for b in by_name.values())
    return out, pd.DataFrame(changes, columns=["name", "change"])


def budgets_sheet(budgets: list[Budget]) -> pd.DataFrame:
    """The budgets in the sheet layout: one row for the amount of every period, one per planned period."""
    rows = []
    for b in budgets:
        shared = {"name": b.name, "scope": scope_text(b.scope), "metric": b.metric, "period": b.period,
                  "fiscal_year_start": b.fiscal_year_start, "owner": b.owner}
        if b.amount is not None:
            rows.append({**shared, "period_key": "", "amount": b.amount})
        rows.extend({**shared, "period_key": key, "amount": amount} for key, amount in b.amounts.items())
    return pd.DataFrame(rows, columns=list(COLUMNS))


def sheet_csv(budgets: list[Budget]) -> bytes:
    """The sheet as CSV bytes (text cells that could start a formula are quoted)."""
    return safe_csv(budgets_sheet(budgets))


def sheet_xlsx(budgets: list[Budget]) -> bytes:
    """The sheet as an .xlsx workbook; every text cell is stored as text, never as a formula."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Budgets"
    sheet.append(list(COLUMNS))
    for row in budgets_sheet(budgets).itertuples(index=False):
        sheet.append(list(row))
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"
            elif cell.column_letter == "G":
                cell.number_format = "#,##0.00"
    for letter, width in zip("ABCDEFGH", (28, 40, 16, 10, 18, 12, 16, 32), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
