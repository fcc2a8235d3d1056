"""The arithmetic of a lift report: goal rates per arm and the difference with its 95% interval (no I/O)."""

from __future__ import annotations

import math
from typing import NamedTuple

__all__ = ["Z95", "Difference", "rate", "two_proportion_difference"]

Z95 = 1.96


class Difference(NamedTuple):
    """``shown − held out`` in goal rate, with the bounds of its 95% interval."""

    value: float
    low: float
    high: float


def rate(reached: int, n: int) -> float | None:
    return reached / n if n else None


def two_proportion_difference(reached_a: int, n_a: int, reached_b: int, n_b: int) -> Difference | None:
    """p_a − p_b ± 1.96 × √(p_a(1 − p_a)/n_a + p_b(1 − p_b)/n_b) (Wald); None while an arm is empty."""
    if n_a <= 0 or n_b <= 0:
        return None
    p_a, p_b = reached_a / n_a, reached_b / n_b
    spread = Z95 * math.sqrt(p_a * (1 - p_a) / n_a + p_b * (1 - p_b) / n_b)
    value = p_a - p_b
    return Difference(value, value - spread, value + spread)
