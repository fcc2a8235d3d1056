"""Evaluating every app's milestones: periodically inside each server worker, or once on demand."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from waymark.behaviour.milestone_models import Milestone
from waymark.behaviour.milestone_store import evaluate_app
from waymark.behaviour.milestone_webhooks import post_changes
from waymark.clock import utcnow
from waymark.db.periodic import PeriodicJob
from waymark.db.scope import app_session

__all__ = ["PeriodicMilestones", "evaluate_all"]

log = logging.getLogger("waymark.milestones")


async def evaluate_all(sessionmaker: async_sessionmaker[AsyncSession], now: datetime | None = None) -> dict[str, int]:
    """Evaluate the milestones of every app that has some, one transaction per app; changes recorded per app."""
    now = now or utcnow()
    async with sessionmaker() as session:
        apps = sorted((await session.scalars(select(Milestone.app_id).distinct())).all())
    out: dict[str, int] = {}
    for app_id in apps:
        async with app_session(sessionmaker, app_id) as session:
            out[app_id] = len(await evaluate_app(session, app_id, now))
            await post_changes(session, app_id, now)
            await session.commit()
    return out


class PeriodicMilestones(PeriodicJob):
    """Re-evaluates the milestones every ``interval`` seconds (``0``: never). Workers running it at the same
    time record each change once (see :mod:`waymark.behaviour.milestone_store`)."""

    __slots__ = ("_sessionmaker",)
    name = "waymark-milestones"

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], interval: float) -> None:
        super().__init__(interval)
        self._sessionmaker = sessionmaker

    async def run_once(self) -> None:
        for app_id, changed in (await evaluate_all(self._sessionmaker)).items():
            if changed:
                log.info("milestones of app %s: %d flag(s) changed", app_id, changed)
