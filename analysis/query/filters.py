"""What the user narrowed the data to: a date range, dimension values and a currency."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from analysis.dimensions import Dimension


@dataclass(frozen=True)
class Filters:
    """What the user narrowed the data to. Hashable, so it can key a cache.

    `start` is inclusive, `end` exclusive (FOCUS period convention). `values` maps a dimension
    (a FOCUS column or `tag:<key>`) to the values kept; the missing-value label of a dimension
    (`(none)`, `(untagged)`) selects rows where it is empty.
    """

    start: dt.date | None = None
    end: dt.date | None = None
    values: tuple[tuple[str, tuple[str, ...]], ...] = ()
    currency: str | None = None

    @classmethod
    def of(
        cls,
        start: dt.date | None = None,
        end: dt.date | None = None,
        currency: str | None = None,
        **values: list[str] | tuple[str, ...],
    ) -> Filters:
        """Build from keyword arguments; `tag_team=[...]` means `tag:team`."""
        pairs = tuple(
            sorted(
                (str(Dimension.tag(k.removeprefix("tag_"))) if k.startswith("tag_") else k, tuple(v)) for k, v in values.items() if v
            )
        )
        return cls(start=start, end=end, values=pairs, currency=currency)

    def with_values(self, dimension: str, values: list[str] | tuple[str, ...]) -> Filters:
        """A copy with the filter on `dimension` replaced (removed when `values` is empty)."""
        kept = dict(self.values)
        kept.pop(dimension, None)
        if values:
            kept[dimension] = tuple(values)
        return replace(self, values=tuple(sorted(kept.items())))

    def between(self, start: dt.date | None, end: dt.date | None) -> Filters:
        """A copy restricted to [start, end)."""
        return replace(self, start=start, end=end)

    @property
    def dimensions(self) -> set[str]:
        return {d for d, _ in self.values}
