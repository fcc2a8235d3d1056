"""Who did an event reference on which day: rows of (day, tenant, visitor, count) over a range.

Most references are answered from the daily roll-up ``daily_usage`` (one row per day × tenant × visitor ×
kind × key), which costs the same at ten million events as at a thousand: pages, features, track events
without property filters, and guides seen. Two kinds of reference are not in the roll-up and are read from
the step projection (:mod:`waymark.behaviour.step_source`: that one step's rows over the range, joined to the
stored ``events`` for their properties only when there are filters): track events with property filters (the
roll-up keeps no properties) and guide actions other than ``seen`` (advanced, completed, dismissed,
snoozed). Either way the session's scope adds the app's (and tenant's) filter.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, String, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.behaviour.daily_facts import day_number
from waymark.behaviour.refs import Ref
from waymark.behaviour.step_source import range_bounds, read_steps
from waymark.behaviour.trends_math import Row
from waymark.db.models import DailyUsage

__all__ = ["ACTIVE", "ROLLUP", "Fold", "active_rows", "reads_rollup", "ref_rows"]

ROLLUP: Any = DailyUsage.__table__
"""The roll-up table, for Core statements (and ``among`` conditions) over it."""

_EPOCH_DAY = date(1970, 1, 1)

ACTIVE = "any"
"""The return event of retention that means any activity (the roll-up's ``active`` kind)."""


def reads_rollup(ref: Ref) -> bool:
    """Whether the roll-up answers ``ref`` (else the stored events are read)."""
    if ref.kind == "event":
        return not ref.where
    if ref.kind == "guide":
        return ref.action in (None, "seen")
    return True


@dataclass(frozen=True, slots=True)
class Fold:
    """Rows folded to one per tenant, visitor and period (``days`` long from ``origin``), dated by the period's
    first or last day the unit did it, when a report reads only that: retention's return rows need each weekly
    bracket's last day (a bracket counts when any day in it is on or after the start), its start rows each
    unit's first day. A week of daily rows comes back as one."""

    origin: date
    days: int
    last: bool


async def _rollup(session: AsyncSession, app_id: str, kind: str, key: str, start: date, end: date,
                  among: ColumnElement[bool] | None = None, fold: Fold | None = None) -> list[Row]:
    t = ROLLUP.c  # Core, not ORM entities: tens of thousands of rows are read, the ORM's per-row work would show
    where = (t.app_id == app_id, t.kind == kind, t.key == key, t.day >= start, t.day <= end, t.count > 0)
    if fold is None:
        query = select(type_coerce(t.day, String), t.tenant_id, t.visitor_id, t.count).where(*where)
    else:
        dialect = str(session.get_bind().dialect.name)
        period = (day_number(t.day, dialect) - (fold.origin - _EPOCH_DAY).days) // fold.days
        day = func.max(t.day) if fold.last else func.min(t.day)
        query = (select(type_coerce(day, String), t.tenant_id, t.visitor_id, func.sum(t.count)).where(*where)
                 .group_by(t.tenant_id, t.visitor_id, period))
    found: Any = await session.execute(query if among is None else query.where(among))
    return [(_day(day), tenant, visitor, count) for day, tenant, visitor, count in found.all()]


@lru_cache(maxsize=4096)
def _day(value: str | date) -> date:
    """A roll-up day as read: a ``date`` from PostgreSQL, ISO text from SQLite. The text is read as it is and
    parsed once per distinct day: SQLAlchemy's SQLite date type parses every row, the larger part of reading
    a few hundred thousand rows."""
    return value if isinstance(value, date) else date.fromisoformat(value)


async def _stored(session: AsyncSession, app_id: str, ref: Ref, start: date, end: date) -> list[Row]:
    since, until = range_bounds(start, end)
    counts: dict[tuple[date, str, str], int] = defaultdict(int)
    for (second, _), visitor_id, tenant_id, _ in await read_steps(session, app_id, [ref], since, until):
        counts[(_EPOCH_DAY + timedelta(days=second // 86_400), tenant_id or "", visitor_id)] += 1
    return [(day, tenant, visitor, count) for (day, tenant, visitor), count in counts.items()]


async def ref_rows(session: AsyncSession, app_id: str, ref: Ref, start: date, end: date,
                   among: ColumnElement[bool] | None = None, fold: Fold | None = None) -> list[Row]:
    """Each (day, tenant, visitor) that did ``ref`` from ``start`` to ``end`` (UTC days, included), with how often.

    ``among``: a condition on :data:`ROLLUP`'s columns that narrows roll-up reads to the units a report can
    use (retention's cohort members); rows read from stored events are not narrowed by it. ``fold``: roll-up
    reads come back folded (:class:`Fold`); rows read from stored events come per day, which a report that
    asks for a fold reads the same way.
    """
    if reads_rollup(ref):
        return await _rollup(session, app_id, ref.kind, ref.key, start, end, among, fold)
    return await _stored(session, app_id, ref, start, end)


async def active_rows(session: AsyncSession, app_id: str, start: date, end: date,
                      among: ColumnElement[bool] | None = None, fold: Fold | None = None) -> list[Row]:
    """Each (day, tenant, visitor) with any event in the range (the roll-up's ``active`` rows); ``fold`` as for
    :func:`ref_rows`."""
    return await _rollup(session, app_id, "active", "", start, end, among, fold)
