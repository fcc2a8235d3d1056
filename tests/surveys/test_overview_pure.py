"""What the NPS page computes without a database: the score distribution and the trend's period by range."""

from __future__ import annotations

from datetime import date, timedelta

from waymark.surveys.arithmetic import score_distribution
from waymark.surveys.overview import interval_for

D = date(2026, 3, 1)


def test_distribution_counts_each_score_and_ignores_what_is_off_the_scale() -> None:
    assert score_distribution([10, 10, 9, 0, 7, 11, -1]) == [1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 2]
    assert score_distribution([]) == [0] * 11


def test_period_follows_the_length_of_the_range() -> None:
    assert interval_for(D, D + timedelta(days=13)) == "day"
    assert interval_for(D, D + timedelta(days=14)) == "week"
    assert interval_for(D, D + timedelta(days=182)) == "week"
    assert interval_for(D, D + timedelta(days=183)) == "month"
