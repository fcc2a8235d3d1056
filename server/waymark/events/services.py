"""Writing events: each stored once by its id, people and guide state updated, all in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

import msgspec
from sqlalchemy import case, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.clock import as_utc
from waymark.db.models import Event, GuideState, Tenant, Visitor, VisitorAlias, utcnow
from waymark.db.upsert import insert_for
from waymark.events.projections import Projection
from waymark.events.schemas import (
    AliasEvent,
    AnyEvent,
    ClickEvent,
    GroupEvent,
    GuideEvent,
    IdentifyEvent,
    NpsResponse,
    PageEvent,
    PollResponse,
    TimeEvent,
    TrackEvent,
)
from waymark.guides.frequency import GuideState as StateValue
from waymark.guides.frequency import Status, apply_event

__all__ = ["event_row", "event_type", "store_events", "write_events"]


def event_type(ev: AnyEvent | GuideEvent) -> str:
    return type(ev).__struct_config__.tag  # type: ignore[return-value]  # every event class has a str tag


def _props(ev: AnyEvent) -> dict[str, Any]:
    if isinstance(ev, NpsResponse | PollResponse):
        return {**ev.props, **ev.answer()}
    if isinstance(ev, GuideEvent | TrackEvent):
        return ev.props
    if isinstance(ev, PageEvent):
        return {k: v for k, v in (("title", ev.title), ("referrer", ev.referrer), ("browser", ev.browser),
                                  ("language", ev.language), ("name", ev.name), ("category", ev.category))
                if v is not None}
    if isinstance(ev, ClickEvent):
        return {"element": msgspec.to_builtins(ev.element)}
    if isinstance(ev, TimeEvent):
        return {"ms": ev.ms}
    if isinstance(ev, IdentifyEvent | GroupEvent):
        return {"traits": ev.traits}
    if isinstance(ev, AliasEvent):
        return {"previous": ev.previous}
    return {}


def event_row(app_id: str, ev: AnyEvent, received_at: datetime) -> dict[str, Any]:
    guide = ev if isinstance(ev, GuideEvent) else None
    return {
        "app_id": app_id, "event_id": ev.id, "type": event_type(ev),
        "name": ev.name if isinstance(ev, TrackEvent) else None,
        "visitor_id": ev.visitor, "tenant_id": ev.tenant,
        "guide_id": guide.guide if guide else None, "guide_version": guide.guide_version if guide else None,
        "step": guide.step if guide else None, "url": ev.url, "ts": as_utc(ev.ts), "received_at": received_at,
        "props": _props(ev),
    }


async def write_events(
    session: AsyncSession,
    app_id: str,
    events: Sequence[AnyEvent],
    throttled: Callable[[str], bool],
    snooze_days: Callable[[str], int],
    projections: Sequence[Projection],
) -> tuple[int, int]:
    """Store ``events`` once each, update people and guide state and the projections; returns (stored, duplicates).

    ``throttled(guide_id)`` says whether showing that guide counts against the visitor's
    throttle; ``snooze_days(guide_id)`` is the guide's snooze length. The caller commits.
    """
    stored = await store_events(session, app_id, events, throttled, snooze_days, projections)
    return len(stored), len(events) - len(stored)


async def store_events(
    session: AsyncSession,
    app_id: str,
    events: Sequence[AnyEvent],
    throttled: Callable[[str], bool],
    snooze_days: Callable[[str], int],
    projections: Sequence[Projection],
    untenanted: Mapping[str, str | None] | None = None,
) -> set[str]:
    """As :func:`write_events`, returning the ids that were new (the others were already stored).

    ``untenanted`` (from :func:`waymark.events.pipeline.prepare`) names visitors whose events
    stored without a tenant are to be given one: see :func:`_backfill_tenants`.
    """
    unique: dict[str, AnyEvent] = {}
    for ev in events:
        unique.setdefault(ev.id, ev)
    if not unique:
        return set()
    now = utcnow()
    rows = [event_row(app_id, ev, now) for ev in unique.values()]
    # executemany with RETURNING ("insertmanyvalues"): one cached statement, however many rows
    stmt = (
        insert_for(session, Event)
        .on_conflict_do_nothing(index_elements=["app_id", "event_id"])
        .returning(Event.__table__.c.event_id)
    )
    stored_ids = {r for r in (await session.scalars(stmt, rows)).all() if r is not None}
    stored = sorted((ev for ev in unique.values() if ev.id in stored_ids), key=lambda e: e.ts)
    if stored:
        await _touch_people(session, app_id, stored, now, throttled)
        await _link_aliases(session, app_id, [e for e in stored if isinstance(e, AliasEvent)])
        guide_events = [e for e in stored if isinstance(e, GuideEvent)]
        if guide_events:
            await _fold_guide_state(session, app_id, guide_events, now, snooze_days)
        for projection in projections:
            await projection.project(session, app_id, stored)
        if untenanted:
            await _backfill_tenants(session, app_id, stored, untenanted, projections)
    return stored_ids


async def _backfill_tenants(
    session: AsyncSession, app_id: str, stored: Sequence[AnyEvent], untenanted: Mapping[str, str | None],
    projections: Sequence[Projection],
) -> None:
    """A visitor given their first tenant: their events stored without one (earlier requests, this one) get it.

    What the projections counted moves from no tenant to it too, in this transaction. Only events without
    a tenant change: a visitor moving from tenant A to B keeps A on what happened under A.
    It runs only for visitors that had no tenant (``untenanted``), not on every group call.

    Another writer (a worker, a concurrent commit) may have given the visitor a tenant after
    ``prepare`` read none: it is read again here, after this transaction's visitor upsert (on
    PostgreSQL that upsert waited for the other writer's commit), so events this transaction
    stored without a tenant still get it. Whichever of the two commits last sees the other's
    events, so none is left without a tenant.
    """
    touched = {ev.visitor for ev in stored}
    give = {v: t for v, t in untenanted.items() if v in touched}
    unknown = [v for v, t in give.items() if t is None]
    if unknown:
        give.update(dict((await session.execute(
            select(Visitor.id, Visitor.tenant_id).where(
                Visitor.app_id == app_id, Visitor.id.in_(unknown), Visitor.tenant_id.is_not(None)
            )
        )).all()))
    for visitor, tenant in sorted(give.items()):
        if tenant is None:
            continue
        times = (await session.scalars(
            update(Event)
            .where(Event.app_id == app_id, Event.visitor_id == visitor, Event.tenant_id.is_(None))
            .values(tenant_id=tenant)
            .returning(Event.ts)
            .execution_options(synchronize_session=False)
        )).all()
        if times:
            days = {as_utc(ts).date() for ts in times}
            for projection in projections:
                await projection.tenant_assigned(session, app_id, visitor, tenant, days)


async def _merged_meta(
    session: AsyncSession, model: type[Visitor] | type[Tenant], app_id: str, traits: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Known metadata with the new traits merged in (a trait set to null is removed)."""
    if not traits:
        return {}
    known: dict[str, dict[str, Any] | None] = dict(
        (await session.execute(
            select(model.id, model.meta).where(model.app_id == app_id, model.id.in_(list(traits)))
        )).all()
    )
    merged: dict[str, dict[str, Any]] = {}
    for key, new in traits.items():
        meta = dict(known.get(key) or {})
        for k, v in new.items():
            if k == "id":
                continue
            if v is None:
                meta.pop(k, None)
            else:
                meta[k] = v
        merged[key] = meta
    return merged


async def _touch_people(
    session: AsyncSession, app_id: str, events: list[AnyEvent], now: datetime, throttled: Callable[[str], bool],
) -> None:
    visitors: dict[str, dict[str, Any]] = {}
    tenant_first: dict[str, datetime] = {}
    """The earliest event time of each tenant's visitors in the batch (never later than now)."""
    visitor_traits: dict[str, dict[str, Any]] = {}
    tenant_traits: dict[str, dict[str, Any]] = {}
    for ev in events:
        row = visitors.setdefault(ev.visitor, {"tenant_id": None, "last_auto": None, "auto_guide": None,
                                               "auto_day": None, "auto_count": 0, "first": now})
        row["first"] = min(row["first"], as_utc(ev.ts))
        if ev.tenant:
            row["tenant_id"] = ev.tenant
            tenant_first[ev.tenant] = min(tenant_first.get(ev.tenant, now), row["first"])
        if isinstance(ev, IdentifyEvent):
            visitor_traits.setdefault(ev.visitor, {}).update(ev.traits)
        elif isinstance(ev, GroupEvent):
            tenant_traits.setdefault(ev.tenant, {}).update(ev.traits)
        elif (event_type(ev) == "guide_seen" and isinstance(ev, GuideEvent)
              and ev.props.get("trigger") == "auto" and throttled(ev.guide)):
            row["last_auto"], row["auto_guide"] = as_utc(ev.ts), ev.guide
            _count_auto_guide(row, as_utc(ev.ts))
    tenant_meta = await _merged_meta(session, Tenant, app_id, tenant_traits)
    if tenant_first:
        ins = insert_for(session, Tenant)
        await session.execute(
            ins.on_conflict_do_update(index_elements=["app_id", "id"], set_={
                "last_seen": ins.excluded.last_seen, "first_seen": _earlier(ins.excluded, ins.table.c)}),
            [{"app_id": app_id, "id": t, "meta": tenant_meta.get(t, {}), "first_seen": first, "last_seen": now,
              "opted_out": False, "drop_fields": []} for t, first in sorted(tenant_first.items())],
        )
    if tenant_meta:
        ins = insert_for(session, Tenant)
        await session.execute(
            ins.on_conflict_do_update(index_elements=["app_id", "id"], set_={"meta": ins.excluded.meta}),
            [{"app_id": app_id, "id": t, "meta": m, "first_seen": now, "last_seen": now, "opted_out": False,
              "drop_fields": []} for t, m in sorted(tenant_meta.items())],
        )
    visitor_meta = await _merged_meta(session, Visitor, app_id, visitor_traits)
    # One statement for every visitor of the batch: known values are kept where the batch says nothing.
    ins = insert_for(session, Visitor)
    await session.execute(
        ins.on_conflict_do_update(
            index_elements=["app_id", "id"],
            set_={
                "last_seen": ins.excluded.last_seen,
                "first_seen": _earlier(ins.excluded, ins.table.c),
                "tenant_id": func.coalesce(ins.excluded.tenant_id, ins.table.c.tenant_id),
                "last_auto_guide_at": func.coalesce(ins.excluded.last_auto_guide_at, ins.table.c.last_auto_guide_at),
                **_budget_columns(ins),
            },
        ),
        [{"app_id": app_id, "id": v, "tenant_id": row["tenant_id"], "meta": visitor_meta.get(v, {}),
          "first_seen": row["first"], "last_seen": now, "last_auto_guide_at": row["last_auto"],
          "last_auto_guide_id": row["auto_guide"], "auto_guides_day": row["auto_day"],
          "auto_guides_count": row["auto_count"]}
         for v, row in sorted(visitors.items())],
    )
    if visitor_meta:
        ins = insert_for(session, Visitor)
        await session.execute(
            ins.on_conflict_do_update(index_elements=["app_id", "id"], set_={"meta": ins.excluded.meta}),
            [{"app_id": app_id, "id": v, "tenant_id": None, "meta": m, "first_seen": now, "last_seen": now,
              "last_auto_guide_at": None} for v, m in sorted(visitor_meta.items())],
        )


def _earlier(new: Any, old: Any) -> Any:
    """``first_seen`` is the earliest event time known, so history sent late (backfills, Segment replays) is
    dated by when it happened, which retention cohorts and "new visitors" read, not by when it arrived."""
    return case((new.first_seen < old.first_seen, new.first_seen), else_=old.first_seen)


def _count_auto_guide(row: dict[str, Any], moment: datetime) -> None:
    """Count an automatic guide shown on ``moment``'s UTC day (the daily budget); a later day starts over."""
    day = datetime(moment.year, moment.month, moment.day, tzinfo=moment.tzinfo)
    if row["auto_day"] == day:
        row["auto_count"] += 1
    elif row["auto_day"] is None or day > row["auto_day"]:
        row["auto_day"], row["auto_count"] = day, 1


def _budget_columns(ins: Any) -> dict[str, Any]:
    """The daily budget merged into what is stored: the same day adds up, a later day replaces, an older is ignored."""
    new, old = ins.excluded, ins.table.c
    same_day = old.auto_guides_day == new.auto_guides_day
    newer = (old.auto_guides_day.is_(None)) | (old.auto_guides_day < new.auto_guides_day)
    return {
        "last_auto_guide_id": case((new.last_auto_guide_at.is_not(None), new.last_auto_guide_id),
                                   else_=old.last_auto_guide_id),
        "auto_guides_count": case(
            (new.auto_guides_day.is_(None), old.auto_guides_count),
            (same_day, old.auto_guides_count + new.auto_guides_count),
            (newer, new.auto_guides_count),
            else_=old.auto_guides_count,
        ),
        "auto_guides_day": case((new.auto_guides_day.is_not(None) & newer, new.auto_guides_day),
                                else_=old.auto_guides_day),
    }


async def _link_aliases(session: AsyncSession, app_id: str, aliases: list[AliasEvent]) -> None:
    """Identity resolution: the previous id's events, past and future, become the visitor's."""
    for ev in aliases:
        if ev.previous == ev.visitor:
            continue
        await session.execute(
            insert_for(session, VisitorAlias)
            .values(app_id=app_id, alias=ev.previous, visitor_id=ev.visitor, created_at=utcnow())
            .on_conflict_do_update(index_elements=["app_id", "alias"], set_={"visitor_id": ev.visitor})
        )
        await session.execute(
            update(Event)
            .where(Event.app_id == app_id, Event.visitor_id == ev.previous)
            .values(visitor_id=ev.visitor)
            .execution_options(synchronize_session=False)
        )


async def _fold_guide_state(
    session: AsyncSession, app_id: str, events: Sequence[GuideEvent], now: datetime,
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
            status=cast(Status, s.status), step=s.step, last_seen_at=s.last_seen_at, snoozed_until=s.snoozed_until,
            completed_at=s.completed_at,
        )
        for s in existing
    }
    for ev in events:
        key = (ev.visitor, ev.guide)
        current = states.get(key) or StateValue(status="new", step=0)
        if current.last_seen_at is not None and as_utc(ev.ts) < as_utc(current.last_seen_at):
            continue  # arrived late (page-hide flush racing the next page): newer state wins
        days = ev.props.get("days")
        states[key] = apply_event(
            current, event_type(ev), ev.step or 0, as_utc(ev.ts),
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
    ins = insert_for(session, GuideState)
    cols = ("status", "step", "last_seen_at", "snoozed_until", "completed_at", "updated_at")
    await session.execute(
        ins.on_conflict_do_update(
            index_elements=["app_id", "visitor_id", "guide_id"], set_={c: ins.excluded[c] for c in cols}
        ),
        rows,
    )
