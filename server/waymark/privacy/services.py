"""Privacy settings of an app and of its tenants; dropping a field also removes it from what is stored."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from waymark.db.models import App, Event, Tenant, Visitor, utcnow
from waymark.db.scope import app_session
from waymark.db.upsert import insert_for
from waymark.privacy.schemas import AppPrivacy, TenantPrivacy

__all__ = [
    "PrivacyProblem",
    "get_app_privacy",
    "get_tenant_privacy",
    "scrub_dropped_fields",
    "set_app_privacy",
    "set_tenant_privacy",
]

_CHUNK = 500
_MAX_ID = 200
_UNDROPPABLE = frozenset({"id"})


class PrivacyProblem(ValueError):
    """A request that cannot be honoured as asked; the text says why."""


async def get_app_privacy(session: AsyncSession, app_id: str) -> AppPrivacy:
    row = (await session.execute(
        select(App.honor_dnt, App.retention_days, App.throttle_seconds, App.max_auto_guides_per_day)
        .where(App.id == app_id)
    )).one()
    return AppPrivacy(honor_dnt=bool(row.honor_dnt), retention_days=row.retention_days,
                      throttle_seconds=row.throttle_seconds, max_auto_guides_per_day=row.max_auto_guides_per_day)


async def set_app_privacy(session: AsyncSession, app_id: str, wanted: AppPrivacy) -> AppPrivacy:
    """Store the settings (the caller commits); delivery and ingestion pick them up at their next snapshot check."""
    values: dict[str, Any] = {"honor_dnt": wanted.honor_dnt, "retention_days": wanted.retention_days}
    if wanted.throttle_seconds is not None:
        values["throttle_seconds"] = wanted.throttle_seconds
    if wanted.max_auto_guides_per_day is not None:
        values["max_auto_guides_per_day"] = wanted.max_auto_guides_per_day
    await session.execute(update(App).where(App.id == app_id).values(**values))
    return await get_app_privacy(session, app_id)


async def get_tenant_privacy(session: AsyncSession, app_id: str, tenant_id: str) -> TenantPrivacy | None:
    row = (
        await session.execute(
            select(Tenant.opted_out, Tenant.drop_fields).where(Tenant.app_id == app_id, Tenant.id == tenant_id)
        )
    ).one_or_none()
    if row is None:
        return None
    return TenantPrivacy(opted_out=bool(row.opted_out), drop_fields=list(row.drop_fields or []))


def _normalised_fields(fields: list[str]) -> list[str]:
    refused = sorted(_UNDROPPABLE.intersection(fields))
    if refused:
        raise PrivacyProblem(f"drop_fields cannot contain {', '.join(map(repr, refused))}: "
                             "the visitor id is the one field every event needs")
    return list(dict.fromkeys(fields))  # without repeats, in the order given


async def set_tenant_privacy(
    sessionmaker: async_sessionmaker[AsyncSession], app_id: str, tenant_id: str, wanted: TenantPrivacy
) -> TenantPrivacy:
    """Store the tenant's privacy settings (creating the tenant if unknown), then scrub stored data.

    The settings are committed first: from then on ingestion drops the fields, so the
    scrub that follows (in chunks, each its own transaction) only has older data to clean.
    """
    if len(tenant_id) > _MAX_ID:
        raise PrivacyProblem(f"tenant id is {len(tenant_id)} characters; the limit is {_MAX_ID}")
    fields = _normalised_fields(wanted.drop_fields)
    async with app_session(sessionmaker, app_id) as session:
        now = utcnow()
        insert = insert_for(session, Tenant).values(
            app_id=app_id, id=tenant_id, meta={}, first_seen=now, last_seen=now,
            opted_out=wanted.opted_out, drop_fields=fields,
        )
        await session.execute(insert.on_conflict_do_update(
            index_elements=["app_id", "id"], set_={"opted_out": wanted.opted_out, "drop_fields": fields},
        ))
        await session.commit()
    if fields:
        await scrub_dropped_fields(sessionmaker, app_id, tenant_id, fields)
    return TenantPrivacy(opted_out=wanted.opted_out, drop_fields=fields)


def _without(data: dict[str, Any], fields: list[str]) -> dict[str, Any] | None:
    """``data`` without ``fields``, or ``None`` when it holds none of them (nothing to write)."""
    if not any(f in data for f in fields):
        return None
    return {k: v for k, v in data.items() if k not in fields}


async def scrub_dropped_fields(
    sessionmaker: async_sessionmaker[AsyncSession], app_id: str, tenant_id: str, fields: list[str]
) -> tuple[int, int]:
    """Remove ``fields`` from the tenant's visitors' metadata and from their stored identify traits.

    Returns (visitors changed, events changed). Keyset chunks, one transaction each:
    a tenant with a million visitors does not hold one long write lock.
    """
    visitors_changed = 0
    after = ""
    while True:
        async with app_session(sessionmaker, app_id) as session:
            rows = (await session.execute(
                select(Visitor.id, Visitor.meta)
                .where(Visitor.app_id == app_id, Visitor.tenant_id == tenant_id, Visitor.id > after)
                .order_by(Visitor.id).limit(_CHUNK)
            )).tuples().all()
            for visitor_id, meta in rows:
                cleaned = _without(meta or {}, fields)
                if cleaned is not None:
                    await session.execute(
                        update(Visitor).where(Visitor.app_id == app_id, Visitor.id == visitor_id).values(meta=cleaned)
                        .execution_options(synchronize_session=False)
                    )
                    visitors_changed += 1
            await session.commit()
        if len(rows) < _CHUNK:
            break
        after = rows[-1][0]
    # Identify events keep the traits they carried; those of the tenant (or of its visitors
    # from before they had one) lose the dropped fields too, so no export shows them again.
    tenant_visitors = select(Visitor.id).where(Visitor.app_id == app_id, Visitor.tenant_id == tenant_id)
    events_changed = 0
    last = 0
    while True:
        async with app_session(sessionmaker, app_id) as session:
            events = (await session.execute(
                select(Event.id, Event.props)
                .where(
                    Event.app_id == app_id, Event.type == "identify", Event.id > last,
                    or_(Event.tenant_id == tenant_id,
                        Event.tenant_id.is_(None) & Event.visitor_id.in_(tenant_visitors)),
                )
                .order_by(Event.id).limit(_CHUNK)
            )).tuples().all()
            for row_id, props in events:
                traits = (props or {}).get("traits")
                cleaned = _without(traits, fields) if isinstance(traits, dict) else None
                if cleaned is not None:
                    await session.execute(
                        update(Event).where(Event.app_id == app_id, Event.id == row_id)
                        .values(props={**props, "traits": cleaned})
                        .execution_options(synchronize_session=False)
                    )
                    events_changed += 1
            await session.commit()
        if len(events) < _CHUNK:
            break
        last = events[-1][0]
    return visitors_changed, events_changed
