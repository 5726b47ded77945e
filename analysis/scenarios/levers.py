"""The levers as pure functions on monthly cost.

Every array is `(3, months)`: rows are the forecast and the low and high ends of its interval, for the part
of each month still to come (the first month's actual to date is history, and no lever changes it).
`share` is the fraction of each month still to come (below 1 only in the first month); `start` is the index
of the lever's first month. Each function returns the change it makes, month by month.
"""

from __future__ import annotations

import numpy as np


def _from(months: int, start: int) -> np.ndarray:
    """1 from month `start` on, 0 before."""
    return (np.arange(months) >= start).astype(float)


def growth(current: np.ndarray, start: int, percent: float, compound: bool = False) -> np.ndarray:
    """`percent` more (or less) of the scope's cost every month from `start`; compounding monthly, month k
    after the start is (1 + p)^(k + 1) times its baseline."""
    n = current.shape[1]
    steps = np.maximum(np.arange(n) - start + 1, 0)
    factor = (1 + percent / 100) ** steps if compound else 1 + percent / 100 * _from(n, start)
    return current * (factor - 1) * _from(n, start)


def price_change(current: np.ndarray, start: int, percent: float) -> np.ndarray:
    """Unit prices `percent` higher (or lower) from `start`: the scope's usage cost scales with them."""
    return growth(current, start, percent)


def remove(current: np.ndarray, start: int) -> np.ndarray:
    """The scope's cost goes to zero from `start`."""
    return -current * _from(current.shape[1], start)


def migrate(current: np.ndarray, start: int, percent: float, price_ratio: float) -> tuple[np.ndarray, np.ndarray]:
    """`percent` of the scope's cost leaves it from `start` (the first array, negative) and reappears where it
    moves at `price_ratio` times the cost (the second): the total changes by (ratio - 1) x the moved cost."""
    moved = current * percent / 100 * _from(current.shape[1], start)
    return -moved, moved * price_ratio


def new_spend(share: np.ndarray, start: int, monthly: float) -> np.ndarray:
    """A fixed `monthly` amount from `start` (prorated in a month partly past)."""
    added = monthly * share * _from(len(share), start)
    return np.vstack([added, added, added])


def commitment(eligible: np.ndarray, share: np.ndarray, start: int, percent: float, discount: float,
               term_months: int) -> tuple[np.ndarray, np.ndarray]:
    """A commitment bought at `start` covering `percent` of the eligible on-demand cost of its first month
    (as a whole month), at `discount`, for `term_months`.

    Returns the on-demand cost it covers (negative: that usage is now paid by the commitment; never more
    than the eligible cost of the month) and its fee (the committed amount less the discount, owed every
    month of the term whether used or not). Both are prorated in a month partly past.
    """
    n = eligible.shape[1]
    term = _from(n, start) * (np.arange(n) < start + term_months)
    sized = next((k for k in range(start, n) if share[k] > 0), None)
    if sized is None:
        return np.zeros_like(eligible), np.zeros_like(eligible)
    size = percent / 100 * eligible[0, sized] / share[sized]  # on-demand cost covered in a whole month
    cover = size * share * term
    covered = -np.minimum(cover, np.maximum(eligible, 0.0))
    fee = cover * (1 - discount / 100)
    return covered, np.vstack([fee, fee, fee])
