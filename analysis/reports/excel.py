"""Excel workbooks from frames: a cover sheet, KPIs, Excel Tables and native charts.

Written with openpyxl in write-only mode (a 100,000-row table in a few seconds). Money is stored unrounded
with a number format in the billing currency, percentages as fractions with a percent format, days as real
Excel dates. Every text cell is stored as text: a bill's `=HYPERLINK(...)` stays a string, never a formula.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import AreaChart, BarChart, LineChart, Reference
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo
from pandas.api.types import is_datetime64_any_dtype, is_numeric_dtype

MAX_WIDTH = 60
SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


def money_format(currency: str | None) -> str:
    """Cents with thousands separators and the ISO currency code: `#,##0.00 "USD"`."""
    code = re.sub(r"[^A-Z]", "", (currency or "USD").upper())[:3] or "USD"
    return f'#,##0.00 "{code}";-#,##0.00 "{code}"'


PERCENT = "0.0%"
DATE = "yyyy-mm-dd"


@dataclass
class TableSpec:
    """How a frame becomes an Excel Table: which columns are money, percentages or dates."""

    money: Sequence[str] = ()
    percent: Sequence[str] = ()
    dates: Sequence[str] = ()
    headers: dict[str, str] = field(default_factory=dict)  # column -> header shown


@dataclass
class Chart:
    """A native chart of a sheet's table: `kind` bar, stacked bar, line or area; `categories` and
    `series` are column names of the frame."""

    title: str
    categories: str
    series: Sequence[str]
    kind: str = "bar"
    y_title: str = ""
    rows: int | None = None  # only the first rows (the largest items)


class WorkbookWriter:
    """Sheets added in order; `bytes()` gives the .xlsx."""

    def __init__(self, currency: str | None = None):
        self.book = Workbook(write_only=True)
        self.currency = currency
        self.names: set[str] = set()
        self.charts = 0

    def _sheet(self, title: str):
        title = SHEET_NAME.sub(" ", title)[:31]
        sheet = self.book.create_sheet(title)
        self.names.add(title)
        return sheet

    def _cell(self, sheet, value: object, number_format: str | None = None, bold: bool = False) -> WriteOnlyCell:
        if isinstance(value, float) and pd.isna(value) or value is pd.NA or value is pd.NaT:
            value = None
        if isinstance(value, pd.Timestamp):
            value = value.to_pydatetime().replace(tzinfo=None)
            value = value.date() if value == dt.datetime.combine(value.date(), dt.time()) else value
        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"  # text from a bill is never a formula
        if number_format:
            cell.number_format = number_format
        if bold:
            cell.font = Font(bold=True)
        return cell

    def cover(self, title: str, rows: Sequence[tuple[str, object]]) -> None:
        """A first sheet naming the view and everything in effect (filters, range, metric, currency...)."""
        sheet = self._sheet("Cover")
        sheet.column_dimensions["A"].width = 28
        sheet.column_dimensions["B"].width = 80
        sheet.append([self._cell(sheet, title, bold=True)])
        sheet.append([])
        for label, value in rows:
            fmt = DATE if isinstance(value, dt.date) and not isinstance(value, dt.datetime) else None
            sheet.append([self._cell(sheet, label, bold=True), self._cell(sheet, value, fmt)])

    def kpis(self, title: str, rows: Sequence[tuple[str, object, str]]) -> None:
        """A sheet of key figures: (label, value, kind) with kind `money`, `percent` or `number`."""
        sheet = self._sheet(title)
        sheet.column_dimensions["A"].width = 40
        sheet.column_dimensions["B"].width = 22
        sheet.append([self._cell(sheet, "Figure", bold=True), self._cell(sheet, "Value", bold=True)])
        formats = {"money": money_format(self.currency), "percent": PERCENT, "number": "#,##0"}
        for label, value, kind in rows:
            sheet.append([self._cell(sheet, label), self._cell(sheet, value, formats.get(kind))])

    def table(self, title: str, frame: pd.DataFrame, spec: TableSpec | None = None, charts: Sequence[Chart] = (),
              above: Sequence[str] = ()) -> None:
        """`frame` as one named Excel Table on its own sheet (filters, frozen header, styled, widths), with
        native `charts` to its right. `above` are lines of text written over the table."""
        sheet = self._sheet(title)
        spec = spec or TableSpec()
        frame = frame.reset_index(drop=True)
        headers = [spec.headers.get(c, str(c)) for c in frame.columns]
        formats = {c: money_format(self.currency) for c in spec.money} | {c: PERCENT for c in spec.percent}
        for column in frame.columns:
            if column in spec.dates or is_datetime64_any_dtype(frame[column]):
                formats[column] = DATE
        for i, column in enumerate(frame.columns, start=1):
            sample = frame[column].head(200).astype(str).str.len().max() if len(frame) else 0
            width = max(len(headers[i - 1]) + 4, (14 if column in formats else 0), int(sample or 0) + 2)
            sheet.column_dimensions[get_column_letter(i)].width = min(width, MAX_WIDTH)
        for line in above:
            sheet.append([self._cell(sheet, line)])
        top = len(above) + 1
        sheet.freeze_panes = f"A{top + 1}"
        sheet.append([self._cell(sheet, h, bold=True) for h in headers])
        columns = list(frame.columns)
        for row in frame.itertuples(index=False, name=None):
            sheet.append([self._cell(sheet, _plain(v), formats.get(c)) for c, v in zip(columns, row, strict=True)])
        last = top + max(len(frame), 1)
        if not len(frame):
            sheet.append([self._cell(sheet, None) for _ in columns])
        name = re.sub(r"\W", "_", title).strip("_") or "Table"
        table = Table(displayName=f"{name}_{len(self.names)}"[:250], ref=f"A{top}:{get_column_letter(len(columns))}{last}")
        table._initialise_columns()
        for column, header in zip(table.tableColumns, headers, strict=True):
            column.name = header
        table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
        with warnings.catch_warnings():  # openpyxl warns in write-only mode even when the columns are named
            warnings.filterwarnings("ignore", "In write-only mode you must add table columns manually")
            sheet.add_table(table)
        for k, chart in enumerate(charts):
            self._chart(sheet, chart, columns, top, len(frame), k)

    def _chart(self, sheet, spec: Chart, columns: list[str], top: int, rows: int, index: int) -> None:
        if not rows:
            return
        kind = {"bar": BarChart, "stacked": BarChart, "line": LineChart, "area": AreaChart}[spec.kind]
        chart = kind()
        if spec.kind == "stacked":
            chart.grouping, chart.overlap = "stacked", 100
        chart.title, chart.y_axis.title = spec.title, spec.y_title
        chart.y_axis.numFmt = "#,##0"
        chart.height, chart.width = 9, 18
        last = top + min(rows, spec.rows or rows)
        for name in spec.series:
            col = columns.index(name) + 1
            chart.add_data(Reference(sheet, min_col=col, min_row=top, max_row=last), titles_from_data=True)
        cat = columns.index(spec.categories) + 1
        chart.set_categories(Reference(sheet, min_col=cat, min_row=top + 1, max_row=last))
        chart.y_axis.delete = chart.x_axis.delete = False
        sheet.add_chart(chart, f"{get_column_letter(len(columns) + 2)}{top + index * 20}")
        self.charts += 1

    def bytes(self) -> bytes:
        """The workbook as .xlsx bytes."""
        out = io.BytesIO()
        self.book.save(out)
        return out.getvalue()


def _plain(value: object) -> object:
    """numpy scalars as Python numbers (openpyxl writes those)."""
    if hasattr(value, "item") and not isinstance(value, str | pd.Timestamp):
        return value.item()
    return value


def view_workbook(page: str, context: Sequence[tuple[str, object]], kpis: Sequence[tuple[str, object, str]],
                  tables: Sequence[tuple[str, pd.DataFrame, TableSpec, Sequence[Chart]]],
                  currency: str | None) -> bytes:
    """One page's view as a workbook: a cover (`context`: filters, range, metric, currency, last day...), its
    KPIs when there are any, and each table on its own sheet with its charts."""
    book = WorkbookWriter(currency)
    made = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    book.cover(f"FinOps Workbench: {page}", [*context, ("Made", made)])
    if kpis:
        book.kpis("KPIs", kpis)
    for title, frame, spec, charts in tables:
        book.table(title, frame, spec, charts)
    return book.bytes()


def money_columns(frame: pd.DataFrame, exclude: Sequence[str] = ()) -> list[str]:
    """The numeric columns of a frame that hold money (all numeric ones but `exclude`)."""
    return [c for c in frame.columns if is_numeric_dtype(frame[c]) and c not in exclude]
