"""Percentile arithmetic on known sets, checked by hand (and equal to numpy.percentile's default method)."""

from __future__ import annotations

import pytest

from waymark.peers.percentiles import percentile, percentile_rank, position, spares_extremes

FIVE = [15.0, 20.0, 35.0, 40.0, 50.0]
TEN = [float(v) for v in range(1, 11)]


@pytest.mark.parametrize(("values", "expected"), [
    # h = (n - 1) q: for five values p25 is x[1], p50 x[2], p75 x[3]; p90 is x[3] + 0.6 (x[4] - x[3])
    (FIVE, {25: 20.0, 50: 35.0, 75: 40.0, 90: 46.0}),
    # for 1..10: p25 = x[2.25] = 3.25, p50 = 5.5, p75 = 7.75, p90 = x[8.1] = 9.1
    (TEN, {25: 3.25, 50: 5.5, 75: 7.75, 90: 9.1}),
    # ties and an uneven spread: 0.5, 2.25, 7, 13, 13, 40, 41.5 → p25 = x[1.5] = 4.625, p75 = x[4.5] = 26.5
    (sorted([0.5, 7.0, 2.25, 13.0, 13.0, 40.0, 41.5]), {25: 4.625, 50: 13.0, 75: 26.5, 90: 40.6}),
])
def test_linear_interpolation_between_closest_ranks(values: list[float], expected: dict[int, float]) -> None:
    assert {q: percentile(values, q) for q in expected} == pytest.approx(expected)


def test_ends_and_a_single_value() -> None:
    assert percentile(FIVE, 0) == 15.0 and percentile(FIVE, 100) == 50.0
    assert percentile([7.0], 90) == 7.0
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile(FIVE, 101)


def test_percentile_rank_is_the_mid_rank() -> None:
    assert percentile_rank(FIVE, 35.0) == 50.0  # 2 below, itself: (2 + 0.5) / 5
    assert percentile_rank(FIVE, 15.0) == 10.0
    assert percentile_rank(FIVE, 50.0) == 90.0
    assert percentile_rank([10.0, 10.0, 10.0, 20.0], 10.0) == 37.5  # three ties count half: 1.5 / 4
    assert percentile_rank([3.0], 3.0) == 50.0


def test_spares_extremes_withholds_p90_below_eleven_values() -> None:
    assert [n for n in range(1, 20) if spares_extremes(n, 90)] == list(range(11, 20))
    assert [n for n in range(1, 8) if spares_extremes(n, 25)] == [5, 6, 7]
    assert [n for n in range(1, 8) if spares_extremes(n, 75)] == [5, 6, 7]
    assert [n for n in range(1, 6) if spares_extremes(n, 50)] == [3, 4, 5]


def test_position_among_the_cuts() -> None:
    cuts = {25: 20.0, 50: 35.0, 75: 40.0, 90: 46.0}
    assert [position(v, cuts) for v in (10, 20, 36, 40, 45.9, 46, 60)] == [
        "below_p25", "at_p25", "p50_p75", "at_p75", "p75_p90", "at_p90", "above_p90"]
    assert position(41, {25: 20.0, 50: 35.0, 75: 40.0}) == "above_p75"
    assert position(100, {25: 100.0, 50: 100.0, 75: 100.0}) == "at_p50"  # everyone tied at 100%
    assert position(100, {25: 90.0, 50: 100.0, 75: 100.0}) == "at_p75"
    assert position(41, {50: 35.0}) is None
