"""Rounded parts that add up to the rounded total (largest remainder), for money shown to cents."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def round_parts(values: Sequence[float] | np.ndarray, decimals: int = 2) -> np.ndarray:
    """Round `values` to `decimals` so that they add up to their total rounded the same way.

    Each value is first rounded down; the units still missing go, one each, to the values with the
    largest remainders (ties to the first). Missing values count as zero.
    """
    scaled = np.nan_to_num(np.asarray(values, dtype="float64")) * 10**decimals
    scaled = np.round(scaled, 6)  # 0.1 + 0.2 style noise must not decide a cent
    floors = np.floor(scaled)
    missing = int(round(float(np.round(scaled.sum(), 6))) - floors.sum())
    order = np.argsort(-(scaled - floors), kind="stable")[:missing]
    floors[order] += 1
    return floors / 10**decimals


def round_columns(frame: pd.DataFrame, columns: Sequence[str], decimals: int = 2) -> pd.DataFrame:
    """A copy whose `columns` are rounded with `round_parts`, each column on its own."""
    out = frame.copy()
    for column in columns:
        out[column] = round_parts(out[column].to_numpy(), decimals)
    return out
