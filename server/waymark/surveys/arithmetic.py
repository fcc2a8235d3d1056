"""NPS arithmetic with no I/O: categories, score, its 95% interval and the response rate."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Literal, NamedTuple

__all__ = ["Category", "NpsFigures", "category", "nps_figures", "nps_of", "response_rate", "score_distribution"]

Category = Literal["promoter", "passive", "detractor"]
_Z95 = 1.96


def category(score: int) -> Category:
    """Promoters answer 9–10, passives 7–8, detractors 0–6."""
    if score >= 9:
        return "promoter"
    return "passive" if score >= 7 else "detractor"


class NpsFigures(NamedTuple):
    responses: int
    promoters: int
    passives: int
    detractors: int
    score: float | None
    """%promoters − %detractors, from −100 to 100; None without answers."""
    ci95: tuple[float, float] | None
    """score ± 1.96 × 100 × √((p + d − (p − d)²) / n), clipped to [−100, 100]; None without answers."""


def nps_figures(scores: Iterable[int]) -> NpsFigures:
    """The figures for these answers (one per visitor: the caller keeps each visitor's latest)."""
    promoters = passives = detractors = 0
    for score in scores:
        kind = category(score)
        if kind == "promoter":
            promoters += 1
        elif kind == "passive":
            passives += 1
        else:
            detractors += 1
    return nps_of(promoters, passives, detractors)


def nps_of(promoters: int, passives: int, detractors: int) -> NpsFigures:
    """The figures for answers counted by category."""
    n = promoters + passives + detractors
    if n == 0:
        return NpsFigures(0, 0, 0, 0, None, None)
    p, d = promoters / n, detractors / n
    nps = 100 * (p - d)
    # The variance of a per-answer value of +1 / 0 / −1 is p + d − (p − d)²; max() keeps float noise
    # from turning an exact zero negative.
    variance = max(p + d - (p - d) ** 2, 0.0)
    half = _Z95 * 100 * math.sqrt(variance / n)
    low, high = max(nps - half, -100.0), min(nps + half, 100.0)
    return NpsFigures(n, promoters, passives, detractors, round(nps, 2), (round(low, 2), round(high, 2)))


def response_rate(answered: int, shown: int) -> float | None:
    """Visitors who answered ÷ visitors shown the survey; None when nobody was shown it."""
    if shown <= 0:
        return None
    return round(min(answered / shown, 1.0), 4)


def score_distribution(scores: Iterable[int]) -> list[int]:
    """How many answers gave each score, 0 to 10 (index = score); scores outside the scale are not counted."""
    counts = [0] * 11
    for score in scores:
        if 0 <= score <= 10:
            counts[score] += 1
    return counts
