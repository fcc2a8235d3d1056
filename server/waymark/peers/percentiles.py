"""Percentile arithmetic with no I/O: the published percentiles, a tenant's percentile rank, where a value falls.

Method: linear interpolation between closest ranks, the default of ``numpy.percentile``
(Hyndman & Fan type 7). For ``n`` sorted values ``x[0] ≤ … ≤ x[n-1]`` and a fraction ``q``,
the position is ``h = (n − 1) q`` and the percentile is ``x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋])``.

A tenant's percentile rank is the mid-rank ``100 × (below + ½ × equal) / n``: the share of
the group (itself included) whose value is below its own, ties counting half. The only tenant
of a group ranks 50; the lowest of five distinct values ranks 10, the highest 90.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

__all__ = [
    "PUBLISHED",
    "Position",
    "percentile",
    "percentile_rank",
    "position",
    "spares_extremes",
]

PUBLISHED: tuple[int, ...] = (25, 50, 75, 90)
"""The percentiles a benchmark publishes."""

Position = Literal[
    "below_p25", "at_p25", "p25_p50", "at_p50", "p50_p75", "at_p75", "p75_p90", "at_p90", "above_p90", "above_p75",
]
"""Where a value falls among the published percentiles: between two, or at one (ties, such as many tenants at
100%, sit at the percentile rather than above it); ``above_p75`` when p90 is not published."""


def percentile(ordered: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) of values sorted ascending, by linear interpolation (numpy's default)."""
    if not ordered:
        raise ValueError("the percentile of no values is undefined")
    if not 0 <= q <= 100:
        raise ValueError(f"a percentile is between 0 and 100, not {q}")
    h = (len(ordered) - 1) * q / 100
    low = math.floor(h)
    if low + 1 >= len(ordered):
        return float(ordered[low])
    return float(ordered[low] + (h - low) * (ordered[low + 1] - ordered[low]))


def spares_extremes(n: int, q: float) -> bool:
    """True when the ``q``-th percentile of ``n`` values is interpolated without the smallest or the largest.

    The extremes are a group's most identifiable figures (the leader, the laggard): a percentile
    that leans on them is not published. p25, p50 and p75 spare them from 5 values on; p90 needs 11
    (at 10 it is ``x[8] + 0.1 (x[9] − x[8])``, a tenth of the way to the maximum).
    """
    if n < 3:
        return False
    h = (n - 1) * q / 100
    return math.floor(h) >= 1 and math.ceil(h) <= n - 2


def percentile_rank(values: Sequence[float], own: float) -> float:
    """The mid-rank of ``own`` among ``values`` (which include it), from 0 to 100."""
    if not values:
        raise ValueError("a rank among no values is undefined")
    below = sum(1 for v in values if v < own)
    equal = sum(1 for v in values if v == own)
    return 100 * (below + equal / 2) / len(values)


_AT: dict[int, Position] = {25: "at_p25", 50: "at_p50", 75: "at_p75", 90: "at_p90"}
_BELOW: dict[int, Position] = {25: "below_p25", 50: "p25_p50", 75: "p50_p75", 90: "p75_p90"}


def position(value: float, cuts: dict[int, float]) -> Position | None:
    """The band of ``value`` among the published percentiles ``cuts`` (25, 50, 75 needed; 90 when published).

    A value equal to several of them (ties) is placed at the middle one of those.
    """
    if not all(q in cuts for q in (25, 50, 75)):
        return None
    equal = [q for q in sorted(cuts) if cuts[q] == value]
    if equal:
        return _AT[equal[len(equal) // 2]]
    above = next((q for q in sorted(cuts) if value < cuts[q]), None)
    if above is not None:
        return _BELOW[above]
    return "above_p90" if 90 in cuts else "above_p75"
