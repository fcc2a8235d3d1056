"""Who did an event reference on which day: rows of (day, tenant, visitor, count) over a range.

Most references are answered from the daily roll-up ``daily_usage`` (one row per day × tenant × visitor ×
kind × key), which costs the same at ten million events as at a thousand: pages, features, track events
without property filters, and guides seen. Two kinds of reference are not in the roll-up and are read from
the stored ``events`` (through its ``(app_id, ts)`` index, over the range only): track events with property
filters (the roll-up keeps no properties) and guide actions other than ``seen`` (advanced, completed,
dismissed, snoozed). Either way the session's scope adds the app's (and tenant's) filter.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.analytics.rollups import event_day
from waymark.behaviour.refs import Ref
from waymark.behaviour.trends_math import Row
from waymark.db.models import DailyUsage, Event

__all__ = ["ACTIVE", "ROLLUP", "active_rows", "reads_rollup", "ref_rows"]

ROLLUP: Any = DailyUsage.__table__
"""The roll-up table, for Core statements (and ``among`` conditions) over it."""

ACTIVE = "any"
"""The return event of retention that means any activity (the roll-up's ``active`` kind)."""


def reads_rollup(ref: Ref) -> bool:
    """Whether the roll-up answers ``ref`` (else the stored events are read)."""
    if ref.kind == "event":
        return not ref.where
    if ref.kind == "guide":
        return ref.action in (None, "seen")
    return True


async def _rollup(session: AsyncSession, app_id: str, kind: str, key: str, start: date, end: date,
                  among: ColumnElement[bool] | None = None) -> list[Row]:
    t = ROLLUP.c  # Core, not ORM entities: tens of thousands of rows are read, the ORM's per-row work would show
    query = select(t.day, t.tenant_id, t.visitor_id, t.count).where(
        t.app_id == app_id, t.kind == kind, t.key == key, t.day >= start, t.day <= end, t.count > 0)
    found: Any = await session.execute(query if among is None else query.where(among))
    return [(day, tenant, visitor, count) for day, tenant, visitor, count in found.all()]


async def _stored(session: AsyncSession, app_id: str, ref: Ref, start: date, end: date) -> list[Row]:
    since = datetime.combine(start, time.min, tzinfo=UTC)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC)
    named = Event.name == ref.key if ref.kind == "event" else Event.guide_id == ref.key
    within = (Event.app_id == app_id, Event.ts >= since, Event.ts < until, Event.type == ref.event_type, named)
    counts: dict[tuple[date, str, str], int] = defaultdict(int)
    if ref.where:
        found = (await session.execute(
            select(Event.ts, Event.tenant_id, Event.visitor_id, Event.props).where(*within))).all()
        for row in found:
            if ref.matches_props(row.props):
                counts[(event_day(row.ts), row.tenant_id or "", row.visitor_id)] += 1
    else:
        for moment, tenant_id, visitor_id in (await session.execute(
                select(Event.ts, Event.tenant_id, Event.visitor_id).where(*within))).all():
            counts[(event_day(moment), tenant_id or "", visitor_id)] += 1
    return [(day, tenant, visitor, count) for (day, tenant, visitor), count in counts.items()]


async def ref_rows(session: AsyncSession, app_id: str, ref: Ref, start: date, end: date,
                   among: ColumnElement[bool] | None = None) -> list[Row]:
    """Each (day, tenant, visitor) that did ``ref`` from ``start`` to ``end`` (UTC days, included), with how often.

    ``among``: a condition on :data:`ROLLUP`'s columns that narrows roll-up reads to the units a report can
    use (retention's cohort members); rows read from stored events are not narrowed by it.
    """
    if reads_rollup(ref):
        return await _rollup(session, app_id, ref.kind, ref.key, start, end, among)
    return await _stored(session, app_id, ref, start, end)


async def active_rows(session: AsyncSession, app_id: str, start: date, end: date,
                      among: ColumnElement[bool] | None = None) -> list[Row]:
    """Each (day, tenant, visitor) with any event in the range (the roll-up's ``active`` rows)."""
    return await _rollup(session, app_id, "active", "", start, end, among)
