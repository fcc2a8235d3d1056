"""Retention: events older than an app's ``retention_days`` are purged, in chunks, by command or periodically."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from waymark.analytics.steps import purge_events as purge_steps
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.models import App, Event, utcnow
from waymark.db.periodic import PeriodicJob
from waymark.db.scope import app_session
from waymark.surveys.privacy import purge_answers

__all__ = [
    "PeriodicPurge", "PurgeLine", "RetentionPolicy", "purge_app", "purge_expired", "retention_policies", "run_purge",
]

log = logging.getLogger("waymark.retention")

CHUNK = 5000
"""Events deleted per transaction: a huge purge never holds one giant transaction (or SQLite's write lock)."""


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    app_id: str
    name: str
    days: int

    def cutoff(self, now: datetime) -> datetime:
        """Events before this moment are expired."""
        now = now if now.tzinfo else now.replace(tzinfo=UTC)
        return now.astimezone(UTC) - timedelta(days=self.days)


async def retention_policies(
    sessionmaker: async_sessionmaker[AsyncSession], app_id: str | None = None,
) -> list[RetentionPolicy]:
    """The apps that have a retention period, oldest app first (only ``app_id``'s, when given)."""
    query = select(App.id, App.name, App.retention_days).where(App.retention_days.is_not(None))
    if app_id is not None:
        query = query.where(App.id == app_id)
    async with sessionmaker() as session:
        rows = (await session.execute(query.order_by(App.created_at, App.id))).all()
    return [RetentionPolicy(app_id=r.id, name=r.name, days=int(r.retention_days)) for r in rows]


async def _purge_app(
    sessionmaker: async_sessionmaker[AsyncSession], policy: RetentionPolicy, now: datetime, dry_run: bool,
    chunk: int,
) -> int:
    cutoff = policy.cutoff(now)
    expired = (Event.app_id == policy.app_id, Event.ts < cutoff)
    if dry_run:
        async with app_session(sessionmaker, policy.app_id) as session:
            return int(await session.scalar(select(func.count()).select_from(Event).where(*expired)) or 0)
    deleted = 0
    while True:
        async with app_session(sessionmaker, policy.app_id) as session:
            victims = list((await session.scalars(select(Event.id).where(*expired).limit(chunk))).all())
            await purge_steps(session, policy.app_id, victims)  # the steps they were go with them
            result = await session.execute(
                delete(Event).where(Event.app_id == policy.app_id, Event.id.in_(victims))
                .execution_options(synchronize_session=False)
            )
            await session.commit()
        count = int(result.rowcount or 0)  # type: ignore[attr-defined]  # DML gives a CursorResult, typed Result
        deleted += count
        if count < chunk:
            break
    # Survey answers are tallies of events and go with them (the count returned is the events').
    while True:
        async with app_session(sessionmaker, policy.app_id) as session:
            answers = await purge_answers(session, policy.app_id, cutoff, chunk)
            await session.commit()
        if answers < chunk:
            return deleted


async def purge_expired(
    sessionmaker: async_sessionmaker[AsyncSession], now: datetime, *, dry_run: bool = False, chunk: int = CHUNK
) -> dict[str, int]:
    """Delete every event older than its app's retention period; returns events deleted per app.

    Only apps with a retention period appear (with ``0`` when nothing had expired).
    ``dry_run`` counts instead of deleting. Safe to run from several workers at once:
    a delete of rows already deleted deletes nothing.
    """
    return {
        policy.app_id: await _purge_app(sessionmaker, policy, now, dry_run, chunk)
        for policy in await retention_policies(sessionmaker)
    }


@dataclass(frozen=True, slots=True)
class PurgeLine:
    """What one app's purge did, for the command line."""

    policy: RetentionPolicy
    cutoff: datetime
    deleted: int


async def purge_app(
    sessionmaker: async_sessionmaker[AsyncSession], app_id: str, now: datetime, dry_run: bool = False,
) -> PurgeLine | None:
    """Purge (or count) one app's expired events now; ``None`` when the app keeps events forever."""
    policies = await retention_policies(sessionmaker, app_id)
    if not policies:
        return None
    policy = policies[0]
    return PurgeLine(policy, policy.cutoff(now), await _purge_app(sessionmaker, policy, now, dry_run, CHUNK))


async def run_purge(database_url: str, now: datetime, dry_run: bool = False) -> list[PurgeLine]:
    """``waymark retention purge``: purge (or count) against the configured database."""
    engine = create_engine(database_url)
    try:
        maker = make_sessionmaker(engine)
        policies = await retention_policies(maker)
        return [
            PurgeLine(policy=p, cutoff=p.cutoff(now), deleted=await _purge_app(maker, p, now, dry_run, CHUNK))
            for p in policies
        ]
    finally:
        await engine.dispose()


class PeriodicPurge(PeriodicJob):
    """Purges every ``interval`` seconds inside a server worker; ``0`` turns it off.

    Started on application startup and cancelled on shutdown; each worker runs it.
    """

    __slots__ = ("_sessionmaker",)
    name = "waymark-retention"

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], interval: float) -> None:
        super().__init__(interval)
        self._sessionmaker = sessionmaker

    async def run_once(self) -> None:
        for app_id, count in (await purge_expired(self._sessionmaker, utcnow())).items():
            if count:
                log.info("retention: deleted %d expired event(s) of app %s", count, app_id)
