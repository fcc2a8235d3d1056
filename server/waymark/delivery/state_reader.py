"""Reading one visitor's guide state on the delivery hot path, with the cheapest driver per database.

On SQLite a plain ``sqlite3`` connection per worker reads in WAL mode without
waiting for writers; an indexed lookup takes tens of microseconds, far less than a
hop through SQLAlchemy's async layer and aiosqlite's thread (about 1.3 ms here),
so it runs inline. On PostgreSQL the query goes through the async engine.

For an app whose guides target cohorts, the visitor's cohort ids ride in the same query: one more
indexed branch on ``cohort_members (app_id, visitor_id)``; membership itself is kept current by
:mod:`waymark.behaviour.cohort_refresh`, never computed here.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from sqlalchemy import Executable, literal, null, select, union_all
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from waymark.behaviour.cohort_models import CohortMember
from waymark.db.models import GuideState as StateRow
from waymark.db.models import Visitor
from waymark.guides.frequency import GuideState

__all__ = ["NO_COHORTS", "NO_HISTORY", "AutoHistory", "CohortState", "StateReader", "VisitorState",
           "make_state_reader"]


class AutoHistory(NamedTuple):
    """What the attention budget needs to know of a visitor's automatic guides."""

    last_at: datetime | None = None
    last_guide: str | None = None
    day: datetime | None = None
    """The UTC day (at midnight) that ``shown`` counts."""
    shown: int = 0


NO_HISTORY = AutoHistory()
VisitorState = tuple[dict[str, GuideState], AutoHistory]
CohortState = tuple[dict[str, GuideState], AutoHistory, frozenset[str]]
"""The visitor state with the ids of the cohorts the visitor is in."""
NO_COHORTS: frozenset[str] = frozenset()
_COHORT_ROW = ""
"""The status column of a cohort row (a guide state's status is never empty, the visitor row's is NULL)."""

# The visitor's own row rides in the same query: its status is NULL (a guide state's never is).
_SQLITE_QUERY = (
    "SELECT guide_id, status, step, last_seen_at, snoozed_until, completed_at FROM guide_states"
    " WHERE app_id = ? AND visitor_id = ?"
    " UNION ALL SELECT last_auto_guide_id, NULL, auto_guides_count, last_auto_guide_at, auto_guides_day, NULL"
    " FROM visitors WHERE app_id = ? AND id = ?"
)
_SQLITE_COHORT_QUERY = (
    _SQLITE_QUERY + " UNION ALL SELECT cohort_id, '', 0, NULL, NULL, NULL FROM cohort_members"
    " WHERE app_id = ? AND visitor_id = ?"
)


class StateReader(Protocol):
    async def read(self, app_id: str, visitor_id: str) -> VisitorState: ...

    async def read_with_cohorts(self, app_id: str, visitor_id: str) -> CohortState: ...


def _when(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def _fold(rows: Any) -> CohortState:
    states: dict[str, GuideState] = {}
    history = NO_HISTORY
    cohorts: list[str] = []
    for guide_id, status, step, last_seen, snoozed, completed in rows:
        if status == _COHORT_ROW:
            cohorts.append(guide_id)
            continue
        if status is None:
            history = AutoHistory(_when(last_seen), guide_id, _when(snoozed), step or 0)
            continue
        states[guide_id] = GuideState(
            status=status, step=step, last_seen_at=_when(last_seen), snoozed_until=_when(snoozed),
            completed_at=_when(completed),
        )
    return states, history, frozenset(cohorts) if cohorts else NO_COHORTS


class SqliteStateReader:
    __slots__ = ("_conn", "_path")

    def __init__(self, path: str) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:  # opened lazily: after the worker process has forked
            self._conn = sqlite3.connect(self._path, check_same_thread=False, timeout=5)
            self._conn.execute("PRAGMA query_only = 1")
        return self._conn

    async def read(self, app_id: str, visitor_id: str) -> VisitorState:
        states, history, _ = _fold(self._connection().execute(_SQLITE_QUERY, (app_id, visitor_id, app_id, visitor_id)))
        return states, history

    async def read_with_cohorts(self, app_id: str, visitor_id: str) -> CohortState:
        return _fold(self._connection().execute(
            _SQLITE_COHORT_QUERY, (app_id, visitor_id, app_id, visitor_id, app_id, visitor_id)))


class EngineStateReader:
    __slots__ = ("_engine",)

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def read(self, app_id: str, visitor_id: str) -> VisitorState:
        states, history, _ = await self._read(app_id, visitor_id, cohorts=False)
        return states, history

    async def read_with_cohorts(self, app_id: str, visitor_id: str) -> CohortState:
        return await self._read(app_id, visitor_id, cohorts=True)

    async def _read(self, app_id: str, visitor_id: str, cohorts: bool) -> CohortState:
        parts: list[Any] = [
            select(
                StateRow.guide_id, StateRow.status, StateRow.step, StateRow.last_seen_at, StateRow.snoozed_until,
                StateRow.completed_at,
            ).where(StateRow.app_id == app_id, StateRow.visitor_id == visitor_id),
            select(
                Visitor.last_auto_guide_id, null(), Visitor.auto_guides_count, Visitor.last_auto_guide_at,
                Visitor.auto_guides_day, null(),
            ).where(
                Visitor.app_id == app_id, Visitor.id == visitor_id
            ),
        ]
        if cohorts:
            parts.append(select(CohortMember.cohort_id, literal(_COHORT_ROW), literal(0), null(), null(), null())
                         .where(CohortMember.app_id == app_id, CohortMember.visitor_id == visitor_id))
        query: Executable = union_all(*parts)
        async with self._engine.connect() as conn:
            return _fold(await conn.execute(query))


def make_state_reader(database_url: str, engine: AsyncEngine) -> StateReader:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return SqliteStateReader(url.database)
    return EngineStateReader(engine)
