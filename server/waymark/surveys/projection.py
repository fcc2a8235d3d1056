"""The survey tally projection: every stored NPS or poll answer becomes a row the reports read, and counts in the
day tallies; aliases move them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.clock import as_utc
from waymark.db.upsert import insert_for
from waymark.events.schemas import AliasEvent, AnyEvent, NpsResponse, PollResponse
from waymark.surveys.models import SurveyAnswer
from waymark.surveys.tallies import TalliedAnswer
from waymark.surveys.tally_store import TALLIED, add_answers, move_answers

__all__ = ["SurveyTallies"]


def _row(app_id: str, ev: NpsResponse | PollResponse) -> dict[str, Any]:
    row: dict[str, Any] = {
        "app_id": app_id, "event_id": ev.id, "guide_id": ev.guide, "visitor_id": ev.visitor,
        "tenant_id": ev.tenant or "", "ts": as_utc(ev.ts),
    }
    if isinstance(ev, NpsResponse):
        row.update(kind="nps", question="", score=ev.score, choices=None, comment=ev.comment)
    else:
        row.update(kind="poll", question=ev.question, score=ev.rating, choices=ev.choices, comment=ev.text)
    return row


class SurveyTallies:
    """Idempotent per event id twice over: ingestion hands it only new events, and the table is unique on them."""

    async def project(self, session: AsyncSession, app_id: str, stored: Sequence[AnyEvent]) -> None:
        rows = [_row(app_id, ev) for ev in stored if isinstance(ev, NpsResponse | PollResponse)]
        if rows:
            stmt = insert_for(session, SurveyAnswer).on_conflict_do_nothing(index_elements=["app_id", "event_id"])
            added = (await session.execute(stmt.returning(*TALLIED), rows)).all()
            await add_answers(session, app_id, [TalliedAnswer._make(r) for r in added])
        # Identity resolution, as ingestion does for the events (after them, so this batch's answers move too).
        for ev in stored:
            if isinstance(ev, AliasEvent) and ev.previous != ev.visitor:
                await move_answers(session, app_id, ev.previous, ev.visitor)

    async def tenant_assigned(
        self, session: AsyncSession, app_id: str, visitor: str, tenant: str, days: set[date]
    ) -> None:
        # Every answer of the visitor stored without a tenant: ingestion moved all their untenanted events.
        await session.execute(
            update(SurveyAnswer)
            .where(SurveyAnswer.app_id == app_id, SurveyAnswer.visitor_id == visitor, SurveyAnswer.tenant_id == "")
            .values(tenant_id=tenant)
            .execution_options(synchronize_session=False)
        )
