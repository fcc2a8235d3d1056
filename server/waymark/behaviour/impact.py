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


def _group(day_zero: Mapping[str, int], metric: Mapping[tuple[str, int], int], days: int, last_day: int
           ) -> tuple[GroupRates, list[float | None]]:
    sums = [0] * (2 * days + 1)
    seen = [0] * (2 * days + 1)
    for unit, zero in day_zero.items():
        for offset in range(-days, days + 1):
            day = zero + offset
            if day > last_day:
                break
            seen[offset + days] += 1
            sums[offset + days] += metric.get((unit, day), 0)
    before = _rate(sum(sums[:days]), sum(seen[:days]))
    after = _rate(sum(sums[days + 1:]), sum(seen[days + 1:]))
    by_day = [_rate(total, n) for total, n in zip(sums, seen, strict=True)]
    return GroupRates(len(day_zero), before, after, _change(before, after)), by_day


def compute_impact(
    adoption_day: Mapping[str, int],
    active: Iterable[str],
    metric: Mapping[tuple[str, int], int],
    days: int,
    last_day: int,
) -> ImpactResult:
    """``adoption_day``: each adopter's first day doing it; ``active``: every unit active in the range (adopters
    among them or not); ``metric``: (unit, day) → the metric's count that day (absent: 0)."""
    anchor = lower_median(adoption_day.values())
    non = {unit: anchor for unit in active if unit not in adoption_day} if anchor is not None else {}
    adopters, adopters_by_day = _group(adoption_day, metric, days, last_day)
    non_adopters, non_by_day = _group(non, metric, days, last_day)
    if anchor is None:  # nothing to anchor them at: counted, but no window
        non_adopters = GroupRates(len({u for u in active if u not in adoption_day}), None, None, None)
    return ImpactResult(
        adopters, non_adopters, _change(non_adopters.change, adopters.change), anchor,
        list(range(-days, days + 1)), adopters_by_day, non_by_day,
    )
