"""Where funnels and paths get their steps: the stored ``events`` of a time range, read with the narrowest SQL
the references allow, and matched to pages, features, track events and guide events in Python.

Why events and not a projection table: funnels and paths need each step's time to the second, which the
daily roll-up does not keep. A step projection (visitor, tenant, second, kind, key) kept on ingest would
save the URL and selector matching below, but not the reading of one row per step; measured on the
seeded 1 M-event store (``benchmarks/behaviour_funnels.py``), reading the range's rows is what the time
goes to, so the events are read directly: by ``(app_id, ts)``, only the types the references need, only
the named track events and guides, and the ``props`` column only when a feature or a property filter
needs it. Page and feature rules are the app's :class:`~waymark.analytics.rules.RuleBook`, so a rule
changed today applies to every stored event at once, as it does for the roll-ups.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.analytics.rules import RuleBook
from waymark.behaviour.refs import Ref
from waymark.db.models import Event

__all__ = ["StepRow", "day_start", "matching", "range_bounds", "read_steps", "second_of"]


@dataclass(frozen=True, slots=True)
class StepRow:
    """One stored event that matches at least one of the references asked for."""

    order: tuple[datetime, int]
    """(time, stored id): the order of an actor's events, ties by the order they were stored."""
    second: int
    visitor: str
    tenant: str | None
    matches: frozenset[int]
    """Indices of the references it matches."""


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of ``day``."""
    return datetime.combine(day, time(), UTC)


def second_of(ts: datetime) -> int:
    """Whole seconds since the epoch (SQLite hands back naive UTC datetimes)."""
    return int((ts if ts.tzinfo else ts.replace(tzinfo=UTC)).timestamp())


def _condition(ref: Ref) -> Any:
    if ref.kind in ("page", "feature"):
        return Event.type == ref.event_type
    if ref.kind == "event":
        return and_(Event.type == "track", Event.name == ref.key)
    return and_(Event.type == ref.event_type, Event.guide_id == ref.key)


def _needs_props(refs: Sequence[Ref]) -> bool:
    return any(r.kind == "feature" or (r.kind == "event" and r.where) for r in refs)


def matching(ref: Ref, book: RuleBook, row: Any) -> bool:
    """Whether one stored row (type, name, guide_id, url, props) is an occurrence of ``ref``."""
    if row.type != ref.event_type:
        return False
    if ref.kind == "page":
        return ref.key in book.pages_for(row.url)
    if ref.kind == "feature":
        element = (row.props or {}).get("element")
        return element is not None and ref.key in book.features_for(element, row.url)
    if ref.kind == "event":
        return bool(row.name == ref.key and ref.matches_props(row.props))
    return bool(row.guide_id == ref.key)


async def read_steps(session: AsyncSession, app_id: str, refs: Sequence[Ref], book: RuleBook,
                     since: datetime, until: datetime) -> list[StepRow]:
    """Every event in ``[since, until)`` matching one of ``refs``, in no particular order.

    The session's scope adds the tenant filter when it is one tenant's.
    """
    if not refs:
        return []
    conditions = list({str(c): c for c in (_condition(r) for r in refs)}.values())
    props = case((Event.type.in_(("click", "track")), Event.props), else_=None).label("props") \
        if _needs_props(refs) else None
    columns: list[Any] = [Event.id, Event.type, Event.name, Event.guide_id, Event.url, Event.visitor_id,
                          Event.tenant_id, Event.ts]
    query = select(*columns, *([props] if props is not None else [])).where(
        Event.app_id == app_id, Event.ts >= since, Event.ts < until, or_(*conditions))
    out: list[StepRow] = []
    with_props = props is not None
    for row in (await session.execute(query)).all():
        matched = frozenset(i for i, ref in enumerate(refs) if matching(ref, book, _Row(row, with_props)))
        if matched:
            out.append(StepRow((row.ts, row.id), second_of(row.ts), row.visitor_id, row.tenant_id, matched))
    return out


class _Row:
    """A result row with ``props`` (None when the query did not read it)."""

    __slots__ = ("guide_id", "name", "props", "type", "url")

    def __init__(self, row: Any, with_props: bool) -> None:
        self.type, self.name, self.guide_id, self.url = row.type, row.name, row.guide_id, row.url
        self.props = row.props if with_props else None


def range_bounds(start: date, end: date, extra: timedelta = timedelta()) -> tuple[datetime, datetime]:
    """``[start 00:00, end + 1 day + extra)`` in UTC."""
    return day_start(start), day_start(end + timedelta(days=1)) + extra
