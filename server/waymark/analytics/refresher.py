"""The periodic refresh of report summaries inside a server worker (and once, on demand, for the bulk loader)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from waymark.analytics.models import SummaryMark
from waymark.analytics.summaries import Refreshed, refresh_summaries
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.outage import is_unavailable

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


class PeriodicSummaries:
    """Refreshes the summaries every ``interval`` seconds inside a server worker; ``0`` turns it off.

    Several workers may each run it: a refresh claims its marks and locks the app (PostgreSQL),
    so they share the work instead of doing it twice.
    """

    __slots__ = ("_interval", "_sessionmaker", "task")

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], interval: float) -> None:
        self._sessionmaker = sessionmaker
        self._interval = interval
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._interval > 0 and self.task is None:
            self.task = asyncio.create_task(self._run(), name="waymark-summaries")

    async def stop(self) -> None:
        task, self.task = self.task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        await asyncio.sleep(random.uniform(0, min(self._interval, 5.0)))
        while True:
            try:
                done = await refresh_all(self._sessionmaker)
            except Exception as exc:  # a bad run must not end the schedule
                if is_unavailable(exc):
                    log.warning("summaries not refreshed, the database is unreachable (%s)", type(exc).__name__)
                else:
                    log.exception("refreshing the summaries failed; retrying in %s s", self._interval)
            else:
                for app_id, what in done.items():
                    if what.days or what.tenants:
                        log.debug("summaries of app %s: %d day(s), %d tenant(s) redone", app_id, what.days,
                                  what.tenants)
            await asyncio.sleep(self._interval)
