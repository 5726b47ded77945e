"""Shared formatting helpers for the pages: money, percentages, Markdown-safe text, page frames."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from analysis.focus.coerce import plural  # noqa: F401 (one plural for findings and pages)

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


def utc_time(iso: str | None) -> str:
    """`2026-11-30T10:56:47+00:00` as `30 Nov 2026, 10:56 UTC`; `—` when there is none."""
    if not iso:
        return "—"
    stamp = pd.Timestamp(iso)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return f"{stamp:%d %b %Y, %H:%M} UTC"


def percent(value: float | None) -> str:
    return "—" if value is None or pd.isna(value) else f"{value:+.1%}"


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


def whole_money_column(title: str, currency: str | None, help: str | None = None) -> st.column_config.NumberColumn:
    """Money in whole currency units with thousands separators (narrow tables: say the currency nearby)."""
    return st.column_config.NumberColumn(title, format="localized",
                                         help=" ".join(filter(None, [help, f"In {currency or 'USD'}, whole units."])))
