"""Writing event batches: deduplicated by event id, guide state folded in, one transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy import select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.db.models import Event, GuideState, Tenant, Visitor, utcnow
from waymark.events.schemas import GuideEvent
from waymark.guides.frequency import GuideState as StateValue
from waymark.guides.frequency import apply_event

__all__ = ["write_events"]


def _insert(session: AsyncSession, table: type) -> object:
    dialect = session.bind.dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


def _utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


async def write_events(
    session: AsyncSession,
    app_id: str,
    events: Sequence[GuideEvent],
    throttled: Callable[[str], bool],
    snooze_days: Callable[[str], int],
) -> tuple[int, int]:
    """Store ``events`` once each and update visitor guide state; returns (stored, duplicates).

    ``throttled(guide_id)`` says whether showing that guide counts against the visitor's
    throttle; ``snooze_days(guide_id)`` is the guide's snooze length. The caller commits.
    """
    unique: dict[str, GuideEvent] = {}
    for ev in events:
        unique.setdefault(ev.id, ev)
    if not unique:
        return 0, len(events)
    now = utcnow()
    rows = [
        {
            "app_id": app_id, "event_id": ev.id, "type": ev.type, "visitor_id": ev.visitor,
            "tenant_id": ev.tenant, "guide_id": ev.guide, "guide_version": ev.guide_version,
            "step": ev.step, "url": ev.url, "ts": _utc(ev.ts), "received_at": now, "props": ev.props,
        }
        for ev in unique.values()
    ]
    stmt = (
        _insert(session, Event)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["app_id", "event_id"])
        .returning(Event.event_id)
    )
    stored_ids = set((await session.scalars(stmt)).all())
    stored = [ev for ev in unique.values() if ev.id in stored_ids]
    if stored:
        await _touch_people(session, app_id, stored, now, throttled)
        await _fold_guide_state(session, app_id, stored, now, snooze_days)
    return len(stored), len(events) - len(stored)


async def _touch_people(
    session: AsyncSession, app_id: str, events: list[GuideEvent], now: datetime,
    throttled: Callable[[str], bool],
) -> None:
    visitors: dict[str, dict[str, object]] = {}
    tenants: set[str] = set()
    for ev in sorted(events, key=lambda e: e.ts):
        row = visitors.setdefault(ev.visitor, {"tenant_id": None, "last_auto": None})
        if ev.tenant:
            row["tenant_id"] = ev.tenant
            tenants.add(ev.tenant)
        if ev.type == "guide_seen" and ev.props.get("trigger") == "auto" and throttled(ev.guide):
            row["last_auto"] = _utc(ev.ts)
    if tenants:
        ins = _insert(session, Tenant).values(
            [{"app_id": app_id, "id": t, "meta": {}, "first_seen": now, "last_seen": now} for t in tenants]
        )
        await session.execute(
            ins.on_conflict_do_update(index_elements=["app_id", "id"], set_={"last_seen": now})
        )
    for visitor_id, row in visitors.items():
        ins = _insert(session, Visitor).values(
            app_id=app_id, id=visitor_id, tenant_id=row["tenant_id"], meta={}, first_seen=now,
            last_seen=now, last_auto_guide_at=row["last_auto"],
        )
        update: dict[str, object] = {"last_seen": now}
        if row["tenant_id"]:
            update["tenant_id"] = row["tenant_id"]
        if row["last_auto"]:
            update["last_auto_guide_at"] = row["last_auto"]
        await session.execute(ins.on_conflict_do_update(index_elements=["app_id", "id"], set_=update))


async def _fold_guide_state(
    session: AsyncSession, app_id: str, events: list[GuideEvent], now: datetime,
    snooze_days: Callable[[str], int],
) -> None:
    pairs = {(ev.visitor, ev.guide) for ev in events}
    existing = (
        await session.scalars(
            select(GuideState).where(
                GuideState.app_id == app_id,
                tuple_(GuideState.visitor_id, GuideState.guide_id).in_(list(pairs)),
            )
        )
    ).all()
    states: dict[tuple[str, str], StateValue] = {
        (s.visitor_id, s.guide_id): StateValue(
            status=s.status, step=s.step, last_seen_at=s.last_seen_at, snoozed_until=s.snoozed_until,
            completed_at=s.completed_at,
        )
        for s in existing
    }
    for ev in sorted(events, key=lambda e: e.ts):
        key = (ev.visitor, ev.guide)
        current = states.get(key) or StateValue(status="new", step=0)
        if current.last_seen_at is not None and _utc(ev.ts) < _utc(current.last_seen_at):
            continue  # arrived late (page-hide flush racing the next page): newer state wins
        days = ev.props.get("days")
        states[key] = apply_event(
            current, ev.type, ev.step or 0, _utc(ev.ts),
            days if isinstance(days, int) and days > 0 else snooze_days(ev.guide),
        )
    rows = [
        {
            "app_id": app_id, "visitor_id": v, "guide_id": g, "status": s.status, "step": s.step,
            "last_seen_at": s.last_seen_at, "snoozed_until": s.snoozed_until,
            "completed_at": s.completed_at, "updated_at": now,
        }
        for (v, g), s in states.items()
    ]
    ins = _insert(session, GuideState).values(rows)
    cols = ("status", "step", "last_seen_at", "snoozed_until", "completed_at", "updated_at")
    await session.execute(
        ins.on_conflict_do_update(
            index_elements=["app_id", "visitor_id", "guide_id"], set_={c: ins.excluded[c] for c in cols}
        )
    )
