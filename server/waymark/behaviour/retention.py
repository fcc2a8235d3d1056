"""Retention: do visitors (or tenants) come back after they start?

Cohorts are by first seen (``visitors.first_seen``, ``tenants.first_seen`` when counting tenants), or by a
chosen start event: the first day in the range the unit did it. The return event is any activity (the
roll-up's ``active`` rows) or a chosen reference, read as trends read it (:mod:`waymark.behaviour.ref_rows`).
A tenant started or returned when any of its visitors did. The table itself is
:func:`waymark.behaviour.retention_math.retention_table`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.analytics.rollups import event_day
from waymark.behaviour.audience import Audience, audience, keep_rows
from waymark.behaviour.ref_rows import ACTIVE, ROLLUP, Fold, active_rows, reads_rollup, ref_rows
from waymark.behaviour.refs import Ref, RefError, Unit, parse_ref
from waymark.behaviour.retention_math import Mode, RetentionInterval, period_length, retention_table
from waymark.behaviour.trends_math import Row, unit_key
from waymark.db.models import Tenant, Visitor
from waymark.db.scope import Scope

__all__ = [
    "FIRST_SEEN",
    "MAX_BRACKETS",
    "RetentionCohort",
    "RetentionQuery",
    "RetentionReport",
    "retention_query",
    "retention_report",
]

FIRST_SEEN = "first_seen"
MAX_BRACKETS = 60


class RetentionCohort(msgspec.Struct, frozen=True):
    start: date
    end: date
    """The cohort period's last day in the range."""
    size: int
    returned: list[int | None]
    """Per bracket (0 = the cohort period): units that returned; null for a bracket after the range's end."""
    rates: list[float | None]
    """returned / size."""
    complete: list[bool]
    """Whether each bracket ended by the range's end (incomplete ones are left out of the average)."""


class RetentionReport(msgspec.Struct, frozen=True):
    start: date
    end: date
    tenant: str | None
    segment: str | None
    start_event: str
    return_event: str
    interval: RetentionInterval
    mode: Mode
    count: Unit
    brackets: int
    cohorts: list[RetentionCohort]
    average: list[float | None]
    """Per bracket: the average weighted by cohort size over complete brackets (null when none is)."""
    average_size: list[int]
    """Per bracket: how many units that average is over."""


@dataclass(frozen=True, slots=True)
class RetentionQuery:
    start_event: Ref | None
    """None: cohorts by first seen."""
    return_event: Ref | None
    """None: any activity."""
    interval: RetentionInterval = "week"
    mode: Mode = "on"
    brackets: int = 8
    unit: Unit = "visitors"


def retention_query(start_event: str, return_event: str, interval: RetentionInterval, mode: Mode, brackets: int,
                    unit: Unit) -> RetentionQuery:
    """The query parameters read strictly; raises RefError with a message naming the parameter."""
    start_text, return_text = start_event.strip(), return_event.strip()
    try:
        starts = None if start_text in ("", FIRST_SEEN) else parse_ref(start_text)
    except RefError as exc:
        raise RefError(f"start_event: {exc} (or first_seen)") from exc
    try:
        returns = None if return_text in ("", ACTIVE) else parse_ref(return_text)
    except RefError as exc:
        raise RefError(f"return_event: {exc} (or any)") from exc
    if not 1 <= brackets <= MAX_BRACKETS:
        raise RefError(f"brackets={brackets}: ask for 1 to {MAX_BRACKETS}")
    return RetentionQuery(starts, returns, interval, mode, brackets, unit)


async def _first_seen(session: AsyncSession, app_id: str, unit: Unit, start: date, end: date,
                      who: Audience | None) -> dict[str, date]:
    since = datetime.combine(start, time.min, tzinfo=UTC)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC)
    if unit == "tenants":
        rows: Any = (await session.execute(select(Tenant.id, Tenant.first_seen).where(
            Tenant.app_id == app_id, Tenant.first_seen >= since, Tenant.first_seen < until))).all()
        return {tenant: event_day(seen) for tenant, seen in rows if who is None or who.keeps_tenant(tenant)}
    rows = (await session.execute(select(Visitor.id, Visitor.tenant_id, Visitor.first_seen).where(
        Visitor.app_id == app_id, Visitor.first_seen >= since, Visitor.first_seen < until))).all()
    return {visitor: event_day(seen) for visitor, tenant, seen in rows
            if who is None or who.keeps(tenant or "", visitor)}


def _first_days(rows: list[Row], unit: Unit) -> dict[str, date]:
    first: dict[str, date] = {}
    for row in rows:
        key = unit_key(row, unit)
        if key is not None and (key not in first or row[0] < first[key]):
            first[key] = row[0]
    return first


def _days(rows: list[Row], unit: Unit) -> dict[str, set[date]]:
    days: dict[str, set[date]] = defaultdict(set)
    for row in rows:
        key = unit_key(row, unit)
        if key is not None:
            days[key].add(row[0])
    return days


def _cohort_members(app_id: str, query: RetentionQuery, start: date, end: date) -> ColumnElement[bool] | None:
    """A condition on the roll-up's rows: only units that can be in a cohort (the rest are read for nothing)."""
    t = ROLLUP.c
    column = t.visitor_id if query.unit == "visitors" else t.tenant_id
    if query.start_event is None:
        since = datetime.combine(start, time.min, tzinfo=UTC)
        until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC)
        model: Any = Visitor if query.unit == "visitors" else Tenant
        members: ColumnElement[bool] = column.in_(select(model.id).where(
            model.app_id == app_id, model.first_seen >= since, model.first_seen < until))
        return members
    if not reads_rollup(query.start_event):
        return None
    started = ROLLUP.alias("started").c
    doers: ColumnElement[bool] = column.in_(select(
        started.visitor_id if query.unit == "visitors" else started.tenant_id).where(
        started.app_id == app_id, started.kind == query.start_event.kind, started.key == query.start_event.key,
        started.day >= start, started.day <= end, started.count > 0))
    return doers


async def retention_report(session: AsyncSession, scope: Scope, query: RetentionQuery, start: date, end: date,
                           segment: str | None = None) -> RetentionReport:
    """The retention table of ``query`` for units starting from ``start`` to ``end`` (returns read to ``end``)."""
    who = await audience(session, scope, segment)
    if query.start_event is None:
        starts = await _first_seen(session, scope.app_id, query.unit, start, end, who)
    else:
        firsts = Fold(start, (end - start).days + 1, last=False)
        starts = _first_days(keep_rows(await ref_rows(session, scope.app_id, query.start_event, start, end,
                                                      fold=firsts), who), query.unit)
    among = _cohort_members(scope.app_id, query, start, end)
    length = period_length(query.interval)
    brackets = Fold(start, length, last=True) if length > 1 else None
    if query.return_event is None:
        returning = await active_rows(session, scope.app_id, start, end, among, brackets)
    else:
        returning = await ref_rows(session, scope.app_id, query.return_event, start, end, among, brackets)
    table = retention_table(starts, _days(keep_rows(returning, who), query.unit), start, end, query.interval,
                            query.brackets, query.mode)
    return RetentionReport(
        start=start, end=end, tenant=scope.tenant_id, segment=segment,
        start_event=query.start_event.text() if query.start_event else FIRST_SEEN,
        return_event=query.return_event.text() if query.return_event else ACTIVE,
        interval=query.interval, mode=query.mode, count=query.unit, brackets=query.brackets,
        cohorts=[RetentionCohort(row.start, row.end, row.size, row.returned,
                                 [None if n is None or not row.size else n / row.size for n in row.returned],
                                 row.complete) for row in table.cohorts],
        average=table.average, average_size=table.weights)
