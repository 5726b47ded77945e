"""Links to the app's pages: the sidebar's filters as URL parameters, so that a link reproduces a view (the
app's sidebar reads the same parameters; alerts and reports build links with them)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from analysis.dimensions import Dimension
from analysis.query import Filters

# URL parameter -> dimension of a multiselect filter, and its title in the sidebar.
CHOICES: dict[str, tuple[str, str]] = {
    "provider": ("ProviderName", "Provider"),
    "account": ("SubAccountName", "Sub-account"),
    "category": ("ServiceCategory", "Service category"),
    "service": ("ServiceName", "Service"),
    "region": ("RegionId", "Region"),
}
_PARAM_OF = {dimension: param for param, (dimension, _) in CHOICES.items()}


def linkable(dimension: str) -> bool:
    """True when a filter on `dimension` can be written in a link (a sidebar filter, a tag or an owner)."""
    return dimension in _PARAM_OF or Dimension.parse(dimension).kind in ("tag", "allocation")


def filter_params(filters: Filters, metric: str = "EffectiveCost") -> list[tuple[str, str]]:
    """The sidebar's URL parameters for `filters` (dates: the first and the last day, both inclusive)."""
    params: list[tuple[str, str]] = []
    if filters.start and filters.end:
        params += [("start", filters.start.isoformat()), ("end", (filters.end - dt.timedelta(days=1)).isoformat())]
    for dimension, values in filters.values:
        parsed = Dimension.parse(dimension)
        if dimension in _PARAM_OF:
            params += [(_PARAM_OF[dimension], v) for v in values]
        elif parsed.kind == "tag":
            params += [("tag", parsed.name), *(("tagv", v) for v in values)]
        elif parsed.kind == "allocation":
            params += [("alloc", parsed.name), *(("owner", v) for v in values)]
        else:
            raise ValueError(f"a filter on {dimension!r} cannot be written in a link")
    if metric != "EffectiveCost":
        params.append(("metric", metric))
    if filters.currency:
        params.append(("currency", filters.currency))
    return params


def page_link(app_url: str, page: str, filters: Filters, metric: str = "EffectiveCost",
              controls: dict[str, object] | None = None) -> str:
    """`app_url/page?...`: the filters and the page's own `controls` (as its URL parameters)."""
    params = filter_params(filters, metric) + [(k, str(v)) for k, v in (controls or {}).items()]
    return f"{app_url.rstrip('/')}/{page}?{urlencode(params)}"
