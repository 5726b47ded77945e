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
from openpyxl.chart.legend import LegendEntry
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
    formats: dict[str, str] = field(default_factory=dict)  # column -> Excel number format (e.g. months: MONTH)


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
    band: tuple[str, str] | None = None  # (lower, upper) columns: an interval drawn as a shaded floating bar
    # per category behind the `series` lines (the writer adds the bar height column it needs after the data)
    legend: str = "r"  # where the legend goes: r(ight), b(ottom), t(op), l(eft)


@dataclass
class Block:
    """A plain range written below a sheet's Table (a bold title, a header row, formatted cells; not an Excel
    Table): a second short list on the same sheet, or the data a chart draws."""

    title: str
    frame: pd.DataFrame
    spec: TableSpec = field(default_factory=TableSpec)
    charts: Sequence[Chart] = ()


# A line written above or below a Table: text, or (label, value) or (label, value, kind) with kind
# `money`, `percent`, `number`, `date` or `text` (the default: a date is a date, anything else as it is).
Line = str | tuple[str, object] | tuple[str, object, str]
MONTH = "mmm yyyy"
BAND_HEIGHT = "Interval (upper − lower)"


class WorkbookWriter:
    """Sheets added in order; `bytes()` gives the .xlsx."""

    def __init__(self, currency: str | None = None, print_landscape: bool = False):
        self.book = Workbook(write_only=True)
        self.currency = currency
        self.names: set[str] = set()
        self.charts = 0
        self.print_landscape = print_landscape  # sheets print landscape, one page wide (tables and their charts)

    def _sheet(self, title: str):
        title = SHEET_NAME.sub(" ", title)[:31]
        sheet = self.book.create_sheet(title)
        self.names.add(title)
        if self.print_landscape:
            sheet.page_setup.orientation = "landscape"
            sheet.sheet_properties.pageSetUpPr.fitToPage = True
            sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
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
              above: Sequence[Line] = (), below: Sequence[Line] = (), blocks: Sequence[Block] = ()) -> None:
        """`frame` as one named Excel Table on its own sheet (filters, frozen header, styled, widths), with
        native `charts` to its right. `above` are lines written over the table (text, or label and value:
        key figures); `below` are lines after it (totals go there, never in a row of the Table); `blocks`
        are plain ranges after those, each with its own charts (placed under the table's, to its right)."""
        sheet = self._sheet(title)
        spec = spec or TableSpec()
        frame = frame.reset_index(drop=True)
        headers = [spec.headers.get(c, str(c)) for c in frame.columns]
        formats = self._formats(frame, spec)
        widths = [max(len(h) + 4, (14 if c in formats else 0), _longest(frame[c]) + 2)
                  for c, h in zip(frame.columns, headers, strict=True)]
        for block in blocks:
            bframe, bspec = block.frame.reset_index(drop=True), block.spec
            bformats = self._formats(bframe, bspec)
            for i, column in enumerate(bframe.columns):
                header = bspec.headers.get(column, str(column))
                width = max(len(header) + 2, (14 if column in bformats else 0), _longest(bframe[column]) + 2)
                widths += [0] * (i + 1 - len(widths))
                widths[i] = max(widths[i], width)
            if any(c.band for c in block.charts):  # the interval height column the writer adds
                widths += [0] * (len(bframe.columns) + 1 - len(widths))
                widths[len(bframe.columns)] = max(widths[len(bframe.columns)], len(BAND_HEIGHT) + 2)
        for line in (*above, *below):
            if not isinstance(line, str):
                widths[0] = max(widths[0], len(str(line[0])) + 2)
                if len(widths) > 1:
                    widths[1] = max(widths[1], 18)
        for i, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = min(width, MAX_WIDTH)
        for line in above:
            sheet.append(self._line(sheet, line))
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
        right = len(columns) + 2 + any(c.band for c in charts)  # charts start here, clear of the data
        for block in blocks:
            right = max(right, len(block.frame.columns) + 2 + any(c.band for c in block.charts))
        for k, chart in enumerate(charts):
            self._chart(sheet, chart, frame, top, right, top + k * 20)
        row = last
        if below:
            sheet.append([])
            for line in below:
                sheet.append(self._line(sheet, line))
            row += 1 + len(below)
        placed = len([c for c in charts if len(frame)])
        for block in blocks:
            sheet.append([])
            sheet.append([self._cell(sheet, block.title, bold=True)])
            row += 2
            placed += self._block(sheet, block, row + 1, right, top + placed * 20)
            row += 1 + len(block.frame)

    def _formats(self, frame: pd.DataFrame, spec: TableSpec) -> dict[str, str]:
        formats = {c: money_format(self.currency) for c in spec.money} | {c: PERCENT for c in spec.percent}
        for column in frame.columns:
            if column in spec.dates or is_datetime64_any_dtype(frame[column]):
                formats[column] = DATE
        return formats | dict(spec.formats)

    def _line(self, sheet, line: Line) -> list[WriteOnlyCell]:
        """One line above or below a table: text in column A, or a label in A and its value in B."""
        if isinstance(line, str):
            return [self._cell(sheet, line)]
        label, value, *kind = line
        kind = kind[0] if kind else ("date" if isinstance(value, dt.date) else "text")
        formats = {"money": money_format(self.currency), "percent": PERCENT, "number": "#,##0", "date": DATE}
        return [self._cell(sheet, label, bold=True), self._cell(sheet, _plain(value), formats.get(kind))]

    def _block(self, sheet, block: Block, top: int, right: int, anchor: int) -> int:
        """Write `block` with its header on row `top`; returns how many charts it placed."""
        frame, spec = block.frame.reset_index(drop=True), block.spec
        formats = self._formats(frame, spec)
        band = next((c.band for c in block.charts if c.band), None)
        columns = list(frame.columns)
        header = [spec.headers.get(c, str(c)) for c in columns] + ([BAND_HEIGHT] if band else [])
        sheet.append([self._cell(sheet, h, bold=True) for h in header])
        height = (frame[band[1]] - frame[band[0]]) if band else None
        for i, row in enumerate(frame.itertuples(index=False, name=None)):
            cells = [self._cell(sheet, _plain(v), formats.get(c)) for c, v in zip(columns, row, strict=True)]
            if band:
                cells.append(self._cell(sheet, _plain(height.iloc[i]), money_format(self.currency)))
            sheet.append(cells)
        placed = 0
        for chart in block.charts:
            if self._chart(sheet, chart, frame, top, right, anchor + placed * 20):
                placed += 1
        return placed

    def _chart(self, sheet, spec: Chart, frame: pd.DataFrame, top: int, right: int, anchor: int) -> bool:
        """A native chart of `frame`, written with its header on row `top`, anchored at column `right`, row
        `anchor`; False (nothing drawn) when the frame is empty."""
        columns, rows = list(frame.columns), len(frame)
        if not rows:
            return False
        last = top + min(rows, spec.rows or rows)
        cats = Reference(sheet, min_col=columns.index(spec.categories) + 1, min_row=top + 1, max_row=last)
        if spec.band:
            chart = self._band_chart(sheet, spec, columns, top, last, cats)
        else:
            kind = {"bar": BarChart, "stacked": BarChart, "line": LineChart, "area": AreaChart}[spec.kind]
            chart = kind()
            if spec.kind == "stacked":
                chart.grouping, chart.overlap = "stacked", 100
            for name in spec.series:
                col = columns.index(name) + 1
                chart.add_data(Reference(sheet, min_col=col, min_row=top, max_row=last), titles_from_data=True)
            chart.set_categories(cats)
        chart.title, chart.y_axis.title = spec.title, spec.y_title
        chart.legend.position = spec.legend
        chart.y_axis.numFmt = "#,##0"
        chart.height, chart.width = 9, 18
        chart.y_axis.delete = chart.x_axis.delete = False
        sheet.add_chart(chart, f"{get_column_letter(right)}{anchor}")
        self.charts += 1
        return True

    @staticmethod
    def _band_chart(sheet, spec: Chart, columns: list[str], top: int, last: int, cats: Reference) -> BarChart:
        """Floating bars from lower to upper (a transparent bar up to lower, the interval's height stacked on
        it), with the `series` as lines over them."""
        bars = BarChart()
        bars.grouping, bars.overlap, bars.gapWidth = "stacked", 100, 40
        height_col = len(columns) + 1  # the writer's BAND_HEIGHT column, after the data
        for col in (columns.index(spec.band[0]) + 1, height_col):
            bars.add_data(Reference(sheet, min_col=col, min_row=top, max_row=last), titles_from_data=True)
        base, band = bars.series
        base.graphicalProperties.noFill = True
        base.graphicalProperties.line.noFill = True
        band.graphicalProperties.solidFill = "BDD7EE"
        band.graphicalProperties.line.noFill = True
        bars.set_categories(cats)
        lines = LineChart()
        for name in spec.series:
            lines.add_data(Reference(sheet, min_col=columns.index(name) + 1, min_row=top, max_row=last),
                           titles_from_data=True)
        lines.set_categories(cats)
        for k, series in enumerate(lines.series):
            series.smooth = False
            if k:
                series.graphicalProperties.line.dashStyle = "dash"
        bars += lines
        bars.legend.legendEntry = [LegendEntry(idx=0, delete=True)]  # the transparent base bar
        return bars

    def bytes(self) -> bytes:
        """The workbook as .xlsx bytes."""
        out = io.BytesIO()
        self.book.save(out)
        return out.getvalue()


def _longest(column: pd.Series) -> int:
    """Characters in the longest of the first 200 values."""
    lengths = column.head(200).astype(str).str.len()
    return int(lengths.max()) if lengths.notna().any() else 0  # missing values (pd.NA) have no length


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
