"""The periodic refresh of report summaries inside a server worker (and once, on demand, for the bulk loader)."""

from __future__ import annotations

import asyncio
import logging
import threading

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from waymark.analytics.models import SummaryMark
from waymark.analytics.summaries import Refreshed, refresh_summaries
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.periodic import PeriodicJob

__all__ = ["PeriodicSummaries", "refresh_all", "refresh_database"]

log = logging.getLogger("waymark.summaries")


async def refresh_all(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, Refreshed]:
    """Refresh every app that has marks; returns what was redone per app."""
    async with sessionmaker() as session:
        apps = sorted((await session.scalars(select(SummaryMark.app_id).distinct())).all())
    return {app_id: await refresh_summaries(sessionmaker, app_id) for app_id in apps}


def refresh_database(database_url: str) -> dict[str, Refreshed]:
    """Refresh every app of a database from synchronous code, even code running inside an event loop."""
    out: dict[str, Refreshed] = {}
    failure: list[BaseException] = []

    async def run() -> None:
        engine = create_engine(database_url)
        try:
            out.update(await refresh_all(make_sessionmaker(engine)))
        finally:
            await engine.dispose()

    def target() -> None:
        try:
            asyncio.run(run())
        except BaseException as exc:  # handed to the calling thread
            failure.append(exc)

    thread = threading.Thread(target=target, name="waymark-summaries-once")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return out


class PeriodicSummaries(PeriodicJob):
    """Refreshes the summaries every ``interval`` seconds inside a server worker; ``0`` turns it off.

    Several workers may each run it: a refresh claims its marks and locks the app (PostgreSQL),
    so they share the work instead of doing it twice.
    """

    __slots__ = ("_sessionmaker",)
    name = "waymark-summaries"
    first_wait_cap = 5.0

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], interval: float) -> None:
        super().__init__(interval)
        self._sessionmaker = sessionmaker

    async def run_once(self) -> None:
        for app_id, what in (await refresh_all(self._sessionmaker)).items():
            if what.days or what.tenants:
                log.debug("summaries of app %s: %d day(s), %d tenant(s) redone", app_id, what.days, what.tenants)
