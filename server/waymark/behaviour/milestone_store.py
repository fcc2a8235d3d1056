"""Milestones in the database: their definitions, the evaluation that keeps each tenant's flags, the export.

A flag's state is changed only by :func:`evaluate_app` (deleting a milestone deletes its flags), and every time
one becomes true or false the same
transaction adds a :class:`MilestoneChange`; that record is the single place a change is written, and
:func:`pending_changes` / :func:`mark_delivered` are how a sender (the webhook) reads and clears it.

The writes compare and set (an insert that ignores an existing flag, an update that requires the old state,
each returning the tenants it changed), so two workers evaluating the same app at once record each change once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import msgspec
from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.behaviour.milestone_models import CRM_FIELD, Milestone, MilestoneChange, MilestoneFlag, MilestoneSettings
from waymark.behaviour.milestone_schemas import FlagRow, MilestoneChangeOut, MilestoneOut, TenantMilestone
from waymark.behaviour.milestones import (
    MAX_MILESTONES,
    Definition,
    MilestoneError,
    active_share_holds,
    parse_field_name,
    rollup_key,
    visitors_did_day,
)
from waymark.behaviour.refs import parse_ref
from waymark.clock import as_utc
from waymark.db.models import DailyUsage, Tenant
from waymark.db.upsert import insert_for

__all__ = [
    "BECAME_FALSE",
    "BECAME_TRUE",
    "NoSuchMilestone",
    "crm_field",
    "delete_milestone",
    "evaluate_app",
    "flag_rows",
    "get_milestone",
    "list_milestones",
    "mark_delivered",
    "pending_changes",
    "save_milestone",
    "set_crm_field",
    "tenant_flags",
]

_CHUNK = 500
_FLAGS: Table = MilestoneFlag.__table__  # type: ignore[assignment]  # declarative maps a Table
BECAME_TRUE, BECAME_FALSE = "became_true", "became_false"


class NoSuchMilestone(LookupError):
    pass


def _definition(row: Milestone) -> Definition:
    return msgspec.convert(row.definition, Definition)


def _out(row: Milestone, flagged: int | None = None) -> MilestoneOut:
    d = _definition(row)
    return MilestoneOut(id=row.id, kind=d.kind, name=d.name, description=d.describe(), ref=d.ref,
                        at_least=d.at_least, within_days=d.within_days, field=d.field, percent=d.percent,
                        days=d.days, flagged=flagged)


async def list_milestones(session: AsyncSession, app_id: str, *, with_counts: bool = False) -> list[MilestoneOut]:
    """Every milestone of the app by id; ``with_counts``: with how many tenants hold each now."""
    rows = (await session.scalars(select(Milestone).where(Milestone.app_id == app_id).order_by(Milestone.id))).all()
    counts: dict[str, int] = {}
    if with_counts:
        counts = dict((await session.execute(
            select(MilestoneFlag.milestone_id, func.count()).where(MilestoneFlag.app_id == app_id,
                                                                     MilestoneFlag.active.is_(True))
            .group_by(MilestoneFlag.milestone_id))).all())
    return [_out(r, counts.get(r.id, 0) if with_counts else None) for r in rows]


async def get_milestone(session: AsyncSession, app_id: str, milestone_id: str) -> MilestoneOut:
    row = await session.get(Milestone, (app_id, milestone_id))
    if row is None:
        raise NoSuchMilestone(f"no milestone {milestone_id!r}")
    return _out(row)


async def save_milestone(session: AsyncSession, app_id: str, milestone_id: str, definition: Definition,
                         now: datetime) -> tuple[MilestoneOut, bool]:
    """Create or replace a milestone (not committed); whether it was created. Its flags are left for the
    evaluation that should follow, which turns them to the new condition and records what changed."""
    row = await session.get(Milestone, (app_id, milestone_id))
    created = row is None
    if row is None:
        count = await session.scalar(select(func.count()).select_from(Milestone).where(Milestone.app_id == app_id))
        if (count or 0) >= MAX_MILESTONES:
            raise MilestoneError("id", f"an app has at most {MAX_MILESTONES} milestones; delete one first")
        row = Milestone(app_id=app_id, id=milestone_id)
        session.add(row)
    row.name = definition.name
    row.definition = msgspec.to_builtins(definition)
    row.updated_at = now
    await session.flush()
    return _out(row), created


async def delete_milestone(session: AsyncSession, app_id: str, milestone_id: str) -> None:
    """Delete a milestone and its flags (its recorded changes stay: they happened)."""
    row = await session.get(Milestone, (app_id, milestone_id))
    if row is None:
        raise NoSuchMilestone(f"no milestone {milestone_id!r}")
    await session.execute(delete(MilestoneFlag).where(MilestoneFlag.app_id == app_id,
                                                      MilestoneFlag.milestone_id == milestone_id))
    await session.delete(row)


async def crm_field(session: AsyncSession, app_id: str) -> str:
    """The tenant metadata field holding the CRM id (``crm_id`` unless the app chose another)."""
    found = await session.scalar(select(MilestoneSettings.crm_field).where(MilestoneSettings.app_id == app_id))
    return found or CRM_FIELD


async def set_crm_field(session: AsyncSession, app_id: str, field: str) -> str:
    field = parse_field_name(field)
    statement = insert_for(session, MilestoneSettings).values(app_id=app_id, crm_field=field)
    await session.execute(statement.on_conflict_do_update(index_elements=["app_id"], set_={"crm_field": field}))
    return field


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


async def _truth(session: AsyncSession, app_id: str, d: Definition, now: datetime,
                 tenants: dict[str, tuple[datetime, dict[str, Any]]]) -> dict[str, datetime]:
    """The tenants for which ``d`` holds now, each with the time it became true."""
    today = now.date()
    if d.kind == "visitors_did":
        assert d.ref is not None and d.at_least is not None and d.within_days is not None
        key = rollup_key(parse_ref(d.ref))
        firsts: dict[str, list[date]] = defaultdict(list)
        for tenant, day in (await session.execute(
            select(DailyUsage.tenant_id, func.min(DailyUsage.day))
            .where(DailyUsage.app_id == app_id, DailyUsage.kind == key.kind, DailyUsage.key == key.key,
                   DailyUsage.tenant_id != "")
            .group_by(DailyUsage.tenant_id, DailyUsage.visitor_id))).all():
            firsts[tenant].append(day)
        out: dict[str, datetime] = {}
        for tenant, days in firsts.items():
            if tenant not in tenants:
                continue
            became = visitors_did_day(as_utc(tenants[tenant][0]).date(), d.within_days, d.at_least, days)
            if became is not None:
                out[tenant] = _day_start(became)
        return out
    assert d.days is not None
    since = today - timedelta(days=d.days - 1)
    window = (DailyUsage.app_id == app_id, DailyUsage.day >= since, DailyUsage.day <= today, DailyUsage.tenant_id != "")
    if d.kind == "active_share":
        assert d.field is not None and d.percent is not None
        active = dict((await session.execute(
            select(DailyUsage.tenant_id, func.count(DailyUsage.visitor_id.distinct()))
            .where(*window, DailyUsage.kind == "active").group_by(DailyUsage.tenant_id))).all())
        return {t: now for t, n in active.items()
                if t in tenants and active_share_holds(n, tenants[t][1], d.field, d.percent)}
    assert d.ref is not None and d.at_least is not None
    key = rollup_key(parse_ref(d.ref))
    totals = (await session.execute(
        select(DailyUsage.tenant_id, func.sum(DailyUsage.count))
        .where(*window, DailyUsage.kind == key.kind, DailyUsage.key == key.key)
        .group_by(DailyUsage.tenant_id))).all()
    return {t: now for t, n in totals if t in tenants and int(n or 0) >= d.at_least}


def _chunks(items: Sequence[str]) -> Iterable[list[str]]:
    for i in range(0, len(items), _CHUNK):
        yield list(items[i:i + _CHUNK])


async def _apply(session: AsyncSession, app_id: str, milestone_id: str, truth: dict[str, datetime],
                 now: datetime, rolling: bool) -> list[MilestoneChange]:
    """Bring one milestone's flags to ``truth``, recording each change (compare-and-set: see the module).

    A ``visitors_did`` flag that still holds keeps its state but takes the day its (perhaps redefined)
    condition now says it became true; that is no change of the flag, so nothing is recorded.
    """
    current: dict[str, bool] = {}
    since: dict[str, datetime] = {}
    for tenant, active, became in (await session.execute(
        select(MilestoneFlag.tenant_id, MilestoneFlag.active, MilestoneFlag.became_true_at)
        .where(MilestoneFlag.app_id == app_id, MilestoneFlag.milestone_id == milestone_id))).tuples().all():
        current[tenant], since[tenant] = active, as_utc(became)
    changes: list[MilestoneChange] = []
    if not rolling:
        for t in (t for t in truth if current.get(t) is True and since[t] != truth[t]):
            await session.execute(
                update(MilestoneFlag)
                .where(MilestoneFlag.app_id == app_id, MilestoneFlag.milestone_id == milestone_id,
                       MilestoneFlag.tenant_id == t, MilestoneFlag.active.is_(True))
                .values(became_true_at=truth[t]).execution_options(synchronize_session=False))
    new = [t for t in truth if t not in current]
    for part in _chunks(new):
        inserted: Sequence[str] = (await session.execute(
            insert_for(session, MilestoneFlag).on_conflict_do_nothing().returning(_FLAGS.c.tenant_id),
            [{"app_id": app_id, "milestone_id": milestone_id, "tenant_id": t, "active": True,
              "became_true_at": truth[t], "became_false_at": None} for t in part])).scalars().all()
        changes += [MilestoneChange(app_id=app_id, tenant_id=t, milestone_id=milestone_id, change=BECAME_TRUE,
                                    at=truth[t], recorded_at=now) for t in inserted]
    back: dict[datetime, list[str]] = defaultdict(list)
    for t in truth:
        if current.get(t) is False:
            back[truth[t]].append(t)
    for moment, tenants in back.items():
        for part in _chunks(tenants):
            turned = (await session.execute(
                update(MilestoneFlag)
                .where(MilestoneFlag.app_id == app_id, MilestoneFlag.milestone_id == milestone_id,
                       MilestoneFlag.tenant_id.in_(part), MilestoneFlag.active.is_(False))
                .values(active=True, became_true_at=moment, became_false_at=None)
                .returning(MilestoneFlag.tenant_id).execution_options(synchronize_session=False))).scalars().all()
            changes += [MilestoneChange(app_id=app_id, tenant_id=t, milestone_id=milestone_id, change=BECAME_TRUE,
                                        at=moment, recorded_at=now) for t in turned]
    gone = sorted(t for t, active in current.items() if active and t not in truth)
    for part in _chunks(gone):
        turned = (await session.execute(
            update(MilestoneFlag)
            .where(MilestoneFlag.app_id == app_id, MilestoneFlag.milestone_id == milestone_id,
                   MilestoneFlag.tenant_id.in_(part), MilestoneFlag.active.is_(True))
            .values(active=False, became_false_at=now)
            .returning(MilestoneFlag.tenant_id).execution_options(synchronize_session=False))).scalars().all()
        changes += [MilestoneChange(app_id=app_id, tenant_id=t, milestone_id=milestone_id, change=BECAME_FALSE,
                                    at=now, recorded_at=now) for t in turned]
    session.add_all(changes)
    return changes


async def evaluate_app(session: AsyncSession, app_id: str, now: datetime,
                       only: str | None = None) -> list[MilestoneChange]:
    """Evaluate the app's milestones (or ``only`` that one) for every tenant, update the flags and record the
    changes (flushed, not committed; the caller commits). Returns the changes recorded."""
    query = select(Milestone).where(Milestone.app_id == app_id).order_by(Milestone.id)
    if only is not None:
        query = query.where(Milestone.id == only)
    milestones = (await session.scalars(query)).all()
    if not milestones:
        return []
    tenants = {t: (first, meta or {}) for t, first, meta in (await session.execute(
        select(Tenant.id, Tenant.first_seen, Tenant.meta).where(Tenant.app_id == app_id))).tuples().all()}
    changes: list[MilestoneChange] = []
    for milestone in milestones:
        definition = _definition(milestone)
        truth = await _truth(session, app_id, definition, now, tenants)
        changes += await _apply(session, app_id, milestone.id, truth, now, definition.rolling)
    await session.flush()
    return changes


def _change_out(row: MilestoneChange) -> MilestoneChangeOut:
    return MilestoneChangeOut(id=row.id, app_id=row.app_id, tenant=row.tenant_id, milestone=row.milestone_id,
                              change=row.change, at=as_utc(row.at), recorded_at=as_utc(row.recorded_at))


async def pending_changes(session: AsyncSession, limit: int = 100) -> list[MilestoneChangeOut]:
    """Changes not yet handed to the sender, oldest first (of the session's app when it is app-scoped)."""
    rows = (await session.scalars(select(MilestoneChange).where(MilestoneChange.delivered_at.is_(None))
                                  .order_by(MilestoneChange.id).limit(limit))).all()
    return [_change_out(r) for r in rows]


async def mark_delivered(session: AsyncSession, ids: Sequence[int], at: datetime) -> None:
    """Take changes off the pending list once the sender has them (not committed)."""
    for part in range(0, len(ids), _CHUNK):
        await session.execute(update(MilestoneChange).where(MilestoneChange.id.in_(list(ids[part:part + _CHUNK])))
                              .values(delivered_at=at))


async def flag_rows(session: AsyncSession, app_id: str, tenant: str | None = None) -> list[FlagRow]:
    """Every tenant's flags (or one tenant's), with the tenant's CRM id, by tenant then milestone."""
    field = await crm_field(session, app_id)
    query = (select(MilestoneFlag, Milestone.name, Tenant.meta)
             .join(Milestone, (Milestone.app_id == MilestoneFlag.app_id) & (Milestone.id == MilestoneFlag.milestone_id))
             .outerjoin(Tenant, (Tenant.app_id == MilestoneFlag.app_id) & (Tenant.id == MilestoneFlag.tenant_id))
             .where(MilestoneFlag.app_id == app_id)
             .order_by(MilestoneFlag.tenant_id, MilestoneFlag.milestone_id))
    if tenant is not None:
        query = query.where(MilestoneFlag.tenant_id == tenant)
    out: list[FlagRow] = []
    for flag, name, meta in (await session.execute(query)).tuples().all():
        crm = (meta or {}).get(field)
        out.append(FlagRow(tenant=flag.tenant_id, crm_id=None if crm is None else str(crm), milestone=flag.milestone_id,
                           name=name, active=flag.active, became_true_at=as_utc(flag.became_true_at),
                           became_false_at=None if flag.became_false_at is None else as_utc(flag.became_false_at)))
    return out


async def tenant_flags(session: AsyncSession, app_id: str, tenants: Sequence[str]) -> dict[str, list[TenantMilestone]]:
    """For each of ``tenants``: the milestones it holds or held (holding first, then by milestone)."""
    out: dict[str, list[TenantMilestone]] = {}
    for part in _chunks(list(tenants)):
        for flag, name in (await session.execute(
            select(MilestoneFlag, Milestone.name)
            .join(Milestone, (Milestone.app_id == MilestoneFlag.app_id) & (Milestone.id == MilestoneFlag.milestone_id))
            .where(MilestoneFlag.app_id == app_id, MilestoneFlag.tenant_id.in_(part))
            .order_by(MilestoneFlag.milestone_id))).all():
            out.setdefault(flag.tenant_id, []).append(TenantMilestone(
                milestone=flag.milestone_id, name=name, active=flag.active,
                became_true_at=as_utc(flag.became_true_at),
                became_false_at=None if flag.became_false_at is None else as_utc(flag.became_false_at)))
    for flags in out.values():
        flags.sort(key=lambda f: not f.active)
    return out
