"""Resetting the demo's named visitors, so that each can live their first visit again.

A reset is an erasure (events, guide state, survey answers, holdouts, profile), recorded in
the erasure log like any other; policy evidence is kept, as erasure keeps it, so Pat is asked
again and the new decision is appended to the chain.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from waymark.privacy.visitors import erase_visitor
from waymark_demo.seed import DEMO_APP_ID

__all__ = ["NAMED_VISITORS", "reset_named_visitors"]

NAMED_VISITORS = ("alice", "bruno", "chloe", "nina", "pat")
"""The visitors of the demo's "Viewing as" menu (``?visitor=<name>``)."""


async def reset_named_visitors(session: AsyncSession) -> list[str]:
    """Erase what is stored about each named visitor and commit; returns those that had anything."""
    reset: list[str] = []
    for visitor in NAMED_VISITORS:
        record = await erase_visitor(session, DEMO_APP_ID, visitor)
        if record is not None and record.events_deleted:
            reset.append(visitor)
    await session.commit()
    return reset
