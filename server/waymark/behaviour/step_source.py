"""Where funnels and paths get their steps: the stored ``events`` of a time range, read with the narrowest SQL
the references allow, and matched to pages, features, track events and guide events in Python.

Funnels and paths need each step's time to the second, which the daily roll-up does not keep. Two ways
were open: (a) read ``events`` over the range, or (b) keep a compact step projection (visitor, tenant,
second, kind, key) on ingest. This module is (a):

- SQL narrows as far as the references allow: by ``(app_id, ts)``; only the stored types the references
  need; track events and guides by name or id; page views by the literal start of the page's path rule
  (``url LIKE``); clicks by a literal of the feature's selector in ``props`` (which is then read only for
  clicks and filtered track events); the database turns ``ts`` into whole seconds.
- What stays in Python is the rule matching, done once per distinct (type, name, guide id, URL, props
  text) of a request (they repeat enormously; props come as text and are decoded only then), and one
  tuple per matching row. The rows come from a Core select of the table's columns, not the ORM's
  attributes, so they skip the ORM's per-row loading. Rules apply retroactively, erasure and retention
  need nothing more, and a tenant assigned later is already on the event: nothing to keep in step.

Measured on the 1 M-event store (``benchmarks/behaviour_funnels.py``, 30 days = 233 k events, a loaded
machine), funnels answer in 0.3 to 1.3 s (2.3 s with a comparison range: two ranges read) and paths in
0.9 to 1.7 s, most of it now in SQL and in making one tuple per row; both grow with the rows in the
range, so at 10 M events they would still miss the 2 s target. (b) is
what would meet it: a funnel would read only its steps' rows, already matched, and paths two narrow
integer-keyed columns. It needs a table kept by a :class:`~waymark.events.projections.Projection`,
rebuilt per rule like the roll-ups, moved on tenant assignment and alias merges, and cleared by erasure
and retention; it is the next step (migration 0013 is reserved for it).
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple

from sqlalchemy import BigInteger, Integer, Text, and_, case, cast, extract, false, func, null, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from waymark.analytics.rules import RuleBook, rule_cache
from waymark.behaviour.refs import Ref
from waymark.db.models import Event
from waymark.db.scope import app_session

__all__ = ["EVENTS", "StepRow", "day_start", "epoch_seconds", "range_bounds", "read_steps", "rule_book", "second_of"]


class StepRow(NamedTuple):
    """One stored event that matches at least one of the references asked for (a tuple: hundreds of thousands
    are made per report, and a tuple is the cheapest to make and to sort)."""

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


EVENTS: Any = Event.__table__.c
"""The ``events`` table's columns: a Core select of them comes back as plain rows, where one of the ORM's
attributes would take each row through the ORM's loading (the session's scope filters both alike)."""


_HAS_UNIXEPOCH = sqlite3.sqlite_version_info >= (3, 38, 0)
"""SQLite's ``unixepoch()`` came in 3.38; the driver uses the library Python was built with."""


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of ``day``."""
    return datetime.combine(day, time(), UTC)


def second_of(ts: datetime) -> int:
    """Whole seconds since the epoch (SQLite hands back naive UTC datetimes)."""
    return int((ts if ts.tzinfo else ts.replace(tzinfo=UTC)).timestamp())


def epoch_seconds(session: AsyncSession) -> Any:
    """``events.ts`` as whole seconds since the epoch, worked out by the database (no datetime per row in Python)."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.floor(extract("epoch", EVENTS.ts)), BigInteger)
    if _HAS_UNIXEPOCH:
        return func.unixepoch(EVENTS.ts, type_=Integer)  # the same whole seconds, a third cheaper than strftime
    return cast(func.strftime("%s", EVENTS.ts), Integer)


class _Matcher:
    """The references grouped by the stored type they match, so each row is tried only against its own type's;
    each distinct (type, name, guide id, URL, props text) is matched once per request (they repeat a lot)."""

    __slots__ = ("book", "events", "features", "guides", "known", "pages")

    def __init__(self, refs: Sequence[Ref], book: RuleBook) -> None:
        self.book = book
        self.pages: dict[str, list[int]] = defaultdict(list)
        self.features: dict[str, list[int]] = defaultdict(list)
        self.events: dict[str, list[tuple[int, Ref]]] = defaultdict(list)
        self.guides: dict[tuple[str, str], list[int]] = defaultdict(list)
        self.known: dict[tuple[str, str | None, str | None, str | None, str | None], frozenset[int]] = {}
        for index, ref in enumerate(refs):
            if ref.kind == "page":
                self.pages[ref.key].append(index)
            elif ref.kind == "feature":
                self.features[ref.key].append(index)
            elif ref.kind == "event":
                self.events[ref.key].append((index, ref))
            else:
                self.guides[(ref.event_type, ref.key)].append(index)

    def cached(self, kind: str, name: str | None, guide: str | None, url: str | None, props: str | None
               ) -> frozenset[int]:
        """:meth:`matches` of a row whose props come as stored JSON text, remembered per distinct row."""
        key = (kind, name, guide, url, props)
        found = self.known.get(key)
        if found is None:
            found = frozenset(self.matches(kind, name, guide, url, json.loads(props) if props else None))
            self.known[key] = found
        return found

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


def _contains(token: str) -> str | None:
    """``%token%`` for a LIKE that the stored text surely contains, or None when escaping could differ."""
    if not token or not token.isascii() or not token.isprintable() or '"' in token or "\\" in token:
        return None
    return "%" + token.replace("%", "\\%").replace("_", "\\_") + "%"


def _page_condition(book: RuleBook, page_id: str) -> Any:
    """Page views whose URL holds the literal start of the page's path rule (a cheap superset of its matches)."""
    matcher = next((m for i, m in book.pages if i == page_id), None)
    if matcher is None:
        return false()  # no such page: nothing matches it
    path = matcher.rule.path or ""
    cut = min((i for i in (path.find("*"), path.find("?")) if i >= 0), default=len(path))
    pattern = _contains(path[:cut]) if cut > 1 else None
    views = EVENTS.type == "page"
    return and_(views, EVENTS.url.like(pattern, escape="\\")) if pattern else views


def _feature_condition(book: RuleBook, feature_id: str) -> Any:
    """Clicks whose stored element holds one of the selector's literals (id, class or attribute value)."""
    selector = next((sel for i, sel, _ in book.features if i == feature_id), None)
    if selector is None:
        return false()
    tokens = selector.required_tokens()
    patterns = [_contains(t) for t in tokens] if tokens else [None]
    clicks = EVENTS.type == "click"
    if None in patterns:
        return clicks
    return and_(clicks, or_(*(cast(EVENTS.props, Text).like(p, escape="\\") for p in patterns)))


def _condition(ref: Ref, book: RuleBook) -> Any:
    if ref.kind == "page":
        return _page_condition(book, ref.key)
    if ref.kind == "feature":
        return _feature_condition(book, ref.key)
    if ref.kind == "event":
        return and_(EVENTS.type == "track", EVENTS.name == ref.key)
    return and_(EVENTS.type == ref.event_type, EVENTS.guide_id == ref.key)


def _props_types(refs: Sequence[Ref]) -> tuple[str, ...]:
    """The stored types whose props a match reads: clicks for a feature, track events for a filtered one."""
    return (*(("click",) if any(r.kind == "feature" for r in refs) else ()),
            *(("track",) if any(r.kind == "event" and r.where for r in refs) else ()))


async def read_steps(session: AsyncSession, app_id: str, refs: Sequence[Ref], book: RuleBook,
                     since: datetime, until: datetime) -> list[StepRow]:
    """Every event in ``[since, until)`` matching one of ``refs``, in no particular order.

    The session's scope adds the tenant filter when it is one tenant's.
    """
    if not refs:
        return []
    conditions = list({(r.kind, r.key, r.action): _condition(r, book) for r in refs}.values())
    typed = _props_types(refs)
    props: Any = case((EVENTS.type.in_(typed), cast(EVENTS.props, Text)), else_=None) if typed else null()
    query = select(EVENTS.id, EVENTS.type, EVENTS.name, EVENTS.guide_id, EVENTS.url, EVENTS.visitor_id,
                   EVENTS.tenant_id, epoch_seconds(session).label("second"), props.label("props")).where(
        EVENTS.app_id == app_id, EVENTS.ts >= since, EVENTS.ts < until, or_(*conditions))
    cached = _Matcher(refs, book).cached
    out: list[StepRow] = []
    append = out.append
    rows: Sequence[Any] = (await session.execute(query)).all()  # plain tuples: unpacked, the fastest to read
    for event_id, kind, name, guide, url, visitor, tenant, second, text in rows:
        matched = cached(kind, name, guide, url, text)
        if matched:
            append(StepRow((second, event_id), visitor, tenant, matched))
    return out


def range_bounds(start: date, end: date, extra: timedelta = timedelta()) -> tuple[datetime, datetime]:
    """``[start 00:00, end + 1 day + extra)`` in UTC."""
    return day_start(start), day_start(end + timedelta(days=1)) + extra
