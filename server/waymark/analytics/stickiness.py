"""Activity arithmetic without I/O: trailing windows, stickiness as Pendo defines it, frequency bands, trends.

Stickiness over a range is the average, over its days, of that day's DAU/MAU (and of WAU/MAU),
where WAU and MAU are the distinct visitors of the 7 and 30 days ending that day. Days whose
MAU is 0 have no ratio and are left out of the average (nobody to be sticky).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, NamedTuple, TypeVar

__all__ = [
    "BANDS",
    "MONTH",
    "WEEK",
    "Cumulative",
    "TenantDayFigures",
    "Trend",
    "average_ratio",
    "band",
    "days_histogram",
    "range_average",
    "range_stickiness",
    "sliding",
    "tenant_day_figures",
    "trailing_distinct",
    "trend",
]

WEEK = 7
MONTH = 30
BANDS = ("1–4", "5–12", "13+")
"""Tenant frequency bands: days with an active visitor out of the last 30."""
_TREND_THRESHOLD = 0.10

T = TypeVar("T")


def sliding(items: Sequence[T], width: int, merge: Callable[[T, T], T]) -> list[T]:
    """For each position i, ``merge`` of items[max(0, i-width+1)..i], with about three merges per item.

    Blocks of ``width`` items (van Herk / Gil-Werman): a window is the suffix of one block merged
    with the prefix of the next, both computed once. ``merge`` must be associative; it need not
    have an inverse, which is why a running sum cannot do this for distinct counts.
    """
    if width < 1:
        raise ValueError("width must be at least 1")
    n = len(items)
    prefix: list[T] = list(items)
    suffix: list[T] = list(items)
    for i in range(n):
        if i % width:
            prefix[i] = merge(prefix[i - 1], items[i])
    for i in range(n - 2, -1, -1):
        if (i + 1) % width:
            suffix[i] = merge(items[i], suffix[i + 1])
    out: list[T] = []
    for i in range(n):
        first = i - width + 1
        # a window starting on a block's first item is that block's prefix; else it spans two blocks
        out.append(prefix[i] if first <= 0 or first % width == 0 else merge(suffix[first], prefix[i]))
    return out


def trailing_distinct(day_sets: Sequence[frozenset[str]], width: int) -> list[int]:
    """Exact distinct ids in each trailing window of ``width`` days (the window at i ends on day i)."""
    return [len(s) for s in sliding(day_sets, width, frozenset.union)]


def average_ratio(numerators: Sequence[int], denominators: Sequence[int]) -> float | None:
    """The average of n/d over the days where d > 0; None when there is no such day."""
    ratios = [n / d for n, d in zip(numerators, denominators, strict=True) if d > 0]
    return sum(ratios) / len(ratios) if ratios else None


def band(active_days: int) -> str | None:
    """The frequency band of a tenant active on ``active_days`` of the last 30 (None when 0)."""
    if active_days <= 0:
        return None
    return BANDS[0] if active_days <= 4 else BANDS[1] if active_days <= 12 else BANDS[2]


def days_histogram(days_per_visitor: Iterable[int], width: int = MONTH) -> list[int]:
    """``[n1, …, n_width]``: how many visitors were active on exactly k days (k = 1 … width)."""
    bins = [0] * width
    for days in days_per_visitor:
        if 1 <= days <= width:
            bins[days - 1] += 1
    return bins


class Trend(NamedTuple):
    direction: Literal["up", "down", "flat"]
    change: float | None
    """Relative change from the previous period (0.25 = +25 %); None when the previous one was 0."""


def trend(current: float, previous: float) -> Trend:
    """Up or down past ±10 % of the previous period; from nothing to something is up."""
    if previous <= 0:
        return Trend("up" if current > 0 else "flat", None)
    change = (current - previous) / previous
    if change >= _TREND_THRESHOLD:
        return Trend("up", change)
    if change <= -_TREND_THRESHOLD:
        return Trend("down", change)
    return Trend("flat", change)


class Cumulative(NamedTuple):
    """A tenant's running sums up to (and including) some day; zero before its first day."""

    dau_mau: float = 0.0
    wau_mau: float = 0.0
    days: int = 0
    dau: int = 0


def range_stickiness(end: Cumulative, before: Cumulative) -> tuple[float | None, float | None]:
    """(DAU/MAU, WAU/MAU) averaged over the days between two running sums (``before`` is the day before)."""
    days = end.days - before.days
    if days <= 0:
        return None, None
    return (end.dau_mau - before.dau_mau) / days, (end.wau_mau - before.wau_mau) / days


def range_average(end: Cumulative, before: Cumulative, days: int) -> float:
    """Average daily active visitors over ``days`` calendar days between two running sums."""
    return (end.dau - before.dau) / days if days > 0 else 0.0


@dataclass(slots=True)
class TenantDayFigures:
    """What one ``tenant_days`` row holds (see :class:`waymark.analytics.models.TenantDay`)."""

    day: date
    dau: int
    wau: int
    mau: int
    events: int
    ms: int
    new_visitors: int
    active_days: int
    days_hist: list[int]
    cum: Cumulative


def tenant_day_figures(
    active: Mapping[date, Mapping[str, tuple[int, int]]],
    first_seen: Mapping[str, date],
    start: date,
    before: Cumulative,
) -> list[TenantDayFigures]:
    """A tenant's rows from ``start`` to 29 days after its last active day.

    ``active`` maps each day (at least from ``start - 29`` on) to the visitors active on it, each
    with (events, ms); ``before`` is the running sums up to ``start - 1``. A day's visitor is new
    when ``first_seen`` puts their first day on it.
    """
    last = max((d for d, who in active.items() if who), default=None)
    if last is None or last + timedelta(days=MONTH - 1) < start:
        return []
    end = last + timedelta(days=MONTH - 1)
    first = start - timedelta(days=MONTH - 1)
    days = [first + timedelta(days=i) for i in range((end - first).days + 1)]
    sets = [frozenset(active.get(d, {})) for d in days]
    weekly = sliding(sets, WEEK, frozenset.union)
    counts: dict[str, int] = {}
    out: list[TenantDayFigures] = []
    cum = before
    for i, day in enumerate(days):
        for v in sets[i]:
            counts[v] = counts.get(v, 0) + 1
        if i >= MONTH:
            for v in sets[i - MONTH]:
                counts[v] -= 1
                if not counts[v]:
                    del counts[v]
        if day < start or not counts:
            continue  # rows exist only for days with someone active in the 30 days up to them
        who = active.get(day, {})
        dau, wau, mau = len(who), len(weekly[i]), len(counts)
        cum = Cumulative(cum.dau_mau + dau / mau, cum.wau_mau + wau / mau, cum.days + 1, cum.dau + dau)
        out.append(TenantDayFigures(
            day=day, dau=dau, wau=wau, mau=mau,
            events=sum(e for e, _ in who.values()), ms=sum(m for _, m in who.values()),
            new_visitors=sum(1 for v in who if first_seen.get(v) == day),
            active_days=sum(1 for s in sets[max(0, i - MONTH + 1):i + 1] if s),
            days_hist=days_histogram(counts.values()), cum=cum,
        ))
    return out
