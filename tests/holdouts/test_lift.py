"""The lift report's arithmetic: the difference of two proportions and its 95% interval, hand-computed."""

from __future__ import annotations

import math

import pytest

from waymark.holdouts.lift import rate, two_proportion_difference


def test_difference_and_interval_match_a_hand_computed_case() -> None:
    # shown: 30 of 100 reached the goal; held out: 20 of 100.
    # difference 0.30 - 0.20 = 0.10; standard error sqrt(0.3*0.7/100 + 0.2*0.8/100) = sqrt(0.0037) = 0.060828;
    # half-width 1.96 * 0.060828 = 0.119222, so the interval is [-0.019222, 0.219222].
    found = two_proportion_difference(30, 100, 20, 100)
    assert found is not None
    assert found.value == pytest.approx(0.10)
    assert found.low == pytest.approx(-0.019222, abs=1e-6)
    assert found.high == pytest.approx(0.219222, abs=1e-6)


def test_unequal_arms_use_each_arms_own_n() -> None:
    # 45 of 50 versus 5 of 40: 0.9 - 0.125 = 0.775 ± 1.96 * sqrt(0.9*0.1/50 + 0.125*0.875/40)
    found = two_proportion_difference(45, 50, 5, 40)
    assert found is not None
    half = 1.96 * math.sqrt(0.0018 + 0.002734375)
    assert (found.value, found.low, found.high) == pytest.approx((0.775, 0.775 - half, 0.775 + half))


def test_an_empty_arm_has_no_difference_and_no_rate() -> None:
    assert two_proportion_difference(3, 10, 0, 0) is None
    assert two_proportion_difference(0, 0, 3, 10) is None
    assert rate(0, 0) is None
    assert rate(1, 4) == 0.25


def test_rates_of_zero_or_one_give_a_zero_width_interval() -> None:
    found = two_proportion_difference(10, 10, 0, 10)
    assert found is not None and (found.value, found.low, found.high) == (1.0, 1.0, 1.0)
