"""Retention cohorts from each unit's start day and return days, without I/O (checked against brute force).

Periods are days, or 7-day weeks counted from the report's first day, so every cohort period but the
last is whole. A unit's cohort is the period of its start day; bracket ``n`` of a cohort is the period
``n`` after it (bracket 0 is the cohort period itself). A unit returned in a bracket when it did the return
event on a day of that period, on or after its own start day and not after the report's end:

- mode ``on``: returned in bracket ``n``;
- mode ``on_or_after``: returned in bracket ``n`` or any later period up to the report's end.

A bracket that has not begun by the report's end has no figure (``None``); one that has begun but not
ended is shown yet marked incomplete. The average row weights each cohort by its size and uses complete
brackets only, so a half-elapsed week never drags the curve down.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

__all__ = ["CohortRow", "Mode", "RetentionInterval", "RetentionTable", "period_length", "retention_table"]

Mode = Literal["on", "on_or_after"]
RetentionInterval = Literal["day", "week"]


def period_length(interval: RetentionInterval) -> int:
    return 1 if interval == "day" else 7


@dataclass(frozen=True, slots=True)
class CohortRow:
    start: date
    end: date
    """The cohort period's last day within the report."""
    size: int
    returned: list[int | None]
    """Per bracket: how many of the cohort returned (``None``: the bracket begins after the report's end)."""
    complete: list[bool]
    """Per bracket: whether it ended by the report's end day."""


@dataclass(frozen=True, slots=True)
class RetentionTable:
    cohorts: list[CohortRow]
    average: list[float | None]
    """Per bracket: returned / size over the cohorts whose bracket is complete (``None``: none is)."""
    weights: list[int]
    """Per bracket: the units the average is over (the sizes of those cohorts)."""


def retention_table(starts: Mapping[str, date], returns: Mapping[str, Collection[date]], start: date, end: date,
                    interval: RetentionInterval, brackets: int, mode: Mode) -> RetentionTable:
    """The cohorts of units whose start day is in ``start``..``end``; ``returns`` holds each unit's return days."""
    if brackets < 1:
        raise ValueError("at least one bracket")
    length = period_length(interval)
    count = (end - start).days // length + 1
    sizes = [0] * count
    hits = [[0] * brackets for _ in range(count)]
    for unit, first in starts.items():
        if not start <= first <= end:
            continue
        cohort = (first - start).days // length
        sizes[cohort] += 1
        later = {(day - start).days // length - cohort for day in returns.get(unit, ()) if first <= day <= end}
        if not later:
            continue
        if mode == "on":
            for bracket in later:
                if bracket < brackets:
                    hits[cohort][bracket] += 1
        else:
            for bracket in range(min(max(later), brackets - 1) + 1):
                hits[cohort][bracket] += 1
    rows: list[CohortRow] = []
    for cohort in range(count):
        returned: list[int | None] = []
        complete: list[bool] = []
        for bracket in range(brackets):
            begins = start + timedelta(days=(cohort + bracket) * length)
            ends = begins + timedelta(days=length - 1)
            returned.append(hits[cohort][bracket] if begins <= end else None)
            complete.append(ends <= end)
        first_day = start + timedelta(days=cohort * length)
        rows.append(CohortRow(first_day, min(first_day + timedelta(days=length - 1), end), sizes[cohort],
                              returned, complete))
    average: list[float | None] = []
    weights: list[int] = []
    for bracket in range(brackets):
        counted = [(row.returned[bracket] or 0, row.size) for row in rows if row.complete[bracket] and row.size]
        weight = sum(size for _, size in counted)
        weights.append(weight)
        average.append(sum(hit for hit, _ in counted) / weight if weight else None)
    return RetentionTable(rows, average, weights)
