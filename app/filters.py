"""Global sidebar filters, shared by every page, kept across page switches and mirrored in the URL."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import streamlit as st

from analysis.dimensions import METRICS, Dimension, is_tag
from analysis.links import CHOICES  # URL parameter -> dimension of a multiselect filter
from analysis.query import Filters
from analysis.visibility.periods import PRESETS, preset_range
from app.door import allocation_dimensions, existing, tag_labels, values
from app.door import currencies as data_currencies
from app.door import period as data_period
from app.door import tag_keys as data_tag_keys
from app.ui import md

DAY = dt.timedelta(days=1)
SIDEBAR_PARAMS = {"start", "end", *CHOICES, "tag", "tagv", "alloc", "owner", "metric", "currency"}
CUSTOM = "Custom range"
NO_TAG = "(no tag filter)"
NO_ALLOC = "(no owner filter)"


@dataclass(frozen=True)
class View:
    """What every page needs from the sidebar."""

    filters: Filters
    metric: str
    currency: str | None
    period: tuple[dt.date, dt.date] | None

    @property
    def unit(self) -> str:
        return self.currency or ""

    @property
    def last_day(self) -> dt.date:
        """The range's last day (the filters' end is exclusive)."""
        return self.filters.end - DAY


def _default_range(period: tuple[dt.date, dt.date]) -> tuple[dt.date, dt.date]:
    first, last = period
    month = last.replace(day=1)
    for _ in range(5):
        month = (month - DAY).replace(day=1)
    return max(first, month), last


def _linked_range(start_text: str | None, end_text: str | None, period: tuple[dt.date, dt.date],
                  notices: list[str]) -> tuple[dt.date, dt.date]:
    """The link's date range kept within the data; anything changed is said in `notices`."""
    default = _default_range(period)
    if not start_text and not end_text:
        return default
    try:
        start = dt.date.fromisoformat(start_text) if start_text else default[0]
        end = dt.date.fromisoformat(end_text) if end_text else default[1]
    except ValueError:
        notices.append(f"dates {start_text!r} – {end_text!r} are not dates (YYYY-MM-DD), so the default range "
                       "is shown")
        return default
    if end < start or end < period[0] or start > period[1]:
        notices.append(f"dates {start} – {end} are outside the data ({period[0]} – {period[1]}), so the default "
                       "range is shown")
        return default
    kept = max(start, period[0]), min(end, period[1])
    if kept != (start, end):
        notices.append(f"dates {start} – {end} reach beyond the data, so {kept[0]} – {kept[1]} is shown")
    return kept


def _apply_preset(period: tuple[dt.date, dt.date]) -> None:
    if st.session_state["f_preset"] != CUSTOM:
        st.session_state["f_range"] = preset_range(st.session_state["f_preset"], period)


def _init_from_url(period: tuple[dt.date, dt.date], tag_keys: list[str], currencies: list[str],
                   allocation_dims: list[str]) -> None:
    """Seed widget state from the URL the first time this session sees it."""
    if st.session_state.get("_filters_seeded"):
        return
    params = st.query_params
    extra: dict[str, list[str]] = {}  # dimension -> values from the URL beyond the listed options
    unknown: list[str] = []
    st.session_state["f_range"] = _linked_range(params.get("start"), params.get("end"), period, unknown)
    st.session_state["f_complete_range"] = st.session_state["f_range"]
    st.session_state["f_preset"] = CUSTOM
    for key, (dimension, title) in CHOICES.items():
        st.session_state[f"f_{key}"] = _checked(dimension, title, params.get_all(key), extra, unknown)
    tag = str(Dimension.tag(params.get("tag", "")))
    if params.get("tag") and tag not in tag_keys:
        unknown.append(f"tag key {params.get('tag')!r}")
    st.session_state["f_tag"] = tag if tag in tag_keys else NO_TAG
    st.session_state["f_tagv"] = (_checked(tag, f"tag {params.get('tag')}", params.get_all("tagv"), extra, unknown)
                                  if tag in tag_keys else [])
    alloc = str(Dimension.allocation(params.get("alloc", "")))
    if params.get("alloc") and alloc not in allocation_dims:
        unknown.append(f"allocation dimension {params.get('alloc')!r}")
    st.session_state["f_alloc"] = alloc if alloc in allocation_dims else NO_ALLOC
    st.session_state["f_owner"] = (_checked(alloc, f"{params.get('alloc')} owner", params.get_all("owner"), extra,
                                            unknown) if alloc in allocation_dims else [])
    st.session_state["f_extra"], st.session_state["f_unknown"] = extra, unknown
    metric = params.get("metric")
    st.session_state["f_metric"] = metric if metric in METRICS else "EffectiveCost"
    currency = params.get("currency")
    st.session_state["f_currency"] = currency if currency in currencies else (currencies[0] if currencies else None)
    st.session_state["_filters_seeded"] = True


def _checked(dimension: str, title: str, wanted: list[str], extra: dict[str, list[str]], unknown: list[str]
             ) -> list[str]:
    """The URL's values that the data holds (searched in all of it); the others are named in `unknown`."""
    if not wanted:
        return []
    found = existing(dimension, tuple(wanted))
    extra[dimension] = found
    unknown += [f"{title} {v!r} is not in the data, so it is not applied" for v in wanted if v not in found]
    return found


def _options(dimension: str, listed: list[str]) -> list[str]:
    """The listed values plus those a shared link asked for that are further down the list."""
    more = [v for v in st.session_state.get("f_extra", {}).get(dimension, []) if v not in listed]
    return [*listed, *more]


def _write_url(view: View, tag: str, tag_values: list[str], alloc: str, owners: list[str]) -> None:
    params: dict[str, str | list[str]] = {}
    if view.filters.start:
        params["start"] = view.filters.start.isoformat()
        params["end"] = (view.filters.end - DAY).isoformat()
    for key in CHOICES:
        if st.session_state[f"f_{key}"]:
            params[key] = list(st.session_state[f"f_{key}"])
    if tag != NO_TAG:
        params["tag"] = Dimension.parse(tag).name
        if tag_values:
            params["tagv"] = list(tag_values)
    if alloc != NO_ALLOC:
        params["alloc"] = Dimension.parse(alloc).name
        if owners:
            params["owner"] = list(owners)
    if view.metric != "EffectiveCost":
        params["metric"] = view.metric
    if view.currency:
        params["currency"] = view.currency
    params |= {k: st.query_params.get_all(k) for k in st.query_params if k not in SIDEBAR_PARAMS}  # pages' own
    wanted = {k: v if isinstance(v, list) else [v] for k, v in params.items()}
    if {k: st.query_params.get_all(k) for k in st.query_params} != wanted:
        st.query_params.from_dict(params)


def sidebar() -> View:
    """Render the global filters in the sidebar and return the current view."""
    period = data_period()
    currencies = data_currencies()
    if period is None:
        st.sidebar.info("No billing data loaded yet. Open **Data** to load FOCUS files.")
        return View(Filters(), "EffectiveCost", None, None)
    scope = Filters()
    options = {key: values(dim, scope) for key, (dim, _) in CHOICES.items()}
    labels = tag_labels()
    tag_keys = data_tag_keys()
    allocation_dims = allocation_dimensions()
    _init_from_url(period, tag_keys, currencies, allocation_dims)

    for key in ("f_preset", "f_range", *(f"f_{p}" for p in SIDEBAR_PARAMS - {"start", "end"})):  # each widget
        if key in st.session_state:  # kept as the session's own value: a run cut short by st.switch_page
            st.session_state[key] = st.session_state[key]  # would otherwise drop the widgets' state
    bar = st.sidebar
    bar.header("Filters")
    bar.selectbox("Period", [CUSTOM, *PRESETS], key="f_preset", on_change=_apply_preset, args=(period,),
                  help="Named ranges end on the last day with data.")
    picked = bar.date_input(
        "Date range", key="f_range", min_value=period[0], max_value=period[1], format="YYYY-MM-DD",
        on_change=lambda: st.session_state.update(f_preset=CUSTOM),
        help="Charge days to include (UTC). Overview KPIs use their own windows up to the last day with data.",
    )
    if isinstance(picked, tuple) and len(picked) == 2:
        st.session_state["f_complete_range"] = picked
    else:  # the first day of a new range is picked: keep showing the last complete one
        bar.caption("Pick the last day too; until then the previous range is shown.")
    start, end = st.session_state["f_complete_range"]
    currency = st.session_state["f_currency"]
    if len(currencies) > 1:
        currency = bar.selectbox("Billing currency", currencies, key="f_currency",
                                 help="Amounts in different currencies are never added together.")
    if st.session_state.get("f_unknown"):
        bar.warning("This link asks for what the data does not hold: " + md("; ".join(st.session_state["f_unknown"]))
                    + ".", icon=":material/link_off:")
    for key, (dimension, title) in CHOICES.items():
        bar.multiselect(title, _options(dimension, options[key]), key=f"f_{key}", placeholder="All")
    tag = bar.selectbox("Tag", [NO_TAG, *tag_keys], key="f_tag",
                        format_func=lambda d: labels.get(d, Dimension.parse(d).name) if is_tag(d) else d)
    tag_values: list[str] = []
    if tag != NO_TAG:
        tag_values = bar.multiselect(f"{md(labels.get(tag, Dimension.parse(tag).name))} values", _options(tag, values(tag, scope)),
                                     key="f_tagv", placeholder="All")
    alloc = bar.selectbox("Allocation owner", [NO_ALLOC, *allocation_dims], key="f_alloc",
                          format_func=lambda d: Dimension.parse(d).name if d != NO_ALLOC else d,
                          help="Owners as the saved allocation rules place cost (before shared-cost splits).")
    owners: list[str] = []
    if alloc != NO_ALLOC:
        owners = bar.multiselect(f"{md(Dimension.parse(alloc).name)} owners", _options(alloc, values(alloc, scope)),
                                 key="f_owner", placeholder="All")
    metric = bar.selectbox("Cost metric", list(METRICS), key="f_metric", format_func=METRICS.get,
                           help="Effective cost spreads commitment purchases over the usage they cover; "
                                "billed cost is what the invoice shows.")
    filters = Filters(start=start, end=end + DAY, currency=currency)
    for key, (dim, _) in CHOICES.items():
        filters = filters.with_values(dim, st.session_state[f"f_{key}"])
    if tag != NO_TAG:
        filters = filters.with_values(tag, tag_values)
    if alloc != NO_ALLOC:
        filters = filters.with_values(alloc, owners)
    view = View(filters, metric, currency, period)
    _write_url(view, tag, tag_values, alloc, owners)
    return view
