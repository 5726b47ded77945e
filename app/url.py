"""A page's own controls in the URL, beside the sidebar's filters, so that a link reproduces the whole view.

Before drawing a widget, a page calls `seed` (the first time this session shows the page, the widget
takes the link's value); after its widgets, `publish` writes their current values back. A link value
that cannot be honoured is shown as a notice, never silently changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

from app.ui import md

PAGE_PARAMS: set[str] = set()  # URL parameters owned by page controls (the sidebar owns the others)


def seed(param: str, key: str, default: object, choices: Sequence[object] | None = None,
         convert: Callable[[str], object] = str, label: str | None = None) -> None:
    """Give widget `key` its `default` (draw the widget without one), and on this session's first view of
    the page the value of URL parameter `param` instead."""
    PAGE_PARAMS.add(param)
    st.session_state.setdefault(key, default)
    seeded = st.session_state.setdefault("_url_seeded", set())
    if key in seeded:
        return
    seeded.add(key)
    raw = st.query_params.get(param)
    if raw is None:
        return
    try:
        value = convert(raw)
    except ValueError:
        value = None
    if value is None or (choices is not None and value not in choices):
        st.session_state.setdefault("_url_notices", []).append(
            f"{label or param} {raw!r} from the link is not available here, so the default is shown")
        return
    st.session_state[key] = value


def publish(values: dict[str, object]) -> None:
    """Write this page's control values to the URL; drop other pages' parameters; show link notices."""
    for param in [p for p in st.query_params if p in PAGE_PARAMS and p not in values]:
        del st.query_params[param]
    for param, value in values.items():
        text = str(value)
        if st.query_params.get(param) != text:
            st.query_params[param] = text
    notices = st.session_state.pop("_url_notices", [])
    if notices:
        st.warning("This link asks for what this page cannot show: " + md("; ".join(notices)) + ".",
                   icon=":material/link_off:")


def number(text: str) -> float:
    """A URL value as a number (int when whole)."""
    value = float(text)
    return int(value) if value.is_integer() else value


def flag(text: str) -> bool:
    """A URL value as true/false."""
    if text.lower() in ("true", "1", "yes"):
        return True
    if text.lower() in ("false", "0", "no"):
        return False
    raise ValueError(text)
