"""The periods a trend counts in: days, ISO weeks (Monday first) or calendar months, clipped to the range."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

__all__ = ["Interval", "Period", "bucket_start", "periods"]

Interval = Literal["day", "week", "month"]


@dataclass(frozen=True, slots=True)
class Period:
    """The days of one period inside the report's range (the first and last week or month may be partial)."""

    start: date
    end: date


def bucket_start(day: date, interval: Interval) -> date:
    """The first day of the (unclipped) period holding ``day``."""
    if interval == "day":
        return day
    if interval == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _next(start: date, interval: Interval) -> date:
    if interval == "day":
        return start + timedelta(days=1)
    if interval == "week":
        return start + timedelta(days=7)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def periods(start: date, end: date, interval: Interval) -> list[Period]:
    """Every period from ``start`` to ``end`` (both included), in order, each clipped to the range."""
    out: list[Period] = []
    bucket = bucket_start(start, interval)
    while bucket <= end:
        following = _next(bucket, interval)
        out.append(Period(max(bucket, start), min(following - timedelta(days=1), end)))
        bucket = following
    return out
