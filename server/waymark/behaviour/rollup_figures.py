"""A trend's figures counted by the database from the roll-up, when no row needs to be looked at one by one.

Without a breakdown or a segment, a series read from ``daily_usage`` is a few aggregates: ``sum(count)`` per
day (total), or ``count(DISTINCT visitor_id | tenant_id)`` per period (unique), the period given by a
``CASE`` over the periods' first and last days, so weeks and months are distinct over the period on SQLite
and PostgreSQL alike. The answer has a row per period instead of one per visitor and day. The figures are
the same as :func:`waymark.behaviour.trends_math.count_series` over the rows (the API tests check both).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.behaviour.periods import Interval, Period, bucket_start
from waymark.behaviour.refs import Ref, Unit
from waymark.behaviour.trends_math import Measure
from waymark.db.models import DailyUsage

__all__ = ["rollup_figures"]

_TABLE: Any = DailyUsage.__table__


async def rollup_figures(session: AsyncSession, app_id: str, ref: Ref, spans: Sequence[Period], interval: Interval,
                         measure: Measure, unit: Unit) -> tuple[list[int], int]:
    """(the figure of each period, the figure of the whole range) of a reference the roll-up holds."""
    values = [0] * len(spans)
    if not spans:
        return values, 0
    t = _TABLE.c
    where = [t.app_id == app_id, t.kind == ref.kind, t.key == ref.key, t.day >= spans[0].start,
             t.day <= spans[-1].end, t.count > 0]
    if measure == "total":
        index = {bucket_start(p.start, interval): i for i, p in enumerate(spans)}
        sums: Any = (await session.execute(select(t.day, func.sum(t.count)).where(*where).group_by(t.day))).all()
        for day, total in sums:
            values[index[bucket_start(day, interval)]] += int(total or 0)
        return values, sum(values)
    who = t.visitor_id if unit == "visitors" else t.tenant_id
    if unit == "tenants":
        where.append(t.tenant_id != "")
    if interval == "day":
        position = {p.start: i for i, p in enumerate(spans)}
        per_day: Any = (await session.execute(
            select(t.day, func.count(who.distinct())).where(*where).group_by(t.day))).all()
        for day, found in per_day:
            values[position[day]] = int(found)
    else:
        period = case(*[(and_(t.day >= p.start, t.day <= p.end), i) for i, p in enumerate(spans)]).label("period")
        per_period: Any = (await session.execute(
            select(period, func.count(who.distinct())).where(*where).group_by(period))).all()
        for at, found in per_period:
            values[int(at)] = int(found)
    whole: Any = await session.scalar(select(func.count(who.distinct())).where(*where))
    return values, int(whole or 0)
