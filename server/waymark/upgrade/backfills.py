"""Every back-fill a migration can mark pending, by the name it marks: adding one is one entry in :data:`BACKFILLS`.

A back-fill fills one app at a time, in the transaction that deletes its mark, so it must replace
whatever rows of the app it writes (a rerun after a crash starts from nothing again).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from waymark.analytics.item_first_days import backfill_first_days
from waymark.analytics.step_backfill import backfill_steps, step_events
from waymark.guidestats.sketch_store import rebuild_sketches
from waymark.policies.decision_days import rebuild_decision_days
from waymark.surveys.tally_store import rebuild_tallies

__all__ = ["BACKFILLS", "Advance", "Backfill", "Fill", "Size"]

Advance = Callable[[int], None]
Fill = Callable[[AsyncSession, str, Advance], Awaitable[None]]
"""Fill one app's rows, telling ``advance`` the work done as it goes (in the units of its :data:`Size`)."""
Size = Callable[[AsyncSession, str], Awaitable[int]]
"""How much work one app's fill is (the length of the progress bar)."""


async def _one(_session: AsyncSession, _app_id: str) -> int:
    return 1


def _whole_app(rebuild: Callable[[AsyncSession, str], Awaitable[Any]]) -> Fill:
    """A rebuild of one app's rows as a fill that counts one unit per app."""

    async def fill(session: AsyncSession, app_id: str, advance: Advance) -> None:
        await rebuild(session, app_id)
        advance(1)

    return fill


@dataclass(frozen=True, slots=True)
class Backfill:
    name: str
    """The name its migration writes into ``pending_backfills``."""
    fill: Fill
    size: Size = _one


BACKFILLS: tuple[Backfill, ...] = (
    Backfill("steps", backfill_steps, step_events),  # migration 0019 (marked by 0021)
    Backfill("guide_day_sketches", _whole_app(rebuild_sketches)),  # migration 0020 (marked by 0021)
    Backfill("survey_day_tallies", _whole_app(rebuild_tallies)),  # migration 0020 (marked by 0021)
    Backfill("policy_decision_days", _whole_app(rebuild_decision_days)),  # migration 0022
    Backfill("item_first_days", _whole_app(backfill_first_days)),  # migration 0024
)
"""In the order they run."""
