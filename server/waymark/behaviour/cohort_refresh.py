"""Keeping cohort membership current: each cohort's members are replaced with what its rule says today.

A refresh reads the app's visitors (id, first seen and, when the rule needs it, metadata) and, for each
``did`` / ``not_did`` condition, one grouped query over ``daily_usage`` by its
``(app_id, kind, key, visitor_id, day)`` index. It then writes only the difference: leavers are
deleted, newcomers inserted with ``since`` = now (insert-or-ignore), so members who stay keep their
``since``, and two refreshes of the same cohort at once leave the same rows as one.

On PostgreSQL one refresh per app runs at a time (a transaction-scoped advisory lock; the periodic job
skips an app another worker is refreshing). On SQLite writers are serialised by the database.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from waymark.behaviour.cohort_models import Cohort, CohortMember
from waymark.behaviour.cohort_rules import (
    CohortRule,
    Did,
    FirstSeenWithin,
    compile_cohort_rule,
    usage_key,
    window_start,
)
from waymark.clock import as_utc, utcnow
from waymark.db.models import DailyUsage, Tenant, Visitor
from waymark.db.periodic import PeriodicJob
from waymark.db.scope import app_session
from waymark.db.upsert import insert_for

__all__ = [
    "PeriodicCohorts",
    "Population",
    "compute_members",
    "load_population",
    "refresh_all_cohorts",
    "refresh_app_cohorts",
    "refresh_cohort",
]

log = logging.getLogger("waymark.cohorts")
_CHUNK = 500


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


async def _usage_at_least(session: AsyncSession, app_id: str, kind: str, key: str, since: date, today: date,
                          at_least: int) -> set[str]:
    """Visitors with at least ``at_least`` counts of (kind, key) from ``since`` to ``today``, both included."""
    total = func.sum(DailyUsage.count)
    query = (
        select(DailyUsage.visitor_id)
        .where(DailyUsage.app_id == app_id, DailyUsage.kind == kind, DailyUsage.key == key,
               DailyUsage.day >= since, DailyUsage.day <= today)
        .group_by(DailyUsage.visitor_id)
        .having(total >= at_least)
    )
    return set((await session.scalars(query)).all())


class Population(NamedTuple):
    """The app's visitors as a refresh reads them: (id, first seen, tenant, metadata), and tenants' metadata."""

    visitors: Sequence[Any]
    tenants: dict[str, dict[str, Any]]
    with_metadata: bool


async def load_population(session: AsyncSession, app_id: str, with_metadata: bool) -> Population:
    """Every visitor of the app (metadata and tenants' only when a rule reads them)."""
    columns: list[Any] = [Visitor.id, Visitor.first_seen, Visitor.tenant_id, Visitor.meta]
    visitors = (await session.execute(select(*columns if with_metadata else columns[:2])
                                      .where(Visitor.app_id == app_id))).all()
    tenants: dict[str, dict[str, Any]] = {}
    if with_metadata:
        rows = await session.execute(select(Tenant.id, Tenant.meta).where(Tenant.app_id == app_id))
        tenants = {tid: dict(meta or {}) for tid, meta in rows.tuples()}
    return Population(visitors, tenants, with_metadata)


async def compute_members(session: AsyncSession, app_id: str, rule: CohortRule, today: date,
                          population: Population | None = None) -> set[str]:
    """The ids of the app's visitors that ``rule`` admits on ``today`` (UTC).

    ``population``: the app's visitors already read (for several cohorts in one refresh); it must hold
    metadata when the rule reads it.
    """
    if population is None or (rule.uses_metadata and not population.with_metadata):
        population = await load_population(session, app_id, rule.uses_metadata)
    visitors, tenants = population.visitors, population.tenants
    facts: dict[str, set[int]] = {}
    for i, condition in enumerate(rule.conditions):
        if isinstance(condition, FirstSeenWithin):
            first_day = window_start(today, condition.days)
            holds = {row[0] for row in visitors if first_day <= as_utc(row[1]).date() <= today}
        else:
            kind, key = usage_key(condition.ref)
            at_least = condition.at_least if isinstance(condition, Did) else 1
            holds = await _usage_at_least(session, app_id, kind, key, window_start(today, condition.days), today,
                                          at_least)
            if not isinstance(condition, Did):  # not_did: everyone who did not
                holds = {row[0] for row in visitors} - holds
        for visitor_id in holds:
            facts.setdefault(visitor_id, set()).add(i)
    none: frozenset[int] = frozenset()
    members: set[str] = set()
    for row in visitors:
        visitor_id = row[0]
        if rule.uses_metadata:
            tenant_id = row[2]
            visitor_meta = {**(row[3] or {}), "id": visitor_id}
            tenant_meta = {**tenants.get(tenant_id, {}), "id": tenant_id} if tenant_id else {}
        else:
            visitor_meta, tenant_meta = {"id": visitor_id}, {}
        if rule.predicate(visitor_meta, tenant_meta, facts.get(visitor_id, none)):
            members.add(visitor_id)
    return members


async def _replace_members(session: AsyncSession, app_id: str, cohort_id: str, members: set[str],
                           now: datetime) -> None:
    existing = set((await session.scalars(select(CohortMember.visitor_id).where(
        CohortMember.app_id == app_id, CohortMember.cohort_id == cohort_id))).all())
    for chunk in _chunks(sorted(existing - members)):
        await session.execute(delete(CohortMember).where(
            CohortMember.app_id == app_id, CohortMember.cohort_id == cohort_id, CohortMember.visitor_id.in_(chunk)))
    for chunk in _chunks(sorted(members - existing)):
        await session.execute(
            insert_for(session, CohortMember).on_conflict_do_nothing(),
            [{"app_id": app_id, "cohort_id": cohort_id, "visitor_id": v, "since": now} for v in chunk],
        )
    await session.execute(update(Cohort).where(Cohort.app_id == app_id, Cohort.id == cohort_id)
                          .values(size=len(members), refreshed_at=now))


async def _lock_app(session: AsyncSession, app_id: str, wait: bool) -> bool:
    """PostgreSQL: one refresh of an app's cohorts at a time (``wait=False``: skip when one is running)."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    function = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
    got = await session.scalar(text(f"SELECT {function}(hashtext(:k))"), {"k": f"waymark-cohorts:{app_id}"})
    return wait or bool(got)


async def refresh_cohort(
    sessionmaker: async_sessionmaker[AsyncSession], app_id: str, cohort_id: str, today: date | None = None
) -> int | None:
    """Replace one cohort's members now; its new size, or ``None`` when there is no such cohort."""
    async with app_session(sessionmaker, app_id) as session:
        await _lock_app(session, app_id, wait=True)
        raw = await session.scalar(select(Cohort.rule).where(Cohort.app_id == app_id, Cohort.id == cohort_id))
        if raw is None:
            return None
        now = utcnow()
        members = await compute_members(session, app_id, compile_cohort_rule(raw), today or now.date())
        await _replace_members(session, app_id, cohort_id, members, now)
        await session.commit()
        return len(members)


async def refresh_app_cohorts(
    sessionmaker: async_sessionmaker[AsyncSession], app_id: str, today: date | None = None, wait: bool = True
) -> dict[str, int]:
    """Replace the members of every cohort of the app, in one transaction; sizes by cohort id.

    With ``wait=False`` an app another worker is refreshing is skipped (an empty answer).
    """
    async with app_session(sessionmaker, app_id) as session:
        if not await _lock_app(session, app_id, wait):
            return {}
        now = utcnow()
        sizes: dict[str, int] = {}
        rules: list[tuple[str, CohortRule]] = []
        for cohort_id, raw in (await session.execute(select(Cohort.id, Cohort.rule).where(
                Cohort.app_id == app_id).order_by(Cohort.id))).tuples():
            try:
                rules.append((cohort_id, compile_cohort_rule(raw)))
            except ValueError:  # saved before a stricter check: keep its last members rather than stop the rest
                log.exception("cohort %s of app %s no longer compiles; not refreshed", cohort_id, app_id)
        population = await load_population(session, app_id, any(r.uses_metadata for _, r in rules))
        for cohort_id, rule in rules:
            members = await compute_members(session, app_id, rule, today or now.date(), population)
            await _replace_members(session, app_id, cohort_id, members, now)
            sizes[cohort_id] = len(members)
        await session.commit()
        return sizes


async def refresh_all_cohorts(
    sessionmaker: async_sessionmaker[AsyncSession], today: date | None = None, wait: bool = True
) -> dict[str, dict[str, int]]:
    """Refresh every app that has cohorts; sizes by app, then cohort."""
    async with sessionmaker() as session:
        apps = sorted((await session.scalars(select(Cohort.app_id).distinct())).all())
    return {app_id: await refresh_app_cohorts(sessionmaker, app_id, today, wait) for app_id in apps}


class PeriodicCohorts(PeriodicJob):
    """Refreshes every cohort every ``interval`` seconds inside a server worker (``0``: never).

    Workers do not wait for each other: an app being refreshed elsewhere is skipped until the next run.
    """

    __slots__ = ("_sessionmaker",)
    name = "waymark-cohorts"

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], interval: float) -> None:
        super().__init__(interval)
        self._sessionmaker = sessionmaker

    async def run_once(self) -> None:
        for app_id, sizes in (await refresh_all_cohorts(self._sessionmaker, wait=False)).items():
            log.debug("cohorts of app %s refreshed: %s", app_id, sizes)
