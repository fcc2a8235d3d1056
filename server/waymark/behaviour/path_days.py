"""Paths' day projection: every visitor's sessions of one UTC day, already cut and collapsed, one row per
tenant and day instead of one per step event.

Paths read every label row of their range in time order (1.1 M rows over 30 days of a 10 M-event store),
and handing those rows over from the database was most of a report's time. A row here holds, for each
visitor of one tenant (or of none) on one day, the sessions
:func:`~waymark.behaviour.path_math.visitor_sessions` makes of their label rows that day with the day's first
and last step second, as one JSON document, so :func:`join_days` can join a visitor's days again (a session
running on past midnight goes on, its repeat at the join kept once) into what the label rows would give. A
tenant's scope and a tenant segment narrow the rows by their tenant column, like any other table's.

Kept exact whatever writes the steps, by the database rather than by each writer: triggers on ``steps``
(migration 0025) mark the day of every label row inserted, changed or deleted as stale (ingestion, the bulk
loader, rule changes, aliases, late tenants, erasure, retention, the upgrade's back-fill alike). Each worker's
:class:`PeriodicPathDays` rebuilds the stale days before today, and a report reads from here only the days built since
their last change; every other day (stale, never built, or with a visitor whose rows that day carry two
tenants, whose sessions then depend on which tenant is asked for) it reads from the label rows, as before.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Container, Iterable, Sequence
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, delete, insert, select, true
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from waymark.analytics.steps import Step
from waymark.behaviour.path_math import SESSION_GAP, visitor_sessions
from waymark.behaviour.step_source import second_of
from waymark.clock import utcnow
from waymark.db.models import AppScoped, Base
from waymark.db.periodic import PeriodicJob
from waymark.db.scope import app_session

__all__ = [
    "BUILD_BATCH_DAYS",
    "DAY",
    "PathDay",
    "PathDayBuilt",
    "PathDayStale",
    "PeriodicPathDays",
    "Visit",
    "build_app_days",
    "build_days",
    "build_stale_days",
    "day_visits",
    "join_days",
    "read_days",
]

log = logging.getLogger("waymark")

DAY = 86_400
BUILD_BATCH_DAYS = 2
"""Days rebuilt per transaction: on PostgreSQL the rebuild holds every step write until it commits."""


class PathDay(AppScoped, Base):
    """The sessions of one tenant's visitors (or of the visitors without one) on one day (``day``: days since
    the epoch, UTC), from their label rows; ``part`` numbers a day's rows."""

    __tablename__ = "path_days"

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    part: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str | None] = mapped_column(String(200), default=None)
    visitors: Mapped[str] = mapped_column(Text)
    """A JSON list of ``[visitor, first second, last second, sessions]``, each session a list of steps."""


class PathDayBuilt(AppScoped, Base):
    """A day whose rows in ``path_days`` were built; ``mixed``: some visitor's rows had two tenants."""

    __tablename__ = "path_day_builds"

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    mixed: Mapped[bool] = mapped_column(Boolean, default=False)


class PathDayStale(AppScoped, Base):
    """A day whose label rows changed since it was built (written by the triggers on ``steps`` alone)."""

    __tablename__ = "path_day_stale"

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[int] = mapped_column(Integer, primary_key=True)


Visit = tuple[str, int, int, list[list[str]]]
"""One visitor's day: ``(visitor, first step second, last step second, sessions)``, each session a list of steps."""

_STEPS: Any = Step.__table__.c
_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(list[Visit]).decode


def day_visits(rows: Iterable[tuple[str, str | None, int, str]]
               ) -> tuple[dict[tuple[int, str | None], list[Visit]], set[int]]:
    """The visits of ``(visitor, tenant, second, step)`` label rows in time order, by day and tenant, and the days
    where some visitor's rows carry two tenants (that visitor's visit of the day is then under the last row's)."""
    by_visitor: dict[tuple[int, str], list[tuple[str, int, str]]] = defaultdict(list)
    tenants: dict[tuple[int, str], set[str | None]] = defaultdict(set)
    tenant_of: dict[tuple[int, str], str | None] = {}
    for visitor, tenant, second, step in rows:
        key = (second // DAY, visitor)
        by_visitor[key].append((visitor, second, step))
        tenants[key].add(tenant)
        tenant_of[key] = tenant
    out: dict[tuple[int, str | None], list[Visit]] = defaultdict(list)
    for (day, visitor), steps in by_visitor.items():
        out[(day, tenant_of[(day, visitor)])].append(
            (visitor, steps[0][1], steps[-1][1], visitor_sessions(steps)[visitor]))
    return out, {day for (day, _), found in tenants.items() if len(found) > 1}


def join_days(days: Iterable[Iterable[Visit]]) -> dict[str, list[list[str]]]:
    """Every visitor's sessions from their visits of each day, the days in order (as
    :func:`~waymark.behaviour.path_math.visitor_sessions` cuts the rows the visits came from). The visits'
    lists become the answer's: they are not to be used again."""
    out: dict[str, list[list[str]]] = {}
    last: dict[str, int] = {}
    for visits in days:
        for visitor, first, final, sessions in visits:
            taken = out.get(visitor)
            if taken is None:
                out[visitor] = sessions
            elif first - last[visitor] > SESSION_GAP:
                taken.extend(sessions)
            else:  # the day's first session goes on from the last one before midnight
                going, opening = taken[-1], sessions[0]
                going.extend(opening[1:] if going[-1] == opening[0] else opening)
                taken.extend(sessions[1:])
            last[visitor] = final
    return out


def _label_rows(app_id: str, since: int, until: int) -> Any:
    return (select(_STEPS.visitor_id, _STEPS.tenant_id, _STEPS.second, _STEPS.step)
            .where(_STEPS.app_id == app_id, _STEPS.label == true(), _STEPS.second >= since, _STEPS.second < until)
            .order_by(_STEPS.second, _STEPS.event_id))


def _runs(days: Iterable[int]) -> list[tuple[int, int]]:
    """Consecutive days as ``[first, last]`` runs."""
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and runs[-1][1] == day - 1:
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return [(first, final) for first, final in runs]


async def read_days(session: AsyncSession, app_id: str, since: datetime, until: datetime, *,
                    visitors: Container[str] | None = None, tenants: Container[str | None] | None = None
                    ) -> list[list[Visit]]:
    """The visits of each whole day of ``[since, until)`` in day order, of the label rows of ``visitors`` and of
    ``tenants`` (``None``: all): the built days' from here, the others' made from their label rows. The
    session's scope narrows both to one tenant when it is one's."""
    first, end = second_of(since) // DAY, second_of(until) // DAY
    built = set((await session.scalars(
        select(PathDayBuilt.day).where(PathDayBuilt.day >= first, PathDayBuilt.day < end,
                                       PathDayBuilt.mixed.is_(False)))).all())
    built -= set((await session.scalars(
        select(PathDayStale.day).where(PathDayStale.day >= first, PathDayStale.day < end))).all())
    by_day: dict[int, list[Visit]] = defaultdict(list)
    if built:
        stored: Sequence[Any] = (await session.execute(
            select(PathDay.day, PathDay.tenant_id, PathDay.visitors)
            .where(PathDay.day >= min(built), PathDay.day <= max(built))
        )).all()
        for day, tenant, text in stored:
            if day in built and (tenants is None or tenant in tenants):
                visits = _decode(text)
                by_day[day].extend(visits if visitors is None else [v for v in visits if v[0] in visitors])
    for low, high in _runs(set(range(first, end)) - built):
        rows: Sequence[Any] = (await session.execute(_label_rows(app_id, low * DAY, (high + 1) * DAY))).all()
        if visitors is not None or tenants is not None:
            rows = [row for row in rows if (visitors is None or row[0] in visitors)
                    and (tenants is None or row[1] in tenants)]
        for (day, _), visits in day_visits(rows)[0].items():
            by_day[day].extend(visits)
    return [by_day[day] for day in sorted(by_day)]


async def _hold_step_writes(session: AsyncSession) -> None:
    """PostgreSQL: wait for the transactions writing steps to end, and hold new ones until this one does, so
    that every label row written before the rebuild is in what it reads and every one after marks its day
    again. (SQLite has one writer: the rebuild's first write holds the others.) The statement names no app,
    so it goes to the connection, past the scope's check of raw SQL."""
    if session.get_bind().dialect.name == "postgresql":
        await (await session.connection()).exec_driver_sql("LOCK TABLE steps IN SHARE MODE")


async def build_days(session: AsyncSession, app_id: str, days: Sequence[int]) -> list[int]:
    """Rebuild those of ``days`` still marked stale, in the session's transaction (the app's scope), and return
    them; a day another worker took meanwhile is left to it."""
    await _hold_step_writes(session)
    taken = sorted((await session.scalars(
        delete(PathDayStale).where(PathDayStale.day.in_(list(days))).returning(PathDayStale.day))).all())
    if not taken:
        return []
    rows: list[Any] = []
    for low, high in _runs(taken):
        rows.extend((await session.execute(_label_rows(app_id, low * DAY, (high + 1) * DAY))).all())
    by_tenant, mixed = day_visits(rows)
    await session.execute(delete(PathDay).where(PathDay.day.in_(taken)))
    await session.execute(delete(PathDayBuilt).where(PathDayBuilt.day.in_(taken)))
    parts: dict[int, int] = defaultdict(int)
    kept = []
    for (day, tenant), visits in by_tenant.items():
        if day in mixed:
            continue
        kept.append({"app_id": app_id, "day": day, "part": parts[day], "tenant_id": tenant,
                     "visitors": _encode(visits).decode()})
        parts[day] += 1
    for at in range(0, len(kept), 1_000):
        await session.execute(insert(PathDay), kept[at:at + 1_000])
    await session.execute(insert(PathDayBuilt), [{"app_id": app_id, "day": day, "mixed": day in mixed}
                                                 for day in taken])
    return taken


async def build_stale_days(sessionmaker: async_sessionmaker[AsyncSession], app_id: str) -> int:
    """Rebuild the days of the app marked stale when it starts, before today (UTC), the latest first,
    :data:`BUILD_BATCH_DAYS` per transaction (each holds step writes only that long); how many days were rebuilt.

    Today is left to its label rows: events keep marking it while they arrive, and rebuilding it on every run
    held step writes each time (1.3 to 2 s for two days of the 10 M store on PostgreSQL here, most of it writing
    the day's rows). A day over is rebuilt once, and again only when late events, rules or erasure change it.
    A day marked again meanwhile waits for the next run, so a run always ends."""
    today = int(utcnow().timestamp()) // DAY
    async with app_session(sessionmaker, app_id) as session:
        stale = list((await session.scalars(select(PathDayStale.day).where(PathDayStale.day < today)
                                            .order_by(PathDayStale.day.desc()))).all())
    done = 0
    for at in range(0, len(stale), BUILD_BATCH_DAYS):
        async with app_session(sessionmaker, app_id) as session:
            done += len(await build_days(session, app_id, stale[at:at + BUILD_BATCH_DAYS]))
            await session.commit()
    return done


async def build_app_days(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """Rebuild the stale days of every app that has some; days rebuilt by app."""
    async with sessionmaker() as session:
        apps = sorted((await session.scalars(select(PathDayStale.app_id).distinct())).all())
    return {app_id: await build_stale_days(sessionmaker, app_id) for app_id in apps}


class PeriodicPathDays(PeriodicJob):
    """Rebuilds the stale days of paths' projection every ``interval`` seconds inside a server worker (``0``:
    never; reports then read the label rows of every day changed since its last build)."""

    __slots__ = ("_sessionmaker",)
    name = "waymark-path-days"

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], interval: float) -> None:
        super().__init__(interval)
        self._sessionmaker = sessionmaker

    async def run_once(self) -> None:
        for app_id, days in (await build_app_days(self._sessionmaker)).items():
            log.debug("paths: %d days of app %s rebuilt", days, app_id)
