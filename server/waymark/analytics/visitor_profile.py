"""One visitor's profile: metadata, recent activity, the guides they saw, their answers and policy status.

The timeline is the visitor's latest events (bounded), read by the events index on
(app, visitor); everything else is keyed by the visitor too, so the page costs the same in a
small store as in a large one.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.analytics.overview_schemas import (
    AnswerSeen,
    GuideSeenRow,
    PolicyStatusRow,
    TimelineEvent,
    VisitorProfile,
)
from waymark.analytics.stickiness import MONTH
from waymark.clock import as_utc
from waymark.db.models import DailyUsage, Event, Guide, GuideState, Visitor, VisitorAlias
from waymark.policies.services import NoSuchPolicy, list_policies, policy_status
from waymark.surveys.privacy import visitor_answers

__all__ = ["TIMELINE_EVENTS", "visitor_profile"]

TIMELINE_EVENTS = 50
"""The most recent events a profile lists."""
_ANSWERS = 50


def _answer_text(choices: list[str] | None, comment: str | None) -> str | None:
    parts = [", ".join(str(c) for c in choices)] if choices else []
    if comment:
        parts.append(comment)
    return " — ".join(parts) or None


async def visitor_profile(session: AsyncSession, app_id: str, visitor_id: str, today: date) -> VisitorProfile | None:
    """The profile of ``visitor_id``, or None when the app has no such visitor."""
    visitor = (await session.execute(select(Visitor).where(Visitor.app_id == app_id, Visitor.id == visitor_id))
               ).scalars().first()
    if visitor is None:
        return None
    ids = [visitor_id, *(await session.scalars(select(VisitorAlias.alias).where(
        VisitorAlias.app_id == app_id, VisitorAlias.visitor_id == visitor_id))).all()]
    events = (await session.execute(
        select(Event.ts, Event.type, Event.name, Event.url, Event.guide_id, Event.tenant_id)
        .where(Event.app_id == app_id, Event.visitor_id.in_(ids))
        .order_by(Event.ts.desc(), Event.id.desc()).limit(TIMELINE_EVENTS))).tuples().all()
    names = dict((await session.execute(select(Guide.id, Guide.name).where(Guide.app_id == app_id))).tuples().all())
    states = (await session.execute(
        select(GuideState).where(GuideState.app_id == app_id, GuideState.visitor_id == visitor_id)
        .order_by(GuideState.updated_at.desc(), GuideState.guide_id))).scalars().all()
    answers = sorted(await visitor_answers(session, app_id, ids), key=lambda a: a.ts, reverse=True)[:_ANSWERS]
    days = [today - timedelta(days=i) for i in range(MONTH)]
    active_days = (await session.scalars(select(DailyUsage.day).where(
        DailyUsage.app_id == app_id, DailyUsage.day.in_(days), DailyUsage.tenant_id == (visitor.tenant_id or ""),
        DailyUsage.visitor_id == visitor_id, DailyUsage.kind == "active"))).all()
    policies: list[PolicyStatusRow] = []
    for summary in await list_policies(session, app_id):
        if summary.current_version is None:
            continue
        try:
            status = await policy_status(session, app_id, summary.id, visitor_id, visitor.tenant_id)
        except NoSuchPolicy:
            continue
        state = ("not asked" if not status.required else status.decision or "pending")
        policies.append(PolicyStatusRow(policy=summary.id, version=status.current_version, status=state))
    return VisitorProfile(
        visitor=visitor.id, tenant=visitor.tenant_id, meta=dict(visitor.meta or {}),
        first_seen=as_utc(visitor.first_seen), last_seen=as_utc(visitor.last_seen), days_active=len(set(active_days)),
        timeline=[TimelineEvent(at=as_utc(ts), type=kind, name=name, url=url, guide=guide, tenant=tenant)
                  for ts, kind, name, url, guide, tenant in events],
        guides=[GuideSeenRow(guide=s.guide_id, name=names.get(s.guide_id), status=s.status, step=s.step,
                             last_seen_at=as_utc(s.last_seen_at) if s.last_seen_at else None,
                             completed_at=as_utc(s.completed_at) if s.completed_at else None) for s in states],
        answers=[AnswerSeen(guide=a.guide, kind=a.kind, question=a.question or "", at=a.ts, score=a.score,
                            answer=_answer_text(a.choices, a.comment)) for a in answers],
        policies=policies,
    )
