"""One visitor's data: everything stored about them (export) and its erasure, with a record that it happened.

A visitor is their id plus the earlier (anonymous) ids linked to it by identity
resolution: those ids are the same person, so their rows are exported and erased too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.analytics.item_first_days import erase_visitors as erase_first_days
from waymark.analytics.steps import erase_visitors as erase_steps
from waymark.analytics.summaries import forget_visitors
from waymark.behaviour.cohorts import erase_members as erase_cohort_members
from waymark.clock import as_utc
from waymark.db.models import DailyUsage, Erasure, Event, GuideState, Visitor, VisitorAlias, utcnow
from waymark.events.export import ExportedEvent
from waymark.guidestats.store import erase_visitors as erase_guide_stats
from waymark.holdouts.privacy import erase_holdouts, visitor_holdouts
from waymark.policies.services import visitor_evidence
from waymark.privacy.schemas import (
    AliasExport,
    ErasureRecord,
    GuideStateExport,
    UsageExport,
    VisitorExport,
    VisitorProfile,
)
from waymark.surveys.privacy import erase_answers, visitor_answers

__all__ = ["erase_visitor", "export_visitor", "list_erasures"]


def _utc_or_none(moment: datetime | None) -> datetime | None:
    return None if moment is None else as_utc(moment)


def _profile(v: Visitor) -> VisitorProfile:
    return VisitorProfile(
        id=v.id, tenant=v.tenant_id, meta=dict(v.meta or {}), first_seen=as_utc(v.first_seen),
        last_seen=as_utc(v.last_seen), last_auto_guide_at=_utc_or_none(v.last_auto_guide_at),
        last_auto_guide_id=v.last_auto_guide_id, auto_guides_day=_utc_or_none(v.auto_guides_day),
        auto_guides_count=v.auto_guides_count or 0,
    )


def _record(e: Erasure) -> ErasureRecord:
    return ErasureRecord(visitor=e.visitor_id, events_deleted=e.events_deleted, erased_at=as_utc(e.erased_at),
                         evidence_kept=e.evidence_kept or 0)


async def _aliases(session: AsyncSession, app_id: str, visitor_id: str) -> Sequence[VisitorAlias]:
    return (await session.scalars(
        select(VisitorAlias)
        .where(VisitorAlias.app_id == app_id, VisitorAlias.visitor_id == visitor_id)
        .order_by(VisitorAlias.created_at, VisitorAlias.alias)
    )).all()


async def _erasures(session: AsyncSession, app_id: str, visitor_id: str) -> list[ErasureRecord]:
    rows = (await session.scalars(
        select(Erasure).where(Erasure.app_id == app_id, Erasure.visitor_id == visitor_id).order_by(Erasure.id)
    )).all()
    return [_record(e) for e in rows]


async def export_visitor(session: AsyncSession, app_id: str, visitor_id: str) -> VisitorExport | None:
    """Everything stored about ``visitor_id``; ``None`` when the id is unknown and was never erased."""
    aliases = await _aliases(session, app_id, visitor_id)
    ids = [visitor_id, *(a.alias for a in aliases)]
    profiles = {
        v.id: v for v in (await session.scalars(
            select(Visitor).where(Visitor.app_id == app_id, Visitor.id.in_(ids))
        )).all()
    }
    alias_of = (await session.scalars(
        select(VisitorAlias.visitor_id).where(VisitorAlias.app_id == app_id, VisitorAlias.alias == visitor_id)
    )).one_or_none()
    states = (await session.scalars(
        select(GuideState).where(GuideState.app_id == app_id, GuideState.visitor_id.in_(ids))
        .order_by(GuideState.visitor_id, GuideState.guide_id)
    )).all()
    events = (await session.scalars(
        select(Event).where(Event.app_id == app_id, Event.visitor_id.in_(ids)).order_by(Event.ts, Event.id)
    )).all()
    usage = (await session.scalars(
        select(DailyUsage).where(DailyUsage.app_id == app_id, DailyUsage.visitor_id.in_(ids))
        .order_by(DailyUsage.day, DailyUsage.visitor_id, DailyUsage.kind, DailyUsage.key, DailyUsage.tenant_id)
    )).all()
    erasures = await _erasures(session, app_id, visitor_id)
    evidence = await visitor_evidence(session, app_id, ids)
    answers = await visitor_answers(session, app_id, ids)
    holdouts = await visitor_holdouts(session, app_id, ids)
    if not (profiles or aliases or alias_of or states or events or usage or erasures or evidence or answers
            or holdouts):
        return None
    own = profiles.get(visitor_id)
    return VisitorExport(
        visitor=visitor_id,
        profile=_profile(own) if own is not None else None,
        aliases=[
            AliasExport(alias=a.alias, created_at=as_utc(a.created_at),
                        profile=_profile(profiles[a.alias]) if a.alias in profiles else None)
            for a in aliases
        ],
        alias_of=alias_of,
        guide_states=[
            GuideStateExport(
                visitor=s.visitor_id, guide=s.guide_id, status=s.status, step=s.step,
                last_seen_at=_utc_or_none(s.last_seen_at), snoozed_until=_utc_or_none(s.snoozed_until),
                completed_at=_utc_or_none(s.completed_at), updated_at=as_utc(s.updated_at),
            )
            for s in states
        ],
        events=[ExportedEvent.of(e) for e in events],
        daily_usage=[
            UsageExport(day=u.day, tenant=u.tenant_id or None, visitor=u.visitor_id, kind=u.kind, key=u.key,
                        count=u.count, ms=u.ms)
            for u in usage
        ],
        erasures=erasures,
        policy_evidence=evidence,
        survey_answers=answers,
        holdouts=holdouts,
    )


async def _delete(session: AsyncSession, statement: Any) -> int:
    result = await session.execute(statement.execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]  # DML gives a CursorResult, typed Result


async def erase_visitor(session: AsyncSession, app_id: str, visitor_id: str) -> ErasureRecord | None:
    """Delete everything stored about ``visitor_id`` and record that it was done (the caller commits).

    Every call that finds the id (stored data, or an earlier erasure) is recorded, with
    what it deleted: a second erasure deletes what arrived since (``0`` events when
    nothing did). ``None`` when the id is unknown and was never erased.
    """
    ids = [visitor_id, *(a.alias for a in await _aliases(session, app_id, visitor_id))]
    await forget_visitors(session, app_id, ids)  # the summaries their activity counted in are recomputed
    events = await _delete(session, delete(Event).where(Event.app_id == app_id, Event.visitor_id.in_(ids)))
    others = sum([
        await _delete(session, delete(GuideState).where(
            GuideState.app_id == app_id, GuideState.visitor_id.in_(ids))),
        await _delete(session, delete(DailyUsage).where(
            DailyUsage.app_id == app_id, DailyUsage.visitor_id.in_(ids))),
        await _delete(session, delete(VisitorAlias).where(
            VisitorAlias.app_id == app_id,
            or_(VisitorAlias.visitor_id == visitor_id, VisitorAlias.alias.in_(ids)))),
        await _delete(session, delete(Visitor).where(Visitor.app_id == app_id, Visitor.id.in_(ids))),
        await erase_answers(session, app_id, ids),
        await erase_holdouts(session, app_id, ids),
        await erase_guide_stats(session, app_id, ids),
        await erase_steps(session, app_id, ids),
        await erase_first_days(session, app_id, ids),
        await erase_cohort_members(session, app_id, ids),
    ])
    # Policy evidence is kept (a legal-obligation record); the erasure log says how much.
    kept = len(await visitor_evidence(session, app_id, ids))
    if not events and not others and not kept:
        known = (await session.scalars(
            select(Erasure.id).where(Erasure.app_id == app_id, Erasure.visitor_id == visitor_id).limit(1)
        )).first()
        if known is None:
            return None
    record = Erasure(app_id=app_id, visitor_id=visitor_id, events_deleted=events, evidence_kept=kept,
                     erased_at=utcnow())
    session.add(record)
    await session.flush()
    return _record(record)


async def list_erasures(
    session: AsyncSession, app_id: str, visitor_id: str | None = None, limit: int = 1000
) -> list[ErasureRecord]:
    """The record of erasures, newest first."""
    query = select(Erasure).where(Erasure.app_id == app_id)
    if visitor_id is not None:
        query = query.where(Erasure.visitor_id == visitor_id)
    rows = (await session.scalars(query.order_by(Erasure.erased_at.desc(), Erasure.id.desc()).limit(limit))).all()
    return [_record(e) for e in rows]
