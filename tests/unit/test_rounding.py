"""Rounded parts add up to the rounded total, against an independent Decimal computation."""

from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from analysis.rounding import round_parts


def test_three_thirds_add_up_to_the_whole():
    assert list(round_parts([1 / 3, 1 / 3, 1 / 3])) == [0.34, 0.33, 0.33]
    assert round(sum(round(v, 2) for v in [1 / 3] * 3), 2) == 0.99  # what plain rounding shows


def test_negative_parts_and_credits():
    parts = round_parts([10.005, -3.335, 2.5549])  # 9.2249 in all: 9.22
    assert list(parts) == [10.01, -3.34, 2.55] and round(parts.sum(), 2) == 9.22


@given(st.lists(st.integers(min_value=-10**9, max_value=10**9), min_size=1, max_size=40))
def test_parts_add_to_the_rounded_total_and_move_less_than_a_cent(mills):
    values = [m / 1000 for m in mills]  # amounts to a tenth of a cent, as bills often carry
    parts = round_parts(values)
    total = sum((Decimal(m) / 1000 for m in mills), Decimal(0))
    expected = int((total * 100).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    assert int(np.round(parts.sum() * 100)) == expected
    assert np.all(np.abs(parts - np.asarray(values)) < 0.01 + 1e-9)
