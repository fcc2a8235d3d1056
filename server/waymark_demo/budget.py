"""The demo app's attention budget: set at every start, so that each named visitor meets each guide meant for them."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.db.models import App

__all__ = ["DEMO_MAX_PER_DAY", "DEMO_THROTTLE_SECONDS", "apply_demo_budget"]

DEMO_THROTTLE_SECONDS = 0
"""No interval: the next page view after a guide may start the next one (a day would keep Alice from her
announcement once the welcome tour took the slot)."""
DEMO_MAX_PER_DAY = 4
"""Still a budget: at most this many automatic guides per visitor per day, the highest priority first."""


async def apply_demo_budget(session: AsyncSession, app_id: str) -> str:
    """Set the budget (the caller commits) and say so in one line for the start-up output."""
    await session.execute(update(App).where(App.id == app_id).values(
        throttle_seconds=DEMO_THROTTLE_SECONDS, max_auto_guides_per_day=DEMO_MAX_PER_DAY))
    return (f"attention budget: one automatic guide per page view, at most {DEMO_MAX_PER_DAY} a day, highest "
            "priority first; why a guide is not shown: GET /api/v1/guides/{id}/explain?visitor=&url= "
            "or waymark guides explain")
