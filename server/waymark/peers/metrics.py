"""Each tenant's benchmarked figures for one period, read from the roll-ups (daily usage, survey tallies, guide states).

Never from raw events: every query here reads ``daily_usage``, ``survey_answers``,
``guide_states`` and ``visitors``, bounded by the period's days, grouped by tenant in SQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from waymark.clock import as_utc
from waymark.db.models import DailyUsage, FeatureDefinition, GuideState, Visitor
from waymark.db.scope import app_session
from waymark.peers.definitions import Metric, Period
from waymark.surveys.arithmetic import nps_figures
from waymark.surveys.models import SurveyAnswer

__all__ = ["Figure", "tenant_figures"]

T = TypeVar("T")
Figure = tuple[float | None, int]
"""(the figure, or None without data; its base: the denominator it is a share of)."""


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def _share(part: int, whole: int) -> Figure:
    return (100 * part / whole if whole > 0 else None, whole)


async def _activity(
    session: AsyncSession, app_id: str, period: Period
) -> tuple[dict[str, tuple[int, int]], dict[str, int] | None]:
    """Tenant → (visitor-days, distinct visitors) over the period; and tenant → visitors who used a tagged
    feature in it (None while the app defines no feature). One pass over the period's roll-up rows."""
    features = bool(await session.scalar(select(func.count()).select_from(FeatureDefinition)
                                         .where(FeatureDefinition.app_id == app_id)))
    rows = await session.execute(
        select(DailyUsage.tenant_id, DailyUsage.kind, func.count(), func.count(DailyUsage.visitor_id.distinct()))
        .where(DailyUsage.app_id == app_id, DailyUsage.day >= period.start, DailyUsage.day <= period.end,
               DailyUsage.kind.in_(["active", "feature"] if features else ["active"]), DailyUsage.tenant_id != "")
        .group_by(DailyUsage.tenant_id, DailyUsage.kind)
    )
    active: dict[str, tuple[int, int]] = {}
    users: dict[str, int] = {}
    for tenant, kind, count, visitors in rows:
        if kind == "active":
            active[tenant] = (count, visitors)
        else:
            users[tenant] = visitors
    return active, (users if features else None)


async def _retention(session: AsyncSession, app_id: str, period: Period) -> dict[str, tuple[int, int]]:
    """Tenant → (retained, cohort): visitors first seen in the cohort window, and those active in their 4th week."""
    first, last = _moment(period.cohort_start), _moment(period.cohort_end + timedelta(days=1))
    in_cohort = (Visitor.app_id == app_id, Visitor.tenant_id.is_not(None), Visitor.first_seen >= first,
                 Visitor.first_seen < last)
    sizes = await session.execute(select(Visitor.tenant_id, func.count()).where(*in_cohort)
                                  .group_by(Visitor.tenant_id))
    # One pass over the active days that can be anyone's 4th week, keeping the cohort's own.
    days = await session.execute(
        select(Visitor.tenant_id, Visitor.id, Visitor.first_seen, DailyUsage.day)
        .select_from(DailyUsage)
        .join(Visitor, and_(Visitor.app_id == DailyUsage.app_id, Visitor.id == DailyUsage.visitor_id,
                            Visitor.tenant_id == DailyUsage.tenant_id))
        .where(DailyUsage.app_id == app_id, DailyUsage.kind == "active",
               DailyUsage.day >= period.cohort_start + timedelta(days=21), DailyUsage.day <= period.end, *in_cohort)
    )
    kept: dict[str, set[str]] = defaultdict(set)
    for tenant, visitor, first_seen, day in days:
        if tenant is not None and 21 <= (day - as_utc(first_seen).date()).days <= 27:  # days 22-28 of its life
            kept[tenant].add(visitor)
    return {str(tenant): (len(kept.get(str(tenant), ())), int(n)) for tenant, n in sizes if tenant is not None}


async def _nps(session: AsyncSession, app_id: str, period: Period) -> dict[str, tuple[float | None, int]]:
    """Tenant → (NPS, visitors who answered): each visitor's latest NPS answer in the period counts once."""
    rows = await session.execute(
        select(SurveyAnswer.tenant_id, SurveyAnswer.visitor_id, SurveyAnswer.score)
        .where(SurveyAnswer.app_id == app_id, SurveyAnswer.kind == "nps", SurveyAnswer.score.is_not(None),
               SurveyAnswer.tenant_id != "", SurveyAnswer.ts >= _moment(period.start),
               SurveyAnswer.ts < _moment(period.end + timedelta(days=1)))
        .order_by(SurveyAnswer.ts, SurveyAnswer.id)
    )
    latest: dict[str, dict[str, int]] = defaultdict(dict)
    for tenant, visitor, score in rows:
        if score is not None:
            latest[tenant][visitor] = score  # later rows replace earlier ones
    out: dict[str, tuple[float | None, int]] = {}
    for tenant, scores in latest.items():
        figures = nps_figures(scores.values())
        out[tenant] = (figures.score, figures.responses)
    return out


async def _guides(session: AsyncSession, app_id: str, period: Period) -> dict[str, tuple[int, int]]:
    """Tenant → (completed, seen): guides each visitor saw in the period, and those they have completed."""
    start, end = _moment(period.start), _moment(period.end + timedelta(days=1))
    rows = await session.execute(
        select(Visitor.tenant_id, func.count(),
               func.sum(case((GuideState.completed_at.is_not(None), 1), else_=0)))
        .select_from(GuideState)
        .join(Visitor, and_(Visitor.app_id == GuideState.app_id, Visitor.id == GuideState.visitor_id))
        .where(GuideState.app_id == app_id, Visitor.tenant_id.is_not(None),
               or_(and_(GuideState.last_seen_at >= start, GuideState.last_seen_at < end),
                   and_(GuideState.completed_at >= start, GuideState.completed_at < end)))
        .group_by(Visitor.tenant_id)
    )
    return {str(tenant): (int(done or 0), int(seen)) for tenant, seen, done in rows if tenant is not None}


async def tenant_figures(
    sessionmaker: async_sessionmaker[AsyncSession], app_id: str, period: Period
) -> dict[str, dict[Metric, Figure]]:
    """Every tenant with any data in the period → its figure and base per metric (missing metric: no data).

    Each read has a session of its own, so that on SQLite (one connection) requests get their turn between them.
    """

    async def read(part: Callable[[AsyncSession, str, Period], Awaitable[T]]) -> T:
        async with app_session(sessionmaker, app_id) as session:
            return await part(session, app_id, period)

    activity, features = await read(_activity)
    retention = await read(_retention)
    nps = await read(_nps)
    guides = await read(_guides)
    out: dict[str, dict[Metric, Figure]] = defaultdict(dict)
    days = (period.end - period.start).days + 1
    for tenant, (visitor_days, visitors) in activity.items():
        # mean daily DAU / MAU = (visitor-days / days) / visitors
        out[tenant]["stickiness"] = (100 * visitor_days / (days * visitors), visitors)
        if features is not None:
            out[tenant]["feature_adoption"] = _share(features.get(tenant, 0), visitors)
    for tenant, (kept, cohort) in retention.items():
        out[tenant]["retention_4w"] = _share(kept, cohort)
    for tenant, figure in nps.items():
        out[tenant]["nps"] = figure
    for tenant, (done, seen) in guides.items():
        out[tenant]["guide_completion"] = _share(done, seen)
    return dict(out)
