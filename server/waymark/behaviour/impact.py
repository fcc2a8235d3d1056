"""Impact, the pure computation: a metric's rate per unit and day before and after adoption, adopters against
non-adopters, and the difference in differences. Not a controlled experiment: who adopts chooses to.

No I/O here. Days are ordinals; a unit is a visitor or a tenant id. An adopter's day 0 is its adoption day;
before is days ``-N .. -1``, after ``1 .. N``. Non-adopters are read over the same calendar windows anchored at
the adopters' median adoption day (the lower median for an even count). Days after ``last_day`` (today) have
not happened: they count neither in a rate's numerator nor in its denominator.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = ["GroupRates", "ImpactResult", "compute_impact", "lower_median"]


@dataclass(frozen=True, slots=True)
class GroupRates:
    units: int
    before: float | None
    """The metric per unit per observed day, days -N..-1 (None: no day observed)."""
    after: float | None
    change: float | None
    """after − before."""


@dataclass(frozen=True, slots=True)
class ImpactResult:
    adopters: GroupRates
    non_adopters: GroupRates
    difference_in_differences: float | None
    """The adopters' change minus the non-adopters' change."""
    anchor_day: int | None
    """The median adoption day (the non-adopters' day 0), None without adopters."""
    relative_days: list[int]
    adopters_by_day: list[float | None]
    """The adopters' mean metric on each relative day -N..N (over adopters for whom that day has happened)."""
    non_adopters_by_day: list[float | None]


def lower_median(values: Iterable[int]) -> int | None:
    ordered = sorted(values)
    return ordered[(len(ordered) - 1) // 2] if ordered else None


def _rate(total: int, exposure: int) -> float | None:
    return total / exposure if exposure else None


def _change(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else after - before


def _group(units: int, zero_days: Iterable[int], sums: Mapping[int, int], days: int, last_day: int
           ) -> tuple[GroupRates, list[float | None]]:
    """A group's rates from its units' day 0s and its metric summed per relative day (days observed only)."""
    seen = [0] * (2 * days + 1)
    for zero in zero_days:
        for offset in range(-days, min(days, last_day - zero) + 1):
            seen[offset + days] += 1
    totals = [sums.get(offset, 0) for offset in range(-days, days + 1)]
    before = _rate(sum(totals[:days]), sum(seen[:days]))
    after = _rate(sum(totals[days + 1:]), sum(seen[days + 1:]))
    by_day = [_rate(total, n) for total, n in zip(totals, seen, strict=True)]
    return GroupRates(units, before, after, _change(before, after)), by_day


def compute_impact(
    adoption_day: Mapping[str, int],
    adopter_sums: Mapping[int, int],
    non_adopters: int,
    non_adopter_sums: Mapping[int, int],
    days: int,
    last_day: int,
) -> ImpactResult:
    """``adoption_day``: each adopter's first day doing it; ``adopter_sums``: relative day → the metric summed
    over adopters on their own day 0 + that day; ``non_adopters``: how many units were active in the range
    without adopting; ``non_adopter_sums``: the same sums for them, around the median adoption day. Sums hold
    only days up to ``last_day``."""
    anchor = lower_median(adoption_day.values())
    adopters, adopters_by_day = _group(len(adoption_day), adoption_day.values(), adopter_sums, days, last_day)
    non_zero = [anchor] * non_adopters if anchor is not None else []
    non, non_by_day = _group(non_adopters, non_zero, non_adopter_sums, days, last_day)
    return ImpactResult(
        adopters, non, _change(non.change, adopters.change), anchor,
        list(range(-days, days + 1)), adopters_by_day, non_by_day,
    )
