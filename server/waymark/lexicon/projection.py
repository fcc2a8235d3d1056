"""The lexicon as an ingestion projection (registered in :mod:`waymark.wiring`): two statements per batch at most.

Each batch's names are folded in memory (:mod:`waymark.lexicon.fold`), then written with one
upsert for the event names and one for the property names, whatever the batch's size. The upserts
keep the earliest first time and the latest last time, so batches commute (late history, two
workers) and a resend (which reaches no projection) changes nothing. A new name starts visible,
without a description; an existing row's status and description are never touched here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import Table, case
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.db.lexicon_models import LexiconEvent, LexiconProperty
from waymark.db.upsert import insert_for
from waymark.events.schemas import AnyEvent
from waymark.lexicon.fold import fold

__all__ = ["Lexicon"]

_EVENTS: Table = LexiconEvent.__table__  # type: ignore[assignment]  # declarative maps a Table
_PROPERTIES: Table = LexiconProperty.__table__  # type: ignore[assignment]


def _widened(ins: Any) -> dict[str, Any]:
    new, old = ins.excluded, ins.table.c
    return {"first_seen": case((new.first_seen < old.first_seen, new.first_seen), else_=old.first_seen),
            "last_seen": case((new.last_seen > old.last_seen, new.last_seen), else_=old.last_seen)}


@cache
def _upserts(dialect: str) -> tuple[Any, Any]:
    """(event names, property names): built once per dialect, run on every batch with track events."""
    events = insert_for(dialect, _EVENTS)
    properties = insert_for(dialect, _PROPERTIES)
    return (events.on_conflict_do_update(index_elements=["app_id", "name"], set_=_widened(events)),
            properties.on_conflict_do_update(index_elements=["app_id", "event_name", "name"],
                                             set_=_widened(properties)))


class Lexicon:
    """Track event names and their property names, first and last seen."""

    async def project(self, session: AsyncSession, app_id: str, stored: Sequence[AnyEvent]) -> None:
        seen = fold(stored)
        if not seen.events:
            return
        events, properties = _upserts(session.get_bind().dialect.name)
        # in key order, so that concurrent writers take the rows' locks in the same order (no deadlock)
        await session.execute(events, [
            {"app_id": app_id, "name": name, "first_seen": first, "last_seen": last, "status": "visible",
             "description": ""} for name, (first, last) in sorted(seen.events.items())])
        if seen.properties:
            await session.execute(properties, [
                {"app_id": app_id, "event_name": event, "name": prop, "first_seen": first, "last_seen": last}
                for (event, prop), (first, last) in sorted(seen.properties.items())])

    async def tenant_assigned(
        self, session: AsyncSession, app_id: str, visitor: str, tenant: str, days: set[date]
    ) -> None:
        """Nothing to move: the lexicon is the whole app's, not per tenant."""
