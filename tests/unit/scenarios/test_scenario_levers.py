"""The levers as pure functions on small hand-written months: rows are the forecast and the low and high ends
of its interval, `start` the index of the lever's first month, `share` the part of each month still to come.
Every expected array is worked out by hand in the test."""

import numpy as np
import pytest

from analysis.scenarios import levers as lv

# Three rows (forecast, low, high) over four months; a user would notice any of these numbers moving.
COST = np.array([[100.0, 200.0, 300.0, 400.0],
                 [80.0, 150.0, 240.0, 300.0],
                 [120.0, 260.0, 360.0, 500.0]])
WHOLE = np.ones(4)
HALF_FIRST = np.array([0.5, 1.0, 1.0, 1.0])  # the data ends mid-way through the first month


def _close(actual: np.ndarray, expected: list) -> None:
    np.testing.assert_allclose(actual, np.array(expected, dtype=float), rtol=0, atol=1e-9)


# ----- growth and price change ---------------------------------------------------------------
def test_flat_growth_adds_the_same_percent_every_month_from_the_start():
    _close(lv.growth(COST, 1, 10), [[0, 20, 30, 40], [0, 15, 24, 30], [0, 26, 36, 50]])
    _close(lv.growth(COST, 0, -25), [[-25, -50, -75, -100], [-20, -37.5, -60, -75], [-30, -65, -90, -125]])


def test_monthly_compounding_grows_1_1_then_1_21_then_1_331_times():
    change = lv.growth(COST, 1, 10, compound=True)
    # Month 1 is 1.1x, month 2 1.21x, month 3 1.331x its baseline; month 0 (before the start) is untouched.
    _close(change[0], [0, 200 * 0.1, 300 * 0.21, 400 * 0.331])
    _close(COST + change, [[100, 220, 363, 532.4], [80, 165, 290.4, 399.3], [120, 286, 435.6, 665.5]])
    # Compounding differs from flat growth only after its first month.
    flat = lv.growth(COST, 1, 10)
    _close(change[:, :2], flat[:, :2].tolist())
    assert (change[:, 2:] > flat[:, 2:]).all()


def test_minus_100_percent_growth_is_a_removal():
    _close(lv.growth(COST, 2, -100), lv.remove(COST, 2).tolist())


def test_a_price_change_scales_the_cost_like_flat_growth():
    _close(lv.price_change(COST, 2, -5), [[0, 0, -15, -20], [0, 0, -12, -15], [0, 0, -18, -25]])


def test_levers_return_a_change_and_leave_their_input_alone():
    before = COST.copy()
    assert lv.growth(COST, 0, 50, compound=True)[0, 0] == 50
    assert lv.remove(COST, 0)[0, 0] == -100
    assert lv.migrate(COST, 0, 100, 2.0)[1][0, 0] == 200
    assert lv.commitment(COST, WHOLE, 0, 50, 20, 12)[1][0, 0] == 40
    _close(COST, before.tolist())


# ----- remove --------------------------------------------------------------------------------
def test_a_removal_leaves_earlier_months_untouched_and_later_ones_at_exactly_zero():
    change = lv.remove(COST, 2)
    _close(change, [[0, 0, -300, -400], [0, 0, -240, -300], [0, 0, -360, -500]])
    after = COST + change
    assert (after[:, :2] == COST[:, :2]).all()
    assert (after[:, 2:] == 0.0).all()
    _close(lv.remove(COST, 4), np.zeros((3, 4)).tolist())  # a start past the months changes nothing


# ----- migrate -------------------------------------------------------------------------------
def test_a_migration_moves_cost_and_the_total_changes_only_by_the_price_ratio():
    out, into = lv.migrate(COST, 1, 40, 1.25)
    moved = [[0, 80, 120, 160], [0, 60, 96, 120], [0, 104, 144, 200]]  # 40% of the months from the start
    _close(out, (-np.array(moved)).tolist())
    _close(into, (np.array(moved) * 1.25).tolist())
    _close(out + into, (np.array(moved) * 0.25).tolist())  # (ratio - 1) x moved
    assert (out + into)[0].sum() == pytest.approx(0.25 * 360)


def test_a_migration_at_the_same_price_leaves_the_total_unchanged():
    out, into = lv.migrate(COST, 0, 100, 1.0)
    _close(out, (-COST).tolist())
    _close(out + into, np.zeros((3, 4)).tolist())


def test_a_migration_to_a_free_service_is_a_removal_of_the_moved_part():
    out, into = lv.migrate(COST, 3, 50, 0.0)
    _close(out + into, [[0, 0, 0, -200], [0, 0, 0, -150], [0, 0, 0, -250]])
    _close(into, np.zeros((3, 4)).tolist())


# ----- new spend -----------------------------------------------------------------------------
def test_new_spend_is_the_same_amount_in_every_row_from_its_start():
    _close(lv.new_spend(WHOLE, 2, 12_000), [[0, 0, 12_000, 12_000]] * 3)


def test_new_spend_in_a_month_half_past_is_prorated_by_what_is_left():
    _close(lv.new_spend(HALF_FIRST, 0, 12_000), [[6_000, 12_000, 12_000, 12_000]] * 3)
    # Starting in a later month, the partial first month does not matter.
    _close(lv.new_spend(HALF_FIRST, 1, 12_000), [[0, 12_000, 12_000, 12_000]] * 3)


# ----- commitment ----------------------------------------------------------------------------
ELIGIBLE = np.array([[1000.0, 1000.0, 1000.0, 1000.0, 1000.0, 1000.0],
                     [800.0, 800.0, 800.0, 800.0, 800.0, 800.0],
                     [1200.0, 1200.0, 1200.0, 1200.0, 1200.0, 1200.0]])


def test_a_commitment_is_sized_on_its_first_month_and_covers_its_term_only():
    covered, fee = lv.commitment(ELIGIBLE, np.ones(6), 1, 60, 25, 3)
    # 60% of the 1,000 eligible in month 1: 600 a month covered in months 1-3, at 25% off: a 450 fee.
    _close(covered, [[0, -600, -600, -600, 0, 0]] * 3)
    _close(fee, [[0, 450, 450, 450, 0, 0]] * 3)
    _close((covered + fee)[0].tolist(), [0, -150, -150, -150, 0, 0])  # the saving: 25% of what it covers


def test_covered_cost_never_exceeds_the_eligible_cost_of_the_month():
    eligible = np.array([[1000.0, 400.0, 0.0, 1000.0], [900.0, 300.0, 0.0, 700.0], [1100.0, 700.0, 0.0, 1300.0]])
    covered, fee = lv.commitment(eligible, WHOLE, 0, 60, 25, 12)
    # 600 a month committed; a month with less eligible cost (the low end: 300) uses only what there is.
    _close(covered, [[-600, -400, 0, -600], [-600, -300, 0, -600], [-600, -600, 0, -600]])
    # The fee is owed every month of the term, also when the eligible cost drops to 0 (month 2).
    _close(fee, [[450, 450, 450, 450]] * 3)


def test_a_commitment_sized_on_a_month_without_eligible_cost_covers_nothing():
    eligible = np.array([[0.0, 500.0], [0.0, 400.0], [0.0, 600.0]])
    covered, fee = lv.commitment(eligible, np.ones(2), 0, 50, 20, 12)
    _close(covered, np.zeros((3, 2)).tolist())
    _close(fee, np.zeros((3, 2)).tolist())


def test_a_commitment_from_a_month_half_past_is_sized_as_a_whole_month_and_prorated():
    # The first month holds 500 of eligible cost still to come: a whole month's worth of 1,000.
    eligible = np.array([[500.0, 1000.0, 1000.0, 1000.0], [400.0, 800.0, 800.0, 800.0],
                         [600.0, 1200.0, 1200.0, 1200.0]])
    covered, fee = lv.commitment(eligible, HALF_FIRST, 0, 60, 25, 2)
    # 600 a month committed, half of it in the half month left; a two-month term ends after month 1.
    _close(covered, [[-300, -600, 0, 0], [-300, -600, 0, 0], [-300, -600, 0, 0]])
    _close(fee, [[225, 450, 0, 0]] * 3)


def test_a_commitment_with_no_month_left_in_which_to_size_it_changes_nothing():
    covered, fee = lv.commitment(ELIGIBLE[:, :2], np.array([0.0, 0.0]), 0, 60, 25, 12)
    _close(covered, np.zeros((3, 2)).tolist())
    _close(fee, np.zeros((3, 2)).tolist())
    # A first month already over (share 0): the commitment is sized on the next one.
    covered, fee = lv.commitment(np.array([[0.0, 2000.0]] * 3), np.array([0.0, 1.0]), 0, 50, 10, 12)
    _close(covered[0], [0, -1000])
    _close(fee[0], [0, 900])
