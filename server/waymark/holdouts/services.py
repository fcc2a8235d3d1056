"""Recording held-out visitors (once each) and computing a guide's lift report from events and roll-ups."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

import msgspec
from sqlalchemy import func, select
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
"""Units in one IN list: below SQLite's and asyncpg's limits on bound parameters."""


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
    held = _earliest((await session.execute(
        select(GuideHoldout.visitor_id, GuideHoldout.tenant_id, GuideHoldout.held_at)
        .where(GuideHoldout.app_id == app_id, GuideHoldout.guide_id == guide_id)
    )).all(), by_tenant)
    # Who saw it, and on which day first: from the guide figures' day rows (never the raw events).
    shown = _earliest(((visitor, tenant or None, datetime.combine(day, time(), UTC)) for visitor, tenant, day in (
        await session.execute(
            select(GuideDailyStat.visitor_id, func.max(GuideDailyStat.tenant_id), func.min(GuideDailyStat.day))
            .where(GuideDailyStat.app_id == app_id, GuideDailyStat.guide_id == guide_id, GuideDailyStat.seen > 0)
            .group_by(GuideDailyStat.visitor_id)
        )).all()), by_tenant)
    shown = {u: d for u, d in shown.items() if u not in held}
    window = timedelta(days=goal.days)
    reached_days: dict[Unit, list[date]] = {}
    starts = [*held.values(), *shown.values()]
    if starts:
        # Only the arms' units' goal rows: index probes (ix_daily_usage_goal), however much else was done.
        units = [*held, *shown]
        for column, name in ((DailyUsage.visitor_id, "visitor"), (DailyUsage.tenant_id, "tenant")):
            ids = sorted(unit for kind_of, unit in units if kind_of == name)
            for at in range(0, len(ids), _IDS_A_QUERY):
                rows = (await session.execute(
                    select(DailyUsage.visitor_id, DailyUsage.tenant_id, DailyUsage.day)
                    .where(DailyUsage.app_id == app_id, DailyUsage.kind == kind, DailyUsage.key == key,
                           column.in_(ids[at:at + _IDS_A_QUERY]), DailyUsage.count > 0,
                           DailyUsage.day >= min(starts), DailyUsage.day <= max(starts) + window)
                )).all()
                for visitor, tenant, day in rows:
                    reached_days.setdefault(_unit(by_tenant, visitor, tenant or None), []).append(day)

    def arm(starts: dict[Unit, date]) -> LiftArm:
        reached = sum(
            1 for unit, start in starts.items()
            if any(start <= day <= start + window for day in reached_days.get(unit, ()))
        )
        return LiftArm(n=len(starts), reached=reached, rate=rate(reached, len(starts)))

    shown_arm, held_arm = arm(shown), arm(held)
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
