"""The live view's reading of the events table: the latest few, then each one stored after, by increasing id.

Every query is bounded (a window of ids, a row limit), and nothing is kept in a worker's memory
but the reader's own cursor, so any worker serves any viewer. On PostgreSQL an id is drawn when
a row is inserted and becomes visible when its transaction commits, so a smaller id can appear
after a larger one: the reader looks back :data:`LOOKBACK` ids each time and skips what it
already sent. SQLite has one writer at a time, where ids appear in order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.clock import as_utc
from waymark.db.models import Event

__all__ = ["FIRST_WINDOW", "LOOKBACK", "LiveEvent", "LiveFilter", "LiveReader", "latest_events", "newest_id"]

FIRST_WINDOW = 100_000
"""The latest events are looked for among this many newest ids (of every app): a bounded search, so a
filter that matches little costs the same as one that matches much."""
LOOKBACK = 5_000
"""Ids behind the newest one sent that are looked at again, for transactions that committed late."""
_BATCH = 200
"""At most this many events a poll sends; the next poll sends the rest."""


class LiveEvent(msgspec.Struct, omit_defaults=True):
    id: int
    type: str
    ts: datetime
    visitor: str
    tenant: str | None = None
    name: str | None = None
    guide: str | None = None
    step: int | None = None
    url: str | None = None


class LiveFilter(msgspec.Struct, frozen=True):
    """What the viewer asked to see; None lets everything through."""

    type: str | None = None
    tenant: str | None = None
    visitor: str | None = None

    def where(self, app_id: str) -> list[Any]:
        clauses: list[Any] = [Event.app_id == app_id]
        if self.type:
            clauses.append(Event.type == self.type)
        if self.tenant:
            clauses.append(Event.tenant_id == self.tenant)
        if self.visitor:
            clauses.append(Event.visitor_id == self.visitor)
        return clauses


_COLUMNS = (Event.id, Event.type, Event.ts, Event.visitor_id, Event.tenant_id, Event.name, Event.guide_id,
            Event.step, Event.url)


def _live(row: Any) -> LiveEvent:
    return LiveEvent(id=row.id, type=row.type, ts=as_utc(row.ts), visitor=row.visitor_id, tenant=row.tenant_id,
                     name=row.name, guide=row.guide_id, step=row.step, url=row.url)


async def newest_id(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.max(Event.id))) or 0)


async def latest_events(session: AsyncSession, app_id: str, wanted: LiveFilter, limit: int = 50
                        ) -> tuple[list[LiveEvent], int]:
    """The app's ``limit`` newest events passing the filter, oldest first, and the newest id stored of any app.

    The second value is where the stream goes on from: nothing stored after the list is missed.
    """
    newest = await newest_id(session)
    rows = (await session.execute(
        select(*_COLUMNS).where(*wanted.where(app_id), Event.id > newest - FIRST_WINDOW, Event.id <= newest)
        .order_by(Event.id.desc()).limit(limit)
    )).all()
    return [_live(r) for r in reversed(rows)], newest


class LiveReader:
    """One viewer's cursor: each :meth:`poll` returns the events stored since the last one (filtered)."""

    __slots__ = ("_app_id", "_cursor", "_primed", "_sent", "_wanted")

    def __init__(self, app_id: str, wanted: LiveFilter, after: int) -> None:
        self._app_id, self._wanted = app_id, wanted
        self._cursor = after
        """The newest id sent (or the id the viewer's list ended at)."""
        self._sent: set[int] = set()
        """Ids sent (or already there when the viewer's list was made) within the look-back window."""
        self._primed = False

    @property
    def cursor(self) -> int:
        return self._cursor

    async def poll(self, session: AsyncSession) -> list[LiveEvent]:
        """The events stored since the last poll that pass the filter, oldest first (at most a batch)."""
        floor = max(self._cursor - LOOKBACK, 0)
        ids = (await session.scalars(
            select(Event.id).where(*self._wanted.where(self._app_id), Event.id > floor)
            .order_by(Event.id).limit(LOOKBACK + _BATCH)
        )).all()
        if not self._primed:
            # What was stored up to the cursor is what the viewer's list came from: not news.
            self._sent.update(i for i in ids if i <= self._cursor)
            self._primed = True
        fresh = [i for i in ids if i not in self._sent][:_BATCH]
        if not fresh:
            return []
        rows = (await session.execute(select(*_COLUMNS).where(Event.id.in_(fresh)).order_by(Event.id))).all()
        self._sent.update(fresh)
        self._cursor = max(self._cursor, fresh[-1])
        self._sent = {i for i in self._sent if i > self._cursor - LOOKBACK}
        return [_live(r) for r in rows]
