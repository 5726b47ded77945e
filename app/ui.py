"""Shared formatting and chart helpers for the pages."""

from __future__ import annotations

import re

import altair as alt
import pandas as pd
import streamlit as st

from analysis.dimensions import label

OTHER = "Other"
PALETTE = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#eeca3b", "#b279a2", "#ff9da6",
           "#9d755d", "#79706e", "#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#17becf"]


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


_AUTOLINK = re.compile(r"(\\:)(//)|(?i:(www))(\\\.)|(@)")
_JOINER = "\u2060"  # an invisible word joiner: breaks `://`, `www.` and `@` so that no link is made of them


def md(text: object) -> str:
    """Text from a bill, a file or a user, escaped so that Markdown shows it as written: no links,
    images, formatting, math or icons (each Markdown character gets a backslash, and the web
    addresses Markdown would turn into links get an invisible word joiner)."""
    escaped = _MARKDOWN.sub(r"\\\1", str(text))
    return _AUTOLINK.sub(lambda m: _JOINER.join(g for g in m.groups() if g) if not m.group(5) else "@" + _JOINER,
                         escaped)


def money(value: float | None, currency: str | None = None, precise: bool = False) -> str:
    """`$1,234` style for USD, `1,234 EUR` otherwise; `—` for None."""
    if value is None or pd.isna(value):
        return "—"
    text = f"{abs(value):,.2f}" if precise or abs(value) < 100 else f"{abs(value):,.0f}"
    sign = "-" if value < 0 else ""
    if currency in (None, "", "USD"):
        return f"{sign}${text}"
    return f"{sign}{text} {currency}"


def short_money(value: float | None, currency: str | None = None) -> str:
    """`$1.32M`, `$845K` style (three significant digits) where space is short; `money()` below 10,000."""
    if value is None or pd.isna(value) or abs(value) < 10_000:
        return money(value, currency)
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= size * 0.9995:
            scaled = abs(value) / size
            text = f"{scaled:.3g}" if scaled < 1000 else f"{scaled:,.0f}"
            break
    sign = "-" if value < 0 else ""
    return f"{sign}${text}{suffix}" if currency in (None, "", "USD") else f"{sign}{text}{suffix} {currency}"


def percent(value: float | None) -> str:
    return "—" if value is None or pd.isna(value) else f"{value:+.1%}"


def top_n(frame: pd.DataFrame, column: str, n: int = 8) -> pd.DataFrame:
    """Keep the `n` largest values of `column` by total cost; fold the rest into `Other`."""
    totals = frame.groupby(column)["cost"].sum().abs().sort_values(ascending=False)
    keep = set(totals.index[:n])
    out = frame.copy()
    out[column] = out[column].where(out[column].isin(keep), OTHER)
    return out.groupby([c for c in out.columns if c != "cost"], as_index=False)["cost"].sum()


def stacked_bars(frame: pd.DataFrame, color: str, currency: str | None, grain: str = "month", height: int = 320):
    """Stacked bar chart of `cost` per `period`, coloured by `color`, with totals in the tooltip."""
    time_unit = {"day": "yearmonthdate", "week": "yearmonthdate", "month": "yearmonth"}[grain]
    kind = "O" if grain == "month" else "T"  # ordinal months: one labelled bar per month
    title = label(color)
    frame = frame.rename(columns={color: "series"})  # field names with ':' confuse Vega-Lite shorthand
    order = frame.groupby("series")["cost"].sum().sort_values(ascending=False).index.tolist()
    if OTHER in order:  # the folded rest goes last, in grey
        order = [s for s in order if s != OTHER] + [OTHER]
    palette = alt.Scale(domain=order, range=(PALETTE * 2)[: len(order) - 1] + ["#b0b0b0"]) if OTHER in order \
        else alt.Scale(scheme="tableau20")
    axis_format = "$,.0f" if currency in (None, "USD") else ",.0f"
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X(f"{time_unit}(period):{kind}", title=None,
                    axis=alt.Axis(format="%b %Y", labelAngle=0) if kind == "O" else alt.Axis()),
            y=alt.Y("sum(cost):Q", title=f"Cost ({currency or 'USD'})", axis=alt.Axis(format=axis_format)),
            color=alt.Color("series:N", title=title, sort=order, scale=palette,
                            legend=alt.Legend(labelLimit=240)),
            order=alt.Order("color_rank:Q"),
            tooltip=[
                alt.Tooltip(f"{time_unit}(period):T", title="Period"),
                alt.Tooltip("series:N", title=title),
                alt.Tooltip("sum(cost):Q", title="Cost", format=",.2f"),
            ],
        )
        .transform_calculate(color_rank=f"indexof({order!r}, datum.series)")
        .properties(height=height)
    )


def horizontal_bars(frame: pd.DataFrame, category: str, value: str, currency: str | None,
                    value_format: str | None = None, height: int | None = None):
    """Ranked horizontal bars of `value` per `category`."""
    fmt = value_format or ("$,.0f" if currency in (None, "USD") else ",.0f")
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y(f"{category}:N", sort="-x", title=None, axis=alt.Axis(labelLimit=240)),
            x=alt.X(f"{value}:Q", title=None, axis=alt.Axis(format=fmt)),
            tooltip=[alt.Tooltip(f"{category}:N"), alt.Tooltip(f"{value}:Q", format=fmt.replace("$", ""))],
        )
        .properties(height=height or max(100, 34 * len(frame)))
    )


def page_view(title: str):
    """Title the page and return the sidebar's view; stop with a helpful note when no data is loaded."""
    st.title(title)
    view = st.session_state["view"]
    if view.period is None:
        empty_state("No billing data is loaded. Go to **Data** to upload FOCUS files, or run `make sample`.")
        st.stop()
    return view


def empty_state(message: str) -> None:
    """A friendly note where a page has nothing to show, pointing to the Data page."""
    st.info(message, icon=":material/info:")


def money_column(title: str, currency: str | None) -> st.column_config.NumberColumn:
    fmt = "dollar" if currency in (None, "USD") else "%.2f " + currency
    return st.column_config.NumberColumn(title, format=fmt)
