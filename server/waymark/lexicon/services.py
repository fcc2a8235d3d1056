"""Reading and editing the lexicon of one app (the caller's session is bound to the app's scope)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import cast

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.clock import as_utc
from waymark.db.lexicon_models import STATUSES, BlockedEventDay, LexiconEvent
from waymark.db.lexicon_models import LexiconProperty as PropertyRow
from waymark.db.models import DailyUsage
from waymark.lexicon.fold import MAX_NAME
from waymark.lexicon.schemas import MAX_DESCRIPTION, LexiconEntry, LexiconProperty, LexiconView, Status
from waymark.wire import bad_characters

__all__ = [
    "WINDOW_DAYS",
    "LexiconProblem",
    "NoSuchEvent",
    "check_description",
    "check_name",
    "check_status",
    "edit_event",
    "lexicon_view",
    "pickable_events",
]

WINDOW_DAYS = 30


class LexiconProblem(ValueError):
    """An edit that cannot be made; ``field`` names what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NoSuchEvent(LookupError):
    """No track event of that name has been seen in the app."""


def check_name(name: str) -> str:
    """An event name as given in a path or a form, or :class:`LexiconProblem` naming ``name``."""
    if not name:
        raise LexiconProblem("name", "is empty")
    if len(name) > MAX_NAME:
        raise LexiconProblem("name", f"is {len(name)} characters long; the limit is {MAX_NAME}")
    bad = bad_characters(name)
    if bad:
        raise LexiconProblem("name", bad)
    return name


def check_status(status: str) -> Status:
    if status not in STATUSES:
        raise LexiconProblem("status", f"{status[:40]!r} is not a status (use one of: {', '.join(STATUSES)})")
    return cast(Status, status)


def check_description(description: str) -> str:
    if len(description) > MAX_DESCRIPTION:
        raise LexiconProblem("description",
                             f"is {len(description)} characters long; the limit is {MAX_DESCRIPTION}")
    bad = bad_characters(description, multiline=True)
    if bad:
        raise LexiconProblem("description", bad)
    return description


async def edit_event(
    session: AsyncSession, app_id: str, name: str, *, description: str | None = None, status: str | None = None
) -> bool:
    """Set the event's description and/or status (each checked first); whether the status changed.

    The caller commits and, when the status changed, refreshes the runtime profile ingestion reads
    the blocked names from.
    """
    check_name(name)
    wanted_status = None if status is None else check_status(status)
    wanted_description = None if description is None else check_description(description)
    row = await session.get(LexiconEvent, (app_id, name))
    if row is None:
        raise NoSuchEvent(f"no track event named {name[:200]!r} has been seen in this app")
    changed = wanted_status is not None and row.status != wanted_status
    if wanted_status is not None:
        row.status = wanted_status
    if wanted_description is not None:
        row.description = wanted_description
    return changed


async def lexicon_view(
    session: AsyncSession, app_id: str, today: date, status: str | None = None, name: str | None = None
) -> LexiconView:
    """Every event name of the app (or those of one status, or one name) with its properties and 30-day figures,
    by name."""
    since = today - timedelta(days=WINDOW_DAYS - 1)
    query = select(LexiconEvent).where(LexiconEvent.app_id == app_id).order_by(LexiconEvent.name)
    if status is not None:
        query = query.where(LexiconEvent.status == check_status(status))
    if name is not None:
        query = query.where(LexiconEvent.name == name)
    rows = (await session.scalars(query)).all()
    if not rows:
        return LexiconView(as_of=today, events=[])
    volume = dict((await session.execute(
        select(DailyUsage.key, func.sum(DailyUsage.count))
        .where(DailyUsage.app_id == app_id, DailyUsage.kind == "event", DailyUsage.day >= since,
               DailyUsage.day <= today, *([DailyUsage.key == name] if name is not None else []))
        .group_by(DailyUsage.key)
    )).tuples().all())
    blocked = {name: (int(recent or 0), int(total or 0)) for name, recent, total in (await session.execute(
        select(BlockedEventDay.name,
               func.sum(case((BlockedEventDay.day.between(since, today), BlockedEventDay.count), else_=0)),
               func.sum(BlockedEventDay.count))
        .where(BlockedEventDay.app_id == app_id, *([BlockedEventDay.name == name] if name is not None else []))
        .group_by(BlockedEventDay.name)
    )).tuples().all()}
    properties: dict[str, list[LexiconProperty]] = {}
    for prop in (await session.scalars(
        select(PropertyRow)
        .where(PropertyRow.app_id == app_id, *([PropertyRow.event_name == name] if name is not None else []))
        .order_by(PropertyRow.event_name, PropertyRow.name)
    )).all():
        properties.setdefault(prop.event_name, []).append(
            LexiconProperty(name=prop.name, first_seen=as_utc(prop.first_seen), last_seen=as_utc(prop.last_seen)))
    return LexiconView(as_of=today, events=[
        LexiconEntry(name=r.name, status=cast(Status, r.status), description=r.description,
                     first_seen=as_utc(r.first_seen), last_seen=as_utc(r.last_seen),
                     volume_30d=int(volume.get(r.name) or 0), blocked_30d=blocked.get(r.name, (0, 0))[0],
                     blocked_total=blocked.get(r.name, (0, 0))[1], properties=properties.get(r.name, []))
        for r in rows
    ])


async def pickable_events(session: AsyncSession, app_id: str) -> list[str]:
    """The event names an analysis offers to pick from: the visible ones (hidden and blocked are left out)."""
    return list((await session.scalars(
        select(LexiconEvent.name).where(LexiconEvent.app_id == app_id, LexiconEvent.status == "visible")
        .order_by(LexiconEvent.name)
    )).all())
