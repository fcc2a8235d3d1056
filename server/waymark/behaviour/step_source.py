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

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import BigInteger, Integer, and_, case, cast, extract, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from waymark.analytics.rules import RuleBook, rule_cache
from waymark.behaviour.refs import Ref
from waymark.db.models import Event
from waymark.db.scope import app_session

__all__ = ["StepRow", "day_start", "epoch_seconds", "range_bounds", "read_steps", "rule_book", "second_of"]


@dataclass(frozen=True, slots=True)
class StepRow:
    """One stored event that matches at least one of the references asked for."""

    order: tuple[int, int]
    """(second, stored id): the order of an actor's events, ties (the same second) by the order they were stored."""
    visitor: str
    tenant: str | None
    matches: frozenset[int]
    """Indices of the references it matches."""

    @property
    def second(self) -> int:
        return self.order[0]


async def rule_book(sessionmaker: async_sessionmaker[AsyncSession], app_id: str) -> RuleBook:
    """The app's page and feature rules (app-wide definitions, read in an app session even for one tenant's
    report: the tenant's scope only narrows the events)."""
    async with app_session(sessionmaker, app_id) as session:
        return await rule_cache.get(session, app_id)


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of ``day``."""
    return datetime.combine(day, time(), UTC)


def second_of(ts: datetime) -> int:
    """Whole seconds since the epoch (SQLite hands back naive UTC datetimes)."""
    return int((ts if ts.tzinfo else ts.replace(tzinfo=UTC)).timestamp())


def epoch_seconds(session: AsyncSession) -> Any:
    """``events.ts`` as whole seconds since the epoch, worked out by the database (no datetime per row in Python)."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.floor(extract("epoch", Event.ts)), BigInteger)
    return cast(func.strftime("%s", Event.ts), Integer)


class _Matcher:
    """The references grouped by the stored type they match, so each row is tried only against its own type's."""

    __slots__ = ("book", "events", "features", "guides", "pages")

    def __init__(self, refs: Sequence[Ref], book: RuleBook) -> None:
        self.book = book
        self.pages: dict[str, list[int]] = defaultdict(list)
        self.features: dict[str, list[int]] = defaultdict(list)
        self.events: dict[str, list[tuple[int, Ref]]] = defaultdict(list)
        self.guides: dict[tuple[str, str], list[int]] = defaultdict(list)
        for index, ref in enumerate(refs):
            if ref.kind == "page":
                self.pages[ref.key].append(index)
            elif ref.kind == "feature":
                self.features[ref.key].append(index)
            elif ref.kind == "event":
                self.events[ref.key].append((index, ref))
            else:
                self.guides[(ref.event_type, ref.key)].append(index)

    def matches(self, kind: str, name: str | None, guide: str | None, url: str | None, props: Any) -> list[int]:
        """The indices of the references a stored event (type, name, guide id, URL, props) is an occurrence of."""
        if kind == "page":
            return [i for page in self.book.pages_for(url) for i in self.pages.get(page, ())]
        if kind == "click":
            element = (props or {}).get("element")
            if element is None:
                return []
            return [i for feature in self.book.features_for(element, url) for i in self.features.get(feature, ())]
        if kind == "track":
            return [i for i, ref in self.events.get(name or "", ()) if ref.matches_props(props)]
        return list(self.guides.get((kind, guide or ""), ()))


def _condition(ref: Ref) -> Any:
    if ref.kind in ("page", "feature"):
        return Event.type == ref.event_type
    if ref.kind == "event":
        return and_(Event.type == "track", Event.name == ref.key)
    return and_(Event.type == ref.event_type, Event.guide_id == ref.key)


def _needs_props(refs: Sequence[Ref]) -> bool:
    return any(r.kind == "feature" or (r.kind == "event" and r.where) for r in refs)


async def read_steps(session: AsyncSession, app_id: str, refs: Sequence[Ref], book: RuleBook,
                     since: datetime, until: datetime) -> list[StepRow]:
    """Every event in ``[since, until)`` matching one of ``refs``, in no particular order.

    The session's scope adds the tenant filter when it is one tenant's.
    """
    if not refs:
        return []
    conditions = list({(r.event_type, r.key if r.kind in ("event", "guide") else ""): _condition(r)
                       for r in refs}.values())
    props: list[Any] = [case((Event.type.in_(("click", "track")), Event.props), else_=None).label("props")] \
        if _needs_props(refs) else []
    query = select(Event.id, Event.type, Event.name, Event.guide_id, Event.url, Event.visitor_id, Event.tenant_id,
                   epoch_seconds(session).label("second"), *props).where(
        Event.app_id == app_id, Event.ts >= since, Event.ts < until, or_(*conditions))
    matcher = _Matcher(refs, book)
    out: list[StepRow] = []
    for row in (await session.execute(query)).all():
        matched = matcher.matches(row.type, row.name, row.guide_id, row.url, row.props if props else None)
        if matched:
            out.append(StepRow((row.second, row.id), row.visitor_id, row.tenant_id, frozenset(matched)))
    return out


def range_bounds(start: date, end: date, extra: timedelta = timedelta()) -> tuple[datetime, datetime]:
    """``[start 00:00, end + 1 day + extra)`` in UTC."""
    return day_start(start), day_start(end + timedelta(days=1)) + extra
