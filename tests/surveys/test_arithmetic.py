"""NPS arithmetic and its 95% interval on hand-computed sets; report buckets."""

from __future__ import annotations

from datetime import date

import pytest

from waymark.surveys.arithmetic import category, nps_figures, response_rate
from waymark.surveys.reports import bucket


def test_categories_follow_the_nps_bands() -> None:
    assert [category(s) for s in range(11)] == ["detractor"] * 7 + ["passive"] * 2 + ["promoter"] * 2


def test_balanced_set_by_hand() -> None:
    # 4 promoters (10, 10, 9, 9), 2 passives (8, 7), 4 detractors (6, 5, 0, 3): p = d = 0.4.
    # NPS = 0; variance = 0.4 + 0.4 - 0² = 0.8; half-width = 1.96 × 100 × √(0.8 / 10) = 55.4372…
    fig = nps_figures([10, 10, 9, 9, 8, 7, 6, 5, 0, 3])
    assert (fig.responses, fig.promoters, fig.passives, fig.detractors) == (10, 4, 2, 4)
    assert fig.score == 0
    assert fig.ci95 == (-55.44, 55.44)


def test_skewed_set_by_hand_is_clipped_to_the_possible_range() -> None:
    # 7 promoters, 2 passives, 1 detractor: p = 0.7, d = 0.1, NPS = 60.
    # variance = 0.8 - 0.6² = 0.44; half-width = 196 × √0.044 = 41.1134…; 60 + 41.11 > 100 is clipped.
    fig = nps_figures([10] * 4 + [9] * 3 + [8, 7] + [2])
    assert fig.score == 60
    assert fig.ci95 == (18.89, 100.0)


def test_unanimous_and_empty_sets() -> None:
    assert nps_figures([9, 10, 10]).ci95 == (100.0, 100.0)
    assert nps_figures([0, 0]).score == -100
    empty = nps_figures([])
    assert (empty.responses, empty.score, empty.ci95) == (0, None, None)


def test_passives_lower_the_score_only_through_the_shares() -> None:
    # 1 promoter, 2 passives: p = 1/3, d = 0 → 33.33; variance = 1/3 - 1/9 = 2/9; 196 × √(2/27) = 53.344…
    fig = nps_figures([9, 7, 8])
    assert fig.score == pytest.approx(33.33)
    assert fig.ci95 == (-20.01, 86.68)


def test_response_rate() -> None:
    assert response_rate(3, 12) == 0.25
    assert response_rate(0, 0) is None


def test_buckets_start_on_monday_and_the_first_of_the_month() -> None:
    assert bucket(date(2026, 3, 19), "week") == date(2026, 3, 16)  # a Thursday → Monday
    assert bucket(date(2026, 3, 16), "week") == date(2026, 3, 16)
    assert bucket(date(2026, 3, 19), "month") == date(2026, 3, 1)
    assert bucket(date(2026, 3, 19), "day") == date(2026, 3, 19)
