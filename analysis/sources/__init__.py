"""Native billing formats converted to FOCUS: each format is a pure converter module in this package,
recognised from the file's header.

A converter takes the file's table as read (CSV as text columns, Parquet as stored) and returns a frame in
FOCUS column names (plus the provider's useful columns as `x_` columns) and findings naming rows it could
not fully map. It never drops a row. The FOCUS loader then coerces and checks the frame as for any FOCUS
file, so a converted file is validated, committed and reported exactly like one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from analysis.focus.coerce import Finding


@dataclass(frozen=True)
class NativeFormat:
    """A billing format the loader converts: `detect` looks at the header, `convert` maps the table."""

    name: str  # what users read: "AWS legacy CUR (CSV)"
    detect: Callable[[Sequence[str]], bool]
    convert: Callable[[pd.DataFrame, str], tuple[pd.DataFrame, list[Finding]]]


FORMATS: list[NativeFormat] = []  # each converter module appends its formats (imported below)


def native_format(columns: Sequence[str]) -> NativeFormat | None:
    """The native format a header belongs to, or None (a FOCUS file, or unknown)."""
    return next((f for f in FORMATS if f.detect([str(c) for c in columns])), None)


import analysis.sources.azure  # noqa: F401  (registers the Azure formats)
from analysis.sources import (
    aws_cur,  # noqa: F401  (registers the AWS CUR formats)
    gcp,  # noqa: F401  (registers the Google Cloud formats)
    oci,  # noqa: F401  (registers the OCI cost report)
    oci_focus,  # noqa: F401  (registers the OCI FOCUS report)
)
