"""Recording held-out visitors (once each) and computing a guide's lift report from events and roll-ups."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

import msgspec
from sqlalchemy import Date, String, case, cast, column, func, select, values
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from waymark.clock import as_utc
from waymark.db.models import DailyUsage, Guide, GuideVersion
from waymark.db.upsert import insert_for
from waymark.guides.compiler import CompiledGuide
from waymark.guides.schemas import GuideFile
from waymark.guidestats.models import GuideDailyStat
from waymark.holdouts.lift import rate, two_proportion_difference
from waymark.holdouts.models import GuideHoldout
from waymark.holdouts.schemas import LiftArm, LiftGoal, LiftReport

__all__ = ["HoldoutRecorder", "LiftUnavailable", "lift_csv", "lift_report"]

_REMEMBERED = 100_000
_IDS_A_QUERY = 10_000
"""Tenants in one IN list: below SQLite's and asyncpg's limits on bound parameters."""
_WINDOWS_A_QUERY = 5_000
"""Visitors' goal windows in one VALUES list (three parameters each)."""


class LiftUnavailable(LookupError):
    """No lift report for this guide: it is unknown (``missing``) or names no goal."""

    def __init__(self, message: str, missing: bool) -> None:
        super().__init__(message)
        self.missing = missing


class HoldoutRecorder:
    """Writes each (guide, visitor) holdout once; a worker remembers what it wrote so delivery skips the database."""

    __slots__ = ("_done", "_sessionmaker")

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        self._done: set[tuple[str, str, str]] = set()

    async def record(
        self, app_id: str, guides: Iterable[CompiledGuide], visitor: str, tenant: str | None, now: datetime
    ) -> None:
        fresh = [g.id for g in guides if (app_id, g.id, visitor) not in self._done]
        if not fresh:
            return
        async with self._sessionmaker() as session:
            # The first time wins: the goal window starts when the visitor was first held out.
            await session.execute(
                insert_for(session, GuideHoldout).on_conflict_do_nothing(
                    index_elements=["app_id", "guide_id", "visitor_id"]),
                [{"app_id": app_id, "guide_id": g, "visitor_id": visitor, "tenant_id": tenant, "held_at": now}
                 for g in fresh],
            )
            await session.commit()
        if len(self._done) >= _REMEMBERED:
            self._done.clear()
        self._done.update((app_id, g, visitor) for g in fresh)


Unit = tuple[str, str]
"""("visitor", id) or ("tenant", id)."""


def _unit(by_tenant: bool, visitor: str, tenant: str | None) -> Unit:
    return ("tenant", tenant) if by_tenant and tenant else ("visitor", visitor)


def _goal_rows(app_id: str, kind: str, key: str) -> list[Any]:
    """The goal's rows of the daily roll-up: a page counts when viewed (time alone is no visit)."""
    used = [DailyUsage.app_id == app_id, DailyUsage.kind == kind, DailyUsage.key == key]
    return [*used, DailyUsage.count > 0] if kind == "page" else used


async def _visitor_arm(session: AsyncSession, app_id: str, guide_id: str, kind: str, key: str, days: int,
                      arm: Literal["shown", "held"]) -> LiftArm:
    """An arm of visitors, and those who reached the goal within ``days`` of their start, counted by the database.

    Each visitor's window comes from the tables themselves (first day seen, or held out), and
    the goal is one index probe per visitor (``ix_daily_usage_goal``): nothing crosses the wire
    but the count, however large the arm.
    """
    sqlite = session.get_bind().dialect.name == "sqlite"
    held = select(GuideHoldout.visitor_id).where(GuideHoldout.app_id == app_id, GuideHoldout.guide_id == guide_id)
    if arm == "held":
        start = func.date(GuideHoldout.held_at) if sqlite else cast(func.timezone("UTC", GuideHoldout.held_at), Date)
        units = select(GuideHoldout.visitor_id.label("unit"), start.label("start")).where(
            GuideHoldout.app_id == app_id, GuideHoldout.guide_id == guide_id).subquery()
    else:
        units = (
            select(GuideDailyStat.visitor_id.label("unit"), func.min(GuideDailyStat.day).label("start"))
            .where(GuideDailyStat.app_id == app_id, GuideDailyStat.guide_id == guide_id, GuideDailyStat.seen > 0,
                   GuideDailyStat.visitor_id.not_in(held))
            .group_by(GuideDailyStat.visitor_id).subquery()
        )
    stop = func.date(units.c.start, f"+{days} days") if sqlite else units.c.start + days
    # SELECT day, not *: the index answers alone (no row of daily_usage is read).
    reached = select(DailyUsage.day).where(*_goal_rows(app_id, kind, key), DailyUsage.visitor_id == units.c.unit,
                                           DailyUsage.day >= units.c.start, DailyUsage.day <= stop).exists()
    n, hits = (await session.execute(
        select(func.count(), func.sum(case((reached, 1), else_=0))).select_from(units))).one()
    return LiftArm(n=int(n), reached=int(hits or 0), rate=rate(int(hits or 0), int(n)))


async def _tenant_arms(session: AsyncSession, app_id: str, guide_id: str, kind: str, key: str, window: timedelta
                       ) -> tuple[LiftArm, LiftArm]:
    """The arms of a tenant holdout: tenants (visitors without one count alone) and those who reached the goal."""
    held = _earliest((await session.execute(
        select(GuideHoldout.visitor_id, GuideHoldout.tenant_id, GuideHoldout.held_at)
        .where(GuideHoldout.app_id == app_id, GuideHoldout.guide_id == guide_id)
    )).all(), True)
    # Who saw it, and on which day first: from the guide figures' day rows (never the raw events).
    shown = _earliest(((visitor, tenant or None, datetime.combine(day, time(), UTC)) for visitor, tenant, day in (
        await session.execute(
            select(GuideDailyStat.visitor_id, func.max(GuideDailyStat.tenant_id), func.min(GuideDailyStat.day))
            .where(GuideDailyStat.app_id == app_id, GuideDailyStat.guide_id == guide_id, GuideDailyStat.seen > 0)
            .group_by(GuideDailyStat.visitor_id)
        )).all()), True)
    shown = {u: d for u, d in shown.items() if u not in held}
    arms = []
    for starts in (shown, held):
        reached = await _reached(session, app_id, kind, key, starts, window)
        arms.append(LiftArm(n=len(starts), reached=reached, rate=rate(reached, len(starts))))
    return arms[0], arms[1]


async def _reached(session: AsyncSession, app_id: str, kind: str, key: str, starts: dict[Unit, date],
                   window: timedelta) -> int:
    """How many units of a tenant holdout reached the goal on their start day or within ``window`` after.

    Tenants (few): their goal days. Visitors without a tenant: one index probe each, their
    windows sent along as a VALUES list.
    """
    used = _goal_rows(app_id, kind, key)
    visitors = sorted((unit, start, start + window) for (kind_of, unit), start in starts.items()
                      if kind_of == "visitor")
    reached = 0
    for at in range(0, len(visitors), _WINDOWS_A_QUERY):
        arms = values(column("unit", String), column("start", Date), column("stop", Date), name="arms").data(
            visitors[at:at + _WINDOWS_A_QUERY]).cte("arms")
        reached += int(await session.scalar(select(func.count()).select_from(arms).where(select(DailyUsage.day).where(
            *used, DailyUsage.visitor_id == arms.c.unit, DailyUsage.day >= arms.c.start,
            DailyUsage.day <= arms.c.stop).exists())) or 0)
    tenants = {unit: start for (kind_of, unit), start in starts.items() if kind_of == "tenant"}
    ids = sorted(tenants)
    goal_days: dict[str, list[date]] = {}
    for at in range(0, len(ids), _IDS_A_QUERY):
        rows = (await session.execute(
            select(DailyUsage.tenant_id, DailyUsage.day)
            .where(*used, DailyUsage.tenant_id.in_(ids[at:at + _IDS_A_QUERY]),
                   DailyUsage.day >= min(tenants.values()), DailyUsage.day <= max(tenants.values()) + window)
            .group_by(DailyUsage.tenant_id, DailyUsage.day)
        )).all()
        for tenant, day in rows:
            goal_days.setdefault(tenant, []).append(day)
    return reached + sum(1 for tenant, start in tenants.items()
                         if any(start <= day <= start + window for day in goal_days.get(tenant, ())))


def _earliest(rows: Iterable[tuple[str, str | None, datetime]], by_tenant: bool) -> dict[Unit, date]:
    starts: dict[Unit, date] = {}
    for visitor, tenant, moment in rows:
        unit = _unit(by_tenant, visitor, tenant)
        day = as_utc(moment).date()
        if unit not in starts or day < starts[unit]:
            starts[unit] = day
    return starts


async def _definition(session: AsyncSession, app_id: str, guide_id: str) -> GuideFile:
    found = (await session.execute(
        select(GuideVersion.definition)
        .join(Guide, (Guide.app_id == GuideVersion.app_id) & (Guide.id == GuideVersion.guide_id)
              & (Guide.published_version == GuideVersion.version))
        .where(GuideVersion.app_id == app_id, GuideVersion.guide_id == guide_id)
    )).scalar_one_or_none()
    if found is None:
        raise LiftUnavailable(f"no published guide {guide_id!r}", missing=True)
    return msgspec.convert(found, GuideFile)


async def lift_report(session: AsyncSession, app_id: str, guide_id: str) -> LiftReport:
    """Goal rate of units who saw the guide versus units held out of it, by UTC day.

    A unit reached the goal when the goal (a page, a feature or a track event, from the daily
    roll-up) happened on the day its window opened or within ``days`` days after. A unit held
    out is never in the shown arm.
    """
    guide = await _definition(session, app_id, guide_id)
    if guide.goal is None:
        raise LiftUnavailable(f"guide {guide_id!r} names no goal (add goal: {{event|page|feature, days}})",
                              missing=False)
    goal = guide.goal
    kind: Literal["page", "feature", "event"] = "page" if goal.page else "feature" if goal.feature else "event"
    key = goal.page or goal.feature or goal.event or ""
    by_tenant = guide.hold_out is not None and guide.hold_out.unit == "tenant"
    if by_tenant:
        shown_arm, held_arm = await _tenant_arms(session, app_id, guide_id, kind, key, timedelta(days=goal.days))
    else:
        shown_arm = await _visitor_arm(session, app_id, guide_id, kind, key, goal.days, "shown")
        held_arm = await _visitor_arm(session, app_id, guide_id, kind, key, goal.days, "held")
    difference = two_proportion_difference(shown_arm.reached, shown_arm.n, held_arm.reached, held_arm.n)
    return LiftReport(
        guide=guide_id, unit="tenant" if by_tenant else "visitor",
        goal=LiftGoal(kind=kind, key=key, days=goal.days), shown=shown_arm, held_out=held_arm,
        difference=difference.value if difference else None,
        ci95=[difference.low, difference.high] if difference else None,
    )


def lift_csv(report: LiftReport) -> str:
    """One line per arm, with the difference and its interval repeated on each (spreadsheets filter by arm)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["guide", "unit", "goal_kind", "goal", "goal_days", "arm", "n", "reached", "rate",
                     "difference", "ci95_low", "ci95_high"])
    low, high = report.ci95 if report.ci95 else (None, None)
    arms: Sequence[tuple[str, LiftArm]] = (("shown", report.shown), ("held_out", report.held_out))
    for name, arm in arms:
        writer.writerow([report.guide, report.unit, report.goal.kind, report.goal.key, report.goal.days, name,
                         arm.n, arm.reached, _num(arm.rate), _num(report.difference), _num(low), _num(high)])
    return out.getvalue()


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}"
