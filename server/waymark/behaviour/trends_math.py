"""A trend's figures from rows of (day, tenant, visitor, count), without I/O (so they can be checked by brute force).

``total`` sums the counts in each period; ``unique`` counts the distinct visitors or tenants of each period
(a week's unique visitors are those of the whole week, never a sum of its days). A breakdown puts each row
in a group; the :data:`TOP_GROUPS` groups with the largest figure over the range are kept and the rest are
counted together as :data:`OTHER` (distinct over the merged groups when unique).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from typing import Literal

from waymark.behaviour.periods import Period
from waymark.behaviour.refs import Unit

__all__ = ["NONE", "OTHER", "TOP_GROUPS", "Measure", "Row", "count_series", "rank_groups", "unit_key"]

Measure = Literal["total", "unique"]
Row = tuple[date, str, str, int]
"""(day, tenant id or ``""``, visitor id, how many times that day)."""
TOP_GROUPS = 10
OTHER = "(other)"
NONE = "(none)"
"""The group of rows whose visitor or tenant has no value for the breakdown's property."""


def unit_key(row: Row, unit: Unit) -> str | None:
    """Who a row counts for: its visitor, or its tenant (``None`` for a visitor without a tenant)."""
    if unit == "visitors":
        return row[2]
    return row[1] or None


def _figure(rows: Iterable[Row], measure: Measure, unit: Unit) -> int:
    if measure == "total":
        return sum(row[3] for row in rows)
    return len({key for row in rows if (key := unit_key(row, unit)) is not None})


def rank_groups(series: Sequence[Sequence[Row]], group_of: Callable[[Row], str], measure: Measure, unit: Unit,
                top: int = TOP_GROUPS) -> list[str]:
    """The ``top`` groups by their figure over the whole range, summed over the series (ties by name)."""
    size: dict[str, int] = defaultdict(int)
    for rows in series:
        grouped: dict[str, list[Row]] = defaultdict(list)
        for row in rows:
            grouped[group_of(row)].append(row)
        for group, members in grouped.items():
            size[group] += _figure(members, measure, unit)
    return sorted(size, key=lambda g: (-size[g], g))[:top]


def count_series(rows: Iterable[Row], periods: Sequence[Period], measure: Measure, unit: Unit,
                 group_of: Callable[[Row], str] | None = None) -> dict[str, tuple[list[int], int]]:
    """Per group (``""`` without a breakdown): the figure of each period and of the whole range.

    Rows outside the periods are left out; a group without rows is absent.
    """
    at_day = {p.start + timedelta(days=n): i for i, p in enumerate(periods) for n in range((p.end - p.start).days + 1)}
    totals: dict[str, list[int]] = {}
    sums: dict[str, int] = defaultdict(int)
    units: dict[str, list[set[str]]] = {}
    everyone: dict[str, set[str]] = defaultdict(set)
    by_visitor = unit == "visitors"
    for row in rows:  # the hot loop of a breakdown: one dict lookup per row for its period
        at = at_day.get(row[0])
        if at is None:
            continue
        group = group_of(row) if group_of is not None else ""
        if measure == "total":
            values = totals.get(group)
            if values is None:
                values = totals[group] = [0] * len(periods)
            values[at] += row[3]
            sums[group] += row[3]
        else:
            key = row[2] if by_visitor else row[1]
            if not key:
                continue
            sets = units.get(group)
            if sets is None:
                sets = units[group] = [set() for _ in periods]
            sets[at].add(key)
            everyone[group].add(key)
    if measure == "total":
        return {group: (values, sums[group]) for group, values in totals.items()}
    return {group: ([len(s) for s in sets], len(everyone[group])) for group, sets in units.items()}
