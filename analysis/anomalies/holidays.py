"""The holiday calendar of anomaly detection: which days are judged as holidays.

Default: the year-end period (20 December to 3 January, both included) and the public holidays of one
country (ISO 3166 code, default US) from the `holidays` library, plus the user's own dates. The settings
live under the top-level `holidays:` key of the workspace's `alerts.yaml` (other keys of that file belong
to the alert settings and are ignored here)::

    holidays:
      country: GB            # null: no public holidays
      year_end: true         # 20 Dec - 3 Jan
      dates: [2026-08-03, 2026-12-18]

A missing file or key means the defaults; a wrong country or date raises `HolidayError` naming the field.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import holidays as holiday_library
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from analysis.store.workspace import yaml_syntax_error
from analysis.store.yaml_lists import validation_problems

ALERTS_FILE = "alerts.yaml"
YEAR_END = ((12, 20), (1, 3))  # (month, day) of the first and last day of the year-end period


class _Loader(yaml.SafeLoader):
    """YAML without implicit dates: a date is checked by the model, so a wrong one names its field."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


class HolidayError(ValueError):
    """The holiday settings cannot be used; the message names the file and the field."""


class HolidaySettings(BaseModel):
    """Which days count as holidays: the year-end period, a country's public holidays, the user's dates."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    country: str | None = "US"
    year_end: bool = True
    dates: tuple[dt.date, ...] = ()

    @field_validator("country")
    @classmethod
    def _known_country(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = value.strip().upper()
        if code not in holiday_library.list_supported_countries():
            raise ValueError(f"{value!r} is not a country code the holidays library knows (e.g. US, GB, DE, FR)")
        return code

    def days(self, start, end) -> list[dt.date]:
        """The holidays from `start` to `end` (both included), in order."""
        first, last = pd.Timestamp(start).date(), pd.Timestamp(end).date()
        if last < first:
            return []
        years = range(first.year - 1, last.year + 2)
        found: set[dt.date] = {d for d in self.dates if first <= d <= last}
        if self.country:
            found |= {d for d in holiday_library.country_holidays(self.country, years=years) if first <= d <= last}
        if self.year_end:
            (m0, d0), (m1, d1) = YEAR_END
            for year in years:
                period = pd.date_range(dt.date(year, m0, d0), dt.date(year + 1, m1, d1), freq="D").date
                found |= {d for d in period if first <= d <= last}
        return sorted(found)


def load_holiday_settings(workspace: Path | str) -> HolidaySettings:
    """The `holidays:` section of the workspace's alerts.yaml (defaults when the file or the key is missing)."""
    path = Path(workspace) / ALERTS_FILE
    if not path.exists():
        return HolidaySettings()
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # a SafeLoader
    except yaml.YAMLError as problem:
        raise HolidayError(yaml_syntax_error(problem, ALERTS_FILE)) from problem
    if raw is None:
        return HolidaySettings()
    if not isinstance(raw, dict):
        raise HolidayError(f"{ALERTS_FILE}: expected a mapping of settings, found {type(raw).__name__}")
    return parse_holiday_settings(raw.get("holidays"))


def parse_holiday_settings(section: object) -> HolidaySettings:
    """Checked settings from the `holidays:` mapping (None: defaults)."""
    where = f"{ALERTS_FILE}, holidays"
    if section is None:
        return HolidaySettings()
    if not isinstance(section, dict):
        raise HolidayError(f"{where}: expected a mapping (country, year_end, dates), found {type(section).__name__}")
    try:
        return HolidaySettings.model_validate(section)
    except ValidationError as error:
        raise HolidayError(f"{where}: {validation_problems(error)}") from None
