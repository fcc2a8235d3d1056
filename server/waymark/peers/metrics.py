"""Each tenant's benchmarked figures for one period, read from the roll-ups (daily usage, survey tallies, guide states).

Never from raw events: every query here reads ``daily_usage``, ``survey_answers``,
``guide_states`` and ``visitors``, bounded by the period's days, grouped by tenant in SQL.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Date, and_, case, func, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.db.models import DailyUsage, FeatureDefinition, GuideState, Visitor
from waymark.peers.definitions import Metric, Period
from waymark.surveys.arithmetic import nps_figures
from waymark.surveys.models import SurveyAnswer

__all__ = ["Figure", "tenant_figures"]

Figure = tuple[float | None, int]
"""(the figure, or None without data; its base: the denominator it is a share of)."""


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def _share(part: int, whole: int) -> Figure:
    return (100 * part / whole if whole > 0 else None, whole)


async def _activity(session: AsyncSession, app_id: str, period: Period) -> dict[str, tuple[int, int]]:
    """Tenant → (visitor-days, distinct visitors) over the period."""
    rows = await session.execute(
        select(DailyUsage.tenant_id, func.count(), func.count(DailyUsage.visitor_id.distinct()))
        .where(DailyUsage.app_id == app_id, DailyUsage.day >= period.start, DailyUsage.day <= period.end,
               DailyUsage.kind == "active", DailyUsage.tenant_id != "")
        .group_by(DailyUsage.tenant_id)
    )
    return {tenant: (days, visitors) for tenant, days, visitors in rows}


async def _feature_users(session: AsyncSession, app_id: str, period: Period) -> dict[str, int] | None:
    """Tenant → visitors who used a tagged feature in the period; None while the app defines no feature."""
    if not await session.scalar(select(func.count()).select_from(FeatureDefinition)
                                .where(FeatureDefinition.app_id == app_id)):
        return None
    rows = await session.execute(
        select(DailyUsage.tenant_id, func.count(DailyUsage.visitor_id.distinct()))
        .where(DailyUsage.app_id == app_id, DailyUsage.day >= period.start, DailyUsage.day <= period.end,
               DailyUsage.kind == "feature", DailyUsage.tenant_id != "")
        .group_by(DailyUsage.tenant_id)
    )
    return dict(rows.all())


async def _retention(session: AsyncSession, app_id: str, period: Period) -> dict[str, tuple[int, int]]:
    """Tenant → (retained, cohort): visitors first seen in the cohort window, and those active in their 4th week."""
    days = [period.cohort_start + timedelta(days=i) for i in range((period.cohort_end - period.cohort_start).days + 1)]
    # One row per cohort day: its first-seen bounds and its 4th week (days 22 to 28 of a visitor's life).
    cohort = union_all(*(
        select(literal(_moment(d)).label("t0"), literal(_moment(d + timedelta(days=1))).label("t1"),
               literal(d + timedelta(days=21), Date).label("w0"), literal(d + timedelta(days=27), Date).label("w1"))
        for d in days
    )).subquery("cohort")
    sizes = await session.execute(
        select(Visitor.tenant_id, func.count())
        .where(Visitor.app_id == app_id, Visitor.tenant_id.is_not(None),
               Visitor.first_seen >= _moment(period.cohort_start), Visitor.first_seen < _moment(period.cohort_end
                                                                                               + timedelta(days=1)))
        .group_by(Visitor.tenant_id)
    )
    retained = await session.execute(
        select(Visitor.tenant_id, func.count(Visitor.id.distinct()))
        .select_from(Visitor)
        .join(cohort, and_(Visitor.first_seen >= cohort.c.t0, Visitor.first_seen < cohort.c.t1))
        .join(DailyUsage, and_(
            DailyUsage.app_id == Visitor.app_id, DailyUsage.tenant_id == Visitor.tenant_id,
            DailyUsage.visitor_id == Visitor.id, DailyUsage.kind == "active",
            DailyUsage.day >= cohort.c.w0, DailyUsage.day <= cohort.c.w1,
        ))
        .where(Visitor.app_id == app_id, Visitor.tenant_id.is_not(None),
               DailyUsage.day >= period.cohort_start + timedelta(days=21), DailyUsage.day <= period.end)
        .group_by(Visitor.tenant_id)
    )
    kept = {tenant: n for tenant, n in retained}
    return {tenant: (kept.get(tenant, 0), n) for tenant, n in sizes if tenant is not None}


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


async def tenant_figures(session: AsyncSession, app_id: str, period: Period) -> dict[str, dict[Metric, Figure]]:
    """Every tenant with any data in the period → its figure and base per metric (missing metric: no data)."""
    activity = await _activity(session, app_id, period)
    features = await _feature_users(session, app_id, period)
    retention = await _retention(session, app_id, period)
    nps = await _nps(session, app_id, period)
    guides = await _guides(session, app_id, period)
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
