"""Survey answers under the privacy rules: a visitor's export and erasure, and retention's purge."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.clock import as_utc
from waymark.surveys.models import SurveyAnswer
from waymark.surveys.schemas import SurveyAnswerExport
from waymark.surveys.tally_store import answers_of, remove_answers

__all__ = ["erase_answers", "purge_answers", "visitor_answers"]


async def visitor_answers(session: AsyncSession, app_id: str, ids: Sequence[str]) -> list[SurveyAnswerExport]:
    """Every survey answer stored under these visitor ids, oldest first."""
    rows = (await session.scalars(
        select(SurveyAnswer).where(SurveyAnswer.app_id == app_id, SurveyAnswer.visitor_id.in_(list(ids)))
        .order_by(SurveyAnswer.ts, SurveyAnswer.id)
    )).all()
    return [
        SurveyAnswerExport(event=r.event_id, kind=r.kind, guide=r.guide_id, question=r.question or None,
                           visitor=r.visitor_id, tenant=r.tenant_id or None, ts=as_utc(r.ts), score=r.score,
                           choices=r.choices, comment=r.comment)
        for r in rows
    ]


async def erase_answers(session: AsyncSession, app_id: str, ids: Sequence[str]) -> int:
    """Delete the survey answers stored under these visitor ids, and their tallies; returns how many (the caller
    commits)."""
    victims = await answers_of(session, app_id, [SurveyAnswer.visitor_id.in_(list(ids))])
    await remove_answers(session, app_id, victims)
    return len(victims)


async def purge_answers(session: AsyncSession, app_id: str, cutoff: datetime, chunk: int) -> int:
    """Delete at most ``chunk`` answers older than ``cutoff``, and their tallies, as retention does their events (the
    caller commits); oldest first, so an answer goes no later than the one it replaced."""
    ids = select(SurveyAnswer.id).where(SurveyAnswer.app_id == app_id, SurveyAnswer.ts < cutoff).order_by(
        SurveyAnswer.ts, SurveyAnswer.id).limit(chunk)
    victims = await answers_of(session, app_id, [SurveyAnswer.id.in_(ids)])
    await remove_answers(session, app_id, victims)
    return len(victims)
