"""Milestone flag changes handed to the app's webhooks, in the transaction that evaluated them.

Every change is recorded once in ``milestone_changes`` (:mod:`waymark.behaviour.milestone_store`); this
takes the session's pending ones, puts one ``tenant.milestone_changed`` message per change in the webhook
outbox and marks them delivered, so the commit that stores a change also stores its message (and an app
without endpoints simply drops them: there was nobody to tell).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from waymark.behaviour.milestone_store import mark_delivered, pending_changes
from waymark.webhooks.outbox import enqueue_many

__all__ = ["KIND", "post_changes"]

KIND = "tenant.milestone_changed"
_BATCH = 500


async def post_changes(session: AsyncSession, app_id: str, now: datetime) -> int:
    """Hand the app's pending flag changes to its webhooks (not committed); how many changes were handed."""
    handed = 0
    while changes := [c for c in await pending_changes(session, _BATCH) if c.app_id == app_id]:
        await enqueue_many(session, app_id, KIND, [{
            "tenant": change.tenant, "milestone": change.milestone, "change": change.change,
            "at": change.at.isoformat(), "recorded_at": change.recorded_at.isoformat(),
        } for change in changes], now=now)
        await mark_delivered(session, [c.id for c in changes], now)
        handed += len(changes)
    return handed
