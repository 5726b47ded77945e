"""The "Download Excel" button every page with a table has: the view on screen as a workbook (a cover with
the filters, range, metric, currency and the data's last day; the KPIs; each table as an Excel Table; native
charts), built by `analysis.reports.excel`."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from analysis.dimensions import METRICS
from analysis.reports.excel import Chart, TableSpec, money_columns, view_workbook
from analysis.reports.safe_csv import download_name
from app.door import dimension_label

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Sheet = tuple[str, pd.DataFrame, TableSpec, Sequence[Chart]]


def context(view, extra: Sequence[tuple[str, object]] = (), dated: bool = True) -> list[tuple[str, object]]:
    """What the view had in effect: range, metric, currency, sidebar filters, the data's last day, and the
    page's own controls (`extra`)."""
    filters = "; ".join(f"{dimension_label(d)}: {', '.join(v)}" for d, v in view.filters.values) or "none"
    rows: list[tuple[str, object]] = []
    if dated:
        rows += [("From", view.filters.start), ("To (last day included)", view.last_day)]
    rows += [("Metric", f"{METRICS.get(view.metric, view.metric)} ({view.metric})"), ("Currency", view.currency or "USD"),
             ("Filters", filters), ("Data's last day", view.period[1]), *extra]
    return rows


def download(view, page: str, sheets: Sequence[Sheet], kpis: Sequence[tuple[str, object, str]] = (),
             extra: Sequence[tuple[str, object]] = (), name: Sequence[object] = (), dated: bool = True,
             key: str | None = None) -> None:
    """A "Download Excel" button for this page's view."""
    data = view_workbook(page, context(view, extra, dated), kpis, sheets, view.currency)
    parts = name or (page.lower(),)
    file_name = download_name(*parts, view.metric, view.currency, *((view.filters.start, "to", view.last_day)
                                                                      if dated else ()), suffix=".xlsx")
    st.download_button("Download Excel", data, file_name=file_name, mime=XLSX, icon=":material/table_view:",
                       key=key, help="The view as a workbook: a cover with the filters in effect, the KPIs, each "
                                     "table as an Excel Table with number formats, and native charts.")


def money_spec(frame: pd.DataFrame, view, text: Sequence[str] = (), percent: Sequence[str] = (),
               headers: dict[str, str] | None = None) -> TableSpec:
    """Every numeric column but `text` and `percent` is money in the view's metric and currency; money
    headers say so."""
    money = money_columns(frame, exclude=(*text, *percent))
    unit = f"{view.metric}, {view.currency or 'USD'}"
    named = {c: f"{c} ({unit})" for c in money} | dict(headers or {})
    return TableSpec(money=money, percent=percent, headers=named)


def by_period(series: pd.DataFrame, grain: str = "month") -> pd.DataFrame:
    """A long `period, <dimension>, cost` frame as one row per period and one column per value (chart data)."""
    dimension = next(c for c in series.columns if c not in ("period", "cost"))
    wide = series.pivot_table(index="period", columns=dimension, values="cost", aggfunc="sum", fill_value=0.0)
    return wide.rename(columns=str).reset_index().rename(columns={"period": grain.capitalize()})
