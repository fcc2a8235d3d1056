"""The lexicon as an ingestion projection (registered in :mod:`waymark.wiring`): two statements per batch at most,
and none when the batch teaches nothing new.

Each batch's names are folded in memory (:mod:`waymark.lexicon.fold`), then written with one
upsert for the event names and one for the property names, whatever the batch's size. The upserts
keep the earliest first time and the latest last time, so batches commute (late history, two
workers) and a resend (which reaches no projection) changes nothing. A new name starts visible,
without a description; an existing row's status and description are never touched here.

Every batch of a busy app repeats the same names with a later time, so each worker remembers
what its committed writes stored and skips a name whose batch neither starts before the known
first time nor ends more than :data:`LAST_SEEN_RESOLUTION` after the known last time: "last seen"
is exact to that resolution, and an app's steady traffic costs the lexicon about one write per
name a minute rather than one per batch. What is remembered is learnt only once the transaction
commits, so a rolled-back write is written again by the next batch (or by the retry).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Table, case, event
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.db.lexicon_models import LexiconEvent, LexiconProperty
from waymark.db.upsert import insert_for
from waymark.events.schemas import AnyEvent
from waymark.lexicon.fold import fold

__all__ = ["LAST_SEEN_RESOLUTION", "Lexicon"]

LAST_SEEN_RESOLUTION = timedelta(minutes=1)
"""How far behind the latest event a stored "last seen" may be (first seen is always exact)."""
_MAX_REMEMBERED = 200_000
"""Entries a worker remembers at most (names and property names of every app); past it, it starts over."""
_EVENTS: Table = LexiconEvent.__table__  # type: ignore[assignment]  # declarative maps a Table
_PROPERTIES: Table = LexiconProperty.__table__  # type: ignore[assignment]

Key = tuple[str, ...]
"""(app, event name) or (app, event name, property name)."""
Span = tuple[datetime, datetime]


def _widened(ins: Any) -> dict[str, Any]:
    new, old = ins.excluded, ins.table.c
    return {"first_seen": case((new.first_seen < old.first_seen, new.first_seen), else_=old.first_seen),
            "last_seen": case((new.last_seen > old.last_seen, new.last_seen), else_=old.last_seen)}


@cache
def _upserts(dialect: str) -> tuple[Any, Any]:
    """(event names, property names): built once per dialect, run on every batch that teaches something."""
    events = insert_for(dialect, _EVENTS)
    properties = insert_for(dialect, _PROPERTIES)
    return (events.on_conflict_do_update(index_elements=["app_id", "name"], set_=_widened(events)),
            properties.on_conflict_do_update(index_elements=["app_id", "event_name", "name"],
                                             set_=_widened(properties)))


class Lexicon:
    """Track event names and their property names, first and last seen."""

    __slots__ = ("_known",)

    def __init__(self) -> None:
        self._known: dict[Key, Span] = {}
        """What this worker's committed writes stored (the rows hold at least these spans)."""

    def _teaches(self, key: Key, span: list[datetime]) -> bool:
        known = self._known.get(key)
        return known is None or span[0] < known[0] or span[1] > known[1] + LAST_SEEN_RESOLUTION

    def _learn(self, written: dict[Key, Span]) -> None:
        if len(self._known) + len(written) > _MAX_REMEMBERED:
            self._known.clear()
        for key, (first, last) in written.items():
            known = self._known.get(key)
            self._known[key] = (first, last) if known is None else (min(first, known[0]), max(last, known[1]))

    async def project(self, session: AsyncSession, app_id: str, stored: Sequence[AnyEvent]) -> None:
        seen = fold(stored)
        names = [(name, span) for name, span in sorted(seen.events.items()) if self._teaches((app_id, name), span)]
        props = [(pair, span) for pair, span in sorted(seen.properties.items())
                 if self._teaches((app_id, *pair), span)]
        if not names and not props:
            return
        events, properties = _upserts(session.get_bind().dialect.name)
        # in key order, so that concurrent writers take the rows' locks in the same order (no deadlock)
        if names:
            await session.execute(events, [
                {"app_id": app_id, "name": name, "first_seen": first, "last_seen": last, "status": "visible",
                 "description": ""} for name, (first, last) in names])
        if props:
            await session.execute(properties, [
                {"app_id": app_id, "event_name": name, "name": prop, "first_seen": first, "last_seen": last}
                for (name, prop), (first, last) in props])
        written: dict[Key, Span] = {(app_id, name): (span[0], span[1]) for name, span in names}
        written.update({(app_id, *pair): (span[0], span[1]) for pair, span in props})
        rolled_back: list[bool] = []
        event.listen(session.sync_session, "after_rollback", lambda _session: rolled_back.append(True), once=True)
        event.listen(session.sync_session, "after_commit",
                     lambda _session: None if rolled_back else self._learn(written), once=True)

    async def tenant_assigned(
        self, session: AsyncSession, app_id: str, visitor: str, tenant: str, days: set[date]
    ) -> None:
        """Nothing to move: the lexicon is the whole app's, not per tenant."""
