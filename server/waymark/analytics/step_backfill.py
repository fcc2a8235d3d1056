"""Making the step rows of every event an app stored before the step projection existed (a back-fill).

Run by :mod:`waymark.upgrade` after the migration that made the table. The events are read in
stored order, a chunk at a time, and named with the app's current rules as ingestion names them;
events repeat a lot, so each distinct (type, name, guide, URL, props) is matched once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table, Text, case, cast, delete, func, null, select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.analytics.rules import RuleBook, load_rule_book
from waymark.analytics.steps import STEP_TYPES, Step, click_element, epoch_second, event_steps, insert_rows
from waymark.db.models import Event

__all__ = ["backfill_steps", "step_events"]

_EVENTS: Any = Event.__table__.c
_TABLE: Table = Step.__table__  # type: ignore[assignment]  # declarative maps a Table
_CHUNK = 20_000
_KNOWN = 100_000
"""Distinct events matched and remembered at most (the memory is cleared when full)."""

Found = list[tuple[str, bool]]


async def step_events(session: AsyncSession, app_id: str) -> int:
    """How many stored events of the app :func:`backfill_steps` reads (the length of its progress)."""
    return int(await session.scalar(
        select(func.count()).select_from(Event).where(Event.app_id == app_id, Event.type.in_(STEP_TYPES))) or 0)


async def backfill_steps(session: AsyncSession, app_id: str, advance: Callable[[int], None]) -> None:
    """Replace the app's step rows by those of every stored event; ``advance`` is told each chunk's events read."""
    await session.execute(delete(_TABLE).where(_TABLE.c.app_id == app_id))
    book = await load_rule_book(session, app_id)
    e = _EVENTS
    query = (select(e.id, e.type, e.name, e.guide_id, e.url,
                    case((e.type == "click", cast(e.props, Text)), else_=null()),  # only a click's props are read
                    e.visitor_id, e.tenant_id, e.ts)
             .where(e.app_id == app_id, e.type.in_(STEP_TYPES)).order_by(e.id).limit(_CHUNK))
    known: dict[tuple[Any, ...], Found] = {}
    after = 0
    while True:
        rows: Sequence[Any] = (await session.execute(query.where(e.id > after))).all()
        if not rows:
            return
        made: list[dict[str, Any]] = []
        for event_id, kind, name, guide, url, props, visitor, tenant, ts in rows:
            found = _matched(book, known, (kind, name, guide, url, props))
            if found:
                second = epoch_second(ts)
                made += [{"app_id": app_id, "event_id": event_id, "step": step, "second": second,
                          "visitor_id": visitor, "tenant_id": tenant, "label": label} for step, label in found]
        await insert_rows(session, made)
        after = rows[-1][0]
        advance(len(rows))


def _matched(book: RuleBook, known: dict[tuple[Any, ...], Found], key: tuple[Any, ...]) -> Found:
    found = known.get(key)
    if found is None:
        if len(known) >= _KNOWN:
            known.clear()
        kind, name, guide, url, props = key
        found = known[key] = event_steps(book, kind, name, guide, url, click_element(props))
    return found
