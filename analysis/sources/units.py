"""Providers' unit spellings in the FOCUS 1.2 Unit Format (`Hours`, `GB-Months`, `GiB/Hour`, `10000 Units`).

FOCUS writes time units in full and capitalised (`Hours`, `Months`), data sizes as `B`, `GB`, `GiB`, ..., a
unit used over time as `<unit>-<plural time unit>`, a rate as `<unit>/<singular time unit>` and a block of
units as `<quantity> <plural units>`. Providers write `Hrs`, `GB-Mo`, `gibibyte hour`, `vCPU-second`,
`1 Hour`, `10K`, `1/Month`: each is rewritten from its own text only (row-local), anything else kept as it is.
"""

from __future__ import annotations

import re

import pandas as pd

_TIME = {**dict.fromkeys(("second", "seconds", "sec", "secs"), "Second"),
         **dict.fromkeys(("minute", "minutes", "min", "mins"), "Minute"),
         **dict.fromkeys(("hour", "hours", "hr", "hrs"), "Hour"),
         **dict.fromkeys(("day", "days"), "Day"),
         **dict.fromkeys(("month", "months", "mo", "mos"), "Month"),
         **dict.fromkeys(("year", "years", "yr", "yrs"), "Year")}
_SIZE = {**dict.fromkeys(("byte", "bytes"), "B"), **dict.fromkeys(("kilobyte", "kilobytes"), "KB"),
         **dict.fromkeys(("megabyte", "megabytes"), "MB"), **dict.fromkeys(("gigabyte", "gigabytes"), "GB"),
         **dict.fromkeys(("terabyte", "terabytes"), "TB"), **dict.fromkeys(("petabyte", "petabytes"), "PB"),
         **dict.fromkeys(("kibibyte", "kibibytes"), "KiB"), **dict.fromkeys(("mebibyte", "mebibytes"), "MiB"),
         **dict.fromkeys(("gibibyte", "gibibytes"), "GiB"), **dict.fromkeys(("tebibyte", "tebibytes"), "TiB"),
         **dict.fromkeys(("pebibyte", "pebibytes"), "PiB")}
_BLOCK = re.compile(r"(\d+)\s*([KkMm]?)(?:\s+(.+)|(/.+))?")  # "10K", "1 Hour", "100 Hours", "1/Month", "1 GB/Month"
_OVER_TIME = re.compile(r"(\S+?)(?:\s*-\s*|\s+)([A-Za-z]+)")  # "GB-Mo", "DPU-Hour", "gibibyte hour", "byte-seconds"
_RATE = re.compile(r"(.+?)\s*/\s*([A-Za-z]+)")  # "GB/Month", "Units/Day"


def focus_unit(raw: object) -> str | None:
    """One unit in the FOCUS Unit Format; missing or blank stays missing, an unknown spelling is kept."""
    if raw is None or (not isinstance(raw, str) and pd.isna(raw)):
        return None
    text = " ".join(str(raw).split())
    if not text:
        return None
    prefix = ""
    block = _BLOCK.fullmatch(text)
    if block:
        count = int(block[1]) * {"": 1, "k": 1_000, "m": 1_000_000}[block[2].lower()]
        text = block[3] or ("Units" + block[4] if block[4] else "Units")
        prefix = "" if count == 1 else f"{count} "
    if text.lower() in _TIME:
        return prefix + _TIME[text.lower()] + "s"
    over = _OVER_TIME.fullmatch(text)
    if over and over[2].lower() in _TIME and over[1].lower() != "per":
        return f"{prefix}{_word(over[1])}-{_TIME[over[2].lower()]}s"
    rate = _RATE.fullmatch(text)
    if rate and rate[2].lower() in _TIME:
        return f"{prefix}{_word(rate[1])}/{_TIME[rate[2].lower()]}"
    return prefix + _word(text)


def focus_units(values: pd.Series) -> pd.Series:
    """`focus_unit` of each value (worked out once per distinct spelling), as a string Series."""
    distinct = {v: focus_unit(v) for v in values.dropna().unique()}
    return values.map(distinct, na_action="ignore").astype("string")


def _word(unit: str) -> str:
    """A data size in FOCUS's abbreviation, a lowercase word capitalised (`requests` -> `Requests`)."""
    return _SIZE.get(unit.lower()) or (unit[0].upper() + unit[1:] if unit.islower() else unit)
