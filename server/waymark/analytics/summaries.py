"""Keeping the report summaries (``app_days``, ``tenant_days``) current: marks written where roll-ups change,
and a refresh that recomputes what they name from ``daily_usage``.

Why marks and a refresh rather than counting on ingest: an app-wide row for today would be
updated by every ingest transaction (a hot row that serialises writers on PostgreSQL), and
distinct counts cannot be updated by addition. So every writer of ``daily_usage`` (ingestion's
projection, identity merges, tenant backfills, rule rebuilds, erasure, the bulk loader) only
inserts-or-ignores a mark per (day, tenant) it touched, in its own transaction; the refresh
recomputes a marked day of the app from that day's rows, and a marked tenant's trailing
figures from its rows of the 30 days before the earliest marked day on. Recomputing is
idempotent, so a late event, a second refresh or two workers refreshing together all land on
the same rows; each unit of work takes a per-app lock on PostgreSQL (SQLite has one writer)
and claims its marks by deleting them in the transaction that writes the new rows, so a mark
written meanwhile is never lost. Retention purges events, not roll-ups, so it changes nothing here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Table, delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from waymark.analytics.models import AppDay, SummaryMark, TenantDay
from waymark.analytics.sketches import sketch_of, union_count
from waymark.analytics.stickiness import BANDS, MONTH, WEEK, Cumulative, band, tenant_day_figures
from waymark.clock import as_utc
from waymark.db.models import DailyUsage, Visitor
from waymark.db.upsert import insert_for

__all__ = [
    "SUMMARY_KINDS",
    "Refreshed",
    "first_days",
    "forget_visitors",
    "mark",
    "mark_all",
    "mark_days",
    "pending_days",
    "refresh_day",
    "refresh_summaries",
    "refresh_tenant",
]

SUMMARY_KINDS = ("active", "page", "feature", "browser", "language")
"""The roll-up kinds an app's day is summarised by."""
_MARKS: Table = SummaryMark.__table__  # type: ignore[assignment]  # typed FromClause; declarative maps a Table
_CHUNK = 500
_ROLLING_PER_COMMIT = 30


@cache
def _mark_insert(dialect: str) -> Any:
    return insert_for(dialect, _MARKS).on_conflict_do_nothing(index_elements=["app_id", "part", "day", "tenant_id"])


async def mark(session: AsyncSession, app_id: str, touched: Iterable[tuple[date, str]]) -> None:
    """Mark each (day, tenant) whose roll-up rows changed: the app's day and the tenant from that day on."""
    pairs = set(touched)
    if not pairs:
        return
    rows = {(("day", d, "") if part else ("tenant", d, t)) for d, t in pairs for part in (0, 1)}
    await session.execute(
        _mark_insert(session.get_bind().dialect.name),
        [{"app_id": app_id, "part": p, "day": d, "tenant_id": t} for p, d, t in sorted(rows)],
    )


async def mark_days(session: AsyncSession, app_id: str, days: Iterable[date]) -> None:
    """Mark the app's days only (a page or feature rule recounted: tenants' activity is unchanged)."""
    wanted = sorted(set(days))
    if wanted:
        await session.execute(_mark_insert(session.get_bind().dialect.name),
                              [{"app_id": app_id, "part": "day", "day": d, "tenant_id": ""} for d in wanted])


async def mark_all(session: AsyncSession, app_id: str) -> None:
    """Mark every day and tenant that has roll-ups (around a full rebuild)."""
    active = (DailyUsage.app_id == app_id, DailyUsage.kind == "active")
    days = (await session.scalars(select(DailyUsage.day).where(*active).distinct())).all()
    await mark_days(session, app_id, days)
    firsts = (await session.execute(
        select(func.min(DailyUsage.day), DailyUsage.tenant_id).where(*active).group_by(DailyUsage.tenant_id)
    )).tuples().all()
    if firsts:
        await session.execute(_mark_insert(session.get_bind().dialect.name), [
            {"app_id": app_id, "part": "tenant", "day": d, "tenant_id": t} for d, t in sorted(firsts)])


async def forget_visitors(session: AsyncSession, app_id: str, visitor_ids: Sequence[str]) -> None:
    """Before a visitor's roll-ups are erased: mark the days and tenants their activity counted in."""
    touched = (await session.execute(
        select(DailyUsage.day, DailyUsage.tenant_id).where(
            DailyUsage.app_id == app_id, DailyUsage.visitor_id.in_(list(visitor_ids)), DailyUsage.kind == "active")
        .distinct()
    )).tuples().all()
    await mark(session, app_id, touched)


async def pending_days(session: AsyncSession, app_id: str) -> int:
    """How many of the app's days wait for a refresh."""
    return int(await session.scalar(
        select(func.count()).select_from(SummaryMark).where(SummaryMark.app_id == app_id, SummaryMark.part == "day")
    ) or 0)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


async def first_days(session: AsyncSession, app_id: str, visitors: Iterable[str]) -> dict[str, date]:
    """Each visitor's first-seen UTC day (what "new visitor" means)."""
    ids = sorted(set(visitors))
    found: dict[str, date] = {}
    for i in range(0, len(ids), _CHUNK):
        rows = (await session.execute(select(Visitor.id, Visitor.first_seen).where(
            Visitor.app_id == app_id, Visitor.id.in_(ids[i:i + _CHUNK])))).tuples().all()
        found.update((v, as_utc(seen).date()) for v, seen in rows)
    return found


async def _lock(session: AsyncSession, app_id: str) -> None:
    """One refresher per app at a time on PostgreSQL, until this transaction ends (SQLite has one writer)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"waymark-summaries:{app_id}"})


async def _last_day(session: AsyncSession, app_id: str) -> date | None:
    """The app's latest day with roll-ups (a primary-key lookup)."""
    return await session.scalar(select(func.max(DailyUsage.day)).where(DailyUsage.app_id == app_id))


async def _mark_rolling(session: AsyncSession, app_id: str, first: date, last: date | None) -> None:
    """The app's trailing figures of ``first`` .. ``last`` (at most 30 days, none past the data) are to be redone."""
    if last is None:
        return
    days = _days(first, min(last, first + timedelta(days=MONTH - 1)))
    if days:
        await session.execute(_mark_insert(session.get_bind().dialect.name),
                              [{"app_id": app_id, "part": "rolling", "day": d, "tenant_id": ""} for d in days])


async def refresh_tenant(session: AsyncSession, app_id: str, tenant: str, start: date) -> int:
    """Recompute ``tenant``'s rows from ``start`` on; returns how many rows it now has from there."""
    last_day = await _last_day(session, app_id)
    await _mark_rolling(session, app_id, start, last_day)  # the app's histogram and bands sum the tenants
    await session.execute(delete(TenantDay).where(
        TenantDay.app_id == app_id, TenantDay.tenant_id == tenant, TenantDay.day >= start))
    if last_day is None or last_day < start - timedelta(days=MONTH - 1):
        return 0
    days = _days(start - timedelta(days=MONTH - 1), max(last_day, start))
    active: dict[date, dict[str, tuple[int, int]]] = {}
    for i in range(0, len(days), _CHUNK):
        rows = (await session.execute(select(
            DailyUsage.day, DailyUsage.visitor_id, DailyUsage.count, DailyUsage.ms,
        ).where(DailyUsage.app_id == app_id, DailyUsage.day.in_(days[i:i + _CHUNK]),
                DailyUsage.tenant_id == tenant, DailyUsage.kind == "active", DailyUsage.key == ""))).tuples().all()
        for day, visitor, count, ms in rows:
            active.setdefault(day, {})[visitor] = (int(count), int(ms))
    before_row = (await session.execute(
        select(TenantDay.cum_dau_mau, TenantDay.cum_wau_mau, TenantDay.cum_days, TenantDay.cum_dau)
        .where(TenantDay.app_id == app_id, TenantDay.tenant_id == tenant, TenantDay.day < start)
        .order_by(TenantDay.day.desc()).limit(1)
    )).first()
    before = Cumulative(*before_row) if before_row is not None else Cumulative()
    seen = await first_days(session, app_id, {v for who in active.values() for v in who})
    figures = tenant_day_figures(active, seen, start, before)
    if figures:
        await session.execute(insert_for(session, TenantDay), [
            {"app_id": app_id, "day": f.day, "tenant_id": tenant, "dau": f.dau, "wau": f.wau, "mau": f.mau,
             "events": f.events, "ms": f.ms, "new_visitors": f.new_visitors, "active_days": f.active_days,
             "days_hist": f.days_hist, "cum_dau_mau": f.cum.dau_mau, "cum_wau_mau": f.cum.wau_mau,
             "cum_days": f.cum.days, "cum_dau": f.cum.dau}
            for f in figures
        ])
    return len(figures)


async def refresh_day(session: AsyncSession, app_id: str, day: date) -> int:
    """Recompute the app's summary rows of ``day`` from that day's roll-ups; returns the rows written."""
    rows = (await session.execute(select(
        DailyUsage.visitor_id, DailyUsage.kind, DailyUsage.key, DailyUsage.count, DailyUsage.ms,
    ).where(DailyUsage.app_id == app_id, DailyUsage.day == day, DailyUsage.kind.in_(SUMMARY_KINDS)))).tuples().all()
    # A big day is seconds of pure Python at most: in a thread, so a server worker keeps answering meanwhile.
    groups = await asyncio.to_thread(_group, rows)
    seen = await first_days(session, app_id, groups.get(("active", ""), (set(), [0, 0]))[0])
    await session.execute(delete(AppDay).where(AppDay.app_id == app_id, AppDay.day == day))
    values = await asyncio.to_thread(_app_day_values, app_id, day, groups, seen)
    await _mark_rolling(session, app_id, day, await _last_day(session, app_id))
    if values:
        await session.execute(insert_for(session, AppDay), values)
    return len(values)


def _group(rows: Sequence[tuple[str, str, str, int, int]]) -> dict[tuple[str, str], tuple[set[str], list[int]]]:
    groups: dict[tuple[str, str], tuple[set[str], list[int]]] = {}
    for visitor, kind, key, count, ms in rows:
        group = groups.get((kind, key))
        if group is None:
            group = groups[(kind, key)] = (set(), [0, 0])
        if count or kind != "page":  # a page's row may hold only time (no view): not a visitor of the page
            group[0].add(visitor)
        group[1][0] += int(count)
        group[1][1] += int(ms)
    return groups


def _app_day_values(app_id: str, day: date, groups: dict[tuple[str, str], tuple[set[str], list[int]]],
                    seen: dict[str, date]) -> list[dict[str, Any]]:
    return [
        {"app_id": app_id, "day": day, "kind": kind, "key": key, "visitors": len(who), "count": sums[0],
         "ms": sums[1], "new_visitors": sum(1 for v in who if seen.get(v) == day) if kind == "active" else 0,
         "sketch": sketch_of(who)}
        for (kind, key), (who, sums) in sorted(groups.items())
    ]


async def refresh_rolling(session: AsyncSession, app_id: str, day: date) -> None:
    """The app's trailing figures on ``day``: WAU and MAU (unions of the days' sketches), the days-active
    histogram and the frequency bands (sums over the tenants' rows of that day)."""
    window = _days(day - timedelta(days=MONTH - 1), day)
    sketches = dict((await session.execute(select(AppDay.day, AppDay.sketch).where(
        AppDay.app_id == app_id, AppDay.day.in_(window), AppDay.kind == "active"))).tuples().all())
    histogram, bands = [0] * MONTH, [0] * len(BANDS)
    for active_days, hist in (await session.execute(select(TenantDay.active_days, TenantDay.days_hist).where(
            TenantDay.app_id == app_id, TenantDay.day == day))).tuples().all():
        for k, n in enumerate(hist[:MONTH]):
            histogram[k] += int(n)
        named = band(active_days)
        if named:
            bands[BANDS.index(named)] += 1
    figures = {"wau": union_count(sketches.get(d) for d in window[-WEEK:]),
               "mau": union_count(sketches.values()), "days_hist": histogram, "bands": bands}
    done = await session.execute(update(AppDay).where(
        AppDay.app_id == app_id, AppDay.day == day, AppDay.kind == "active", AppDay.key == "").values(**figures)
        .execution_options(synchronize_session=False))
    if not done.rowcount:  # type: ignore[attr-defined]  # DML gives a CursorResult, typed Result
        # a day without activity within 30 days of some: its row holds only the trailing figures
        await session.execute(insert_for(session, AppDay), [
            {"app_id": app_id, "day": day, "kind": "active", "key": "", "visitors": 0, "count": 0, "ms": 0,
             "new_visitors": 0, "sketch": None, **figures}])


@dataclass(frozen=True, slots=True)
class Refreshed:
    days: int
    tenants: int


async def _claim(session: AsyncSession, app_id: str, part: str, **where: Any) -> list[date]:
    """Delete (claim) the marks of one unit of work; the days they named (none: another refresher took them)."""
    query = delete(SummaryMark).where(SummaryMark.app_id == app_id, SummaryMark.part == part,
                                      *(getattr(SummaryMark, k) == v for k, v in where.items()))
    return list((await session.scalars(query.returning(SummaryMark.day))).all())


async def refresh_summaries(
    sessionmaker: async_sessionmaker[AsyncSession], app_id: str, *, tenants_per_commit: int = 50
) -> Refreshed:
    """Recompute everything the app's marks name; each day, and each group of tenants, commits on its own.

    A worker's job: its sessions are not bound to a request's scope (every statement names the app).
    """
    async with sessionmaker() as session:
        tenants = sorted((await session.execute(
            select(SummaryMark.tenant_id).where(SummaryMark.app_id == app_id, SummaryMark.part == "tenant")
            .distinct())).scalars().all())
        days = sorted((await session.execute(
            select(SummaryMark.day).where(SummaryMark.app_id == app_id, SummaryMark.part == "day"))).scalars().all())
    done_tenants = 0
    for i in range(0, len(tenants), tenants_per_commit):
        async with sessionmaker() as session:
            await _lock(session, app_id)
            for tenant in tenants[i:i + tenants_per_commit]:
                claimed = await _claim(session, app_id, "tenant", tenant_id=tenant)
                if claimed:
                    await refresh_tenant(session, app_id, tenant, min(claimed))
                    done_tenants += 1
            await session.commit()
    done_days = 0
    for day in days:
        async with sessionmaker() as session:
            await _lock(session, app_id)
            if await _claim(session, app_id, "day", day=day):
                await refresh_day(session, app_id, day)
                done_days += 1
            await session.commit()
    async with sessionmaker() as session:  # after the days and tenants: what they marked
        rolling = sorted((await session.scalars(select(SummaryMark.day).where(
            SummaryMark.app_id == app_id, SummaryMark.part == "rolling"))).all())
    for i in range(0, len(rolling), _ROLLING_PER_COMMIT):
        async with sessionmaker() as session:
            await _lock(session, app_id)
            for day in rolling[i:i + _ROLLING_PER_COMMIT]:
                if await _claim(session, app_id, "rolling", day=day):
                    await refresh_rolling(session, app_id, day)
            await session.commit()
    return Refreshed(days=done_days, tenants=done_tenants)

