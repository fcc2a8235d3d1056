"""The periodic alerts job of a server worker: evaluate the rules (if no other worker is), then send due webhooks."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from waymark.alerts.evaluate import evaluate
from waymark.db.periodic import PeriodicJob
from waymark.webhooks.sender import WebhookSender

__all__ = ["PeriodicAlerts"]

log = logging.getLogger("waymark.alerts")


class PeriodicAlerts(PeriodicJob):
    """Every ``interval`` seconds (``WAYMARK_ALERTS_INTERVAL_SECONDS``; 0 turns it off). Every worker runs it:
    evaluation is taken by one of them at a time, and each message is claimed by the worker that sends it."""

    __slots__ = ("_sender", "_sessionmaker")
    name = "waymark-alerts"

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], interval: float) -> None:
        super().__init__(interval)
        self._sessionmaker = sessionmaker
        self._sender = WebhookSender(sessionmaker)

    async def run_once(self) -> None:
        done = await evaluate(self._sessionmaker)
        if done.fired:
            log.info("alerts: %d rule(s) judged, %d fired", done.rules, len(done.fired))
        await self._sender.send_due()

    async def stop(self) -> None:
        await super().stop()
        await self._sender.close()
