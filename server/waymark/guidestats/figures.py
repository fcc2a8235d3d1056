"""The guide report's arithmetic: step reach from each visitor's top step, rates, the median time (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta

from waymark.guidestats.schemas import GuideDay, StepReach

__all__ = ["every_day", "median_of_runs", "rate", "step_reach"]


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def step_reach(tops: Mapping[int, int], titles: Sequence[str]) -> list[StepReach]:
    """Visitors shown each step: those whose top step is it or a later one.

    ``tops`` maps a top step (0-based) to its number of visitors; ``titles`` names the guide's
    steps (steps beyond them, from an older version, are listed too).
    """
    count = max([len(titles), *(t + 1 for t in tops if t >= 0)])
    reach: list[int] = []
    running = 0
    for step in range(count - 1, -1, -1):
        running += tops.get(step, 0)
        reach.append(running)
    reach.reverse()
    first = reach[0] if reach else 0
    return [
        StepReach(step=i + 1, title=titles[i] if i < len(titles) else "", visitors=n, share=rate(n, first))
        for i, n in enumerate(reach)
    ]


def median_of_runs(rows: Iterable[tuple[int, int]]) -> int | None:
    """The median length of showings given as (showings, summed ms) per visitor-day.

    Within one visitor-day every showing counts at that day's mean length: exact when a visitor
    ends a guide at most once a day, which is what guides' frequency rules make usual.
    """
    lengths = sorted((ms / n, n) for n, ms in rows if n > 0)
    total = sum(n for _, n in lengths)
    if not total:
        return None

    def at(position: int) -> float:
        seen = 0
        for length, n in lengths:
            seen += n
            if position < seen:
                return length
        raise AssertionError("position beyond the sample")

    middle = total // 2
    value = at(middle) if total % 2 else (at(middle - 1) + at(middle)) / 2
    return round(value)


def every_day(start: date, end: date, found: Mapping[date, GuideDay]) -> list[GuideDay]:
    """One entry per day of the range, zeros where nothing happened (a trend has no holes)."""
    days = []
    day = start
    while day <= end:
        days.append(found.get(day) or GuideDay(day=day, views=0, visitors=0, completed=0, dismissed=0, snoozed=0,
                                               anchor_missing=0))
        day += timedelta(days=1)
    return days
