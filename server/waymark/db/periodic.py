"""A job that each server worker runs every few seconds against the database, started and stopped with the app."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random

from waymark.db.outage import is_unavailable

__all__ = ["PeriodicJob"]


class PeriodicJob:
    """Runs :meth:`run_once` every ``interval`` seconds (``0`` turns it off); a failed run never ends the schedule.

    Each worker runs its own; the first run comes at a random moment within ``first_wait_cap`` seconds,
    so workers started together do not all run at once.
    """

    __slots__ = ("_interval", "task")

    name = "waymark-job"
    """The asyncio task's name, and the job's name in log lines."""
    first_wait_cap = 60.0

    def __init__(self, interval: float) -> None:
        self._interval = interval
        self.task: asyncio.Task[None] | None = None

    async def run_once(self) -> None:
        raise NotImplementedError

    async def start(self) -> None:
        if self._interval > 0 and self.task is None:
            self.task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        task, self.task = self.task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        log = logging.getLogger("waymark")
        await asyncio.sleep(random.uniform(0, min(self._interval, self.first_wait_cap)))
        while True:
            try:
                await self.run_once()
            except Exception as exc:
                if is_unavailable(exc):
                    log.warning("%s skipped, the database is unreachable (%s); retrying in %s s",
                                self.name, type(exc).__name__, self._interval)
                else:
                    log.exception("%s failed; retrying in %s s", self.name, self._interval)
            await asyncio.sleep(self._interval)
