"""Helpers for the milestone tests: evaluate explicitly (the periodic job is off in tests), read flags and changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import select

from tests.analytics.helpers import auth
from waymark.behaviour.milestone_job import evaluate_all
from waymark.behaviour.milestone_models import MilestoneChange
from waymark.behaviour.milestone_schemas import MilestoneChangeOut
from waymark.behaviour.milestone_store import pending_changes
from waymark.clock import as_utc
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.scope import app_session
from waymark.settings import Settings

__all__ = ["changes", "day_start", "evaluate", "flags", "pending", "put_milestone"]


def day_start(day: date) -> str:
    """A day's first instant as the API writes it."""
    return datetime.combine(day, time.min, tzinfo=UTC).isoformat().replace("+00:00", "Z")


async def evaluate(settings: Settings, now: datetime | None = None) -> dict[str, int]:
    engine = create_engine(settings.database_url)
    try:
        return await evaluate_all(make_sessionmaker(engine), now)
    finally:
        await engine.dispose()


async def changes(settings: Settings, app_id: str) -> list[MilestoneChangeOut]:
    """Every change recorded for the app, oldest first."""
    engine = create_engine(settings.database_url)
    try:
        async with app_session(make_sessionmaker(engine), app_id) as session:
            rows = (await session.scalars(select(MilestoneChange).order_by(MilestoneChange.id))).all()
            return [MilestoneChangeOut(id=r.id, app_id=r.app_id, tenant=r.tenant_id, milestone=r.milestone_id,
                                       change=r.change, at=as_utc(r.at), recorded_at=as_utc(r.recorded_at))
                    for r in rows]
    finally:
        await engine.dispose()


async def pending(settings: Settings, app_id: str) -> list[MilestoneChangeOut]:
    """Changes not yet handed to the webhooks."""
    engine = create_engine(settings.database_url)
    try:
        async with app_session(make_sessionmaker(engine), app_id) as session:
            return await pending_changes(session, limit=1000)
    finally:
        await engine.dispose()


async def put_milestone(client: AsyncTestClient, secret: str, milestone_id: str, **definition: Any) -> Any:
    answer = await client.put(f"/api/v1/milestones/{milestone_id}", json=definition, headers=auth(secret))
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


async def flags(client: AsyncTestClient, secret: str, **params: str) -> list[dict[str, Any]]:
    answer = await client.get("/api/v1/milestones/flags", params=params, headers=auth(secret))
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]
