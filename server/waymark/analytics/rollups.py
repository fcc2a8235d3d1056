"""Daily roll-ups (day × tenant × visitor × page | feature | event | guide | active): kept up to date
by every ingest, and rebuilt for one rule from stored events when that rule is defined or changed.

Rows only ever grow by addition (``count = count + n``), so concurrent ingests of the same
visitor-day commute; a rebuild deletes one rule's rows and recounts them under
:func:`waymark.analytics.rules.hold_rules`. Every write here keeps the first day of each thing
(:mod:`waymark.analytics.item_first_days`) in step with the rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Table, Text, cast, delete, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.analytics import item_first_days as firsts
from waymark.analytics.models import AppDay
from waymark.analytics.rules import RuleBook, hold_rules, load_rule_book, rule_cache
from waymark.analytics.summaries import mark, mark_all, mark_days
from waymark.db.models import DailyUsage, Event
from waymark.db.upsert import insert_for
from waymark.events.schemas import AliasEvent, AnyEvent, ClickEvent, GuideEvent, PageEvent, TimeEvent, TrackEvent

__all__ = [
    "KINDS",
    "RULE_KINDS",
    "DailyRollups",
    "Tally",
    "add_rows",
    "assign_tenant",
    "event_day",
    "rebuild_all",
    "rebuild_rule",
    "roll_up",
    "rule_prefilter",
]

KINDS = frozenset({"page", "feature", "event", "guide", "active", "browser", "language"})
RULE_KINDS = frozenset({"page", "feature"})
"""Kinds whose keys are rules people define, and which therefore get rebuilt."""
_TYPES_FOR = {"page": ("page", "time"), "feature": ("click",)}
_CHUNK = 5000
_FLUSH_ROWS = 20_000
_DAYS_A_STATEMENT = 500
_TABLE: Table = DailyUsage.__table__  # type: ignore[assignment]  # typed FromClause; declarative maps a Table
_PK = ("app_id", "day", "tenant_id", "visitor_id", "kind", "key")

Key = tuple[date, str, str, str, str]
"""(day, tenant, visitor, kind, key)."""


def event_day(ts: datetime) -> date:
    """The UTC day an event counts for (SQLite hands back naive UTC datetimes)."""
    return (ts.astimezone(UTC) if ts.tzinfo else ts).date()


class Tally:
    """Roll-up increments accumulated in memory: the one place that says what an event counts for."""

    __slots__ = ("book", "counted", "kinds", "rows")

    def __init__(self, book: RuleBook, kinds: Iterable[str] = KINDS) -> None:
        self.book = book
        self.kinds = frozenset(kinds)
        self.rows: dict[Key, list[int]] = {}
        self.counted = 0
        """Increments of ``count`` made for the page and feature kinds (views and clicks)."""

    def add(self, day: date, tenant: str, visitor: str, kind: str, key: str, count: int, ms: int = 0) -> None:
        row = self.rows.get((day, tenant, visitor, kind, key))
        if row is None:
            self.rows[(day, tenant, visitor, kind, key)] = [count, ms]
        else:
            row[0] += count
            row[1] += ms

    def event(
        self, kind: str, day: date, tenant: str | None, visitor: str, url: str | None,
        detail: Any = None, ms: int = 0, client: tuple[str | None, str | None] | None = None,
    ) -> None:
        """Count one stored event; ``detail`` is a track name, a guide id or a click's element.

        A ``time`` event's ``ms`` counts as time in the app (``active``) and on each page its URL
        matches; a page view's ``client`` (browser, language) is counted once per visitor and day.
        """
        tenant = tenant or ""
        kinds = self.kinds
        if "active" in kinds:
            self.add(day, tenant, visitor, "active", "", 1, ms if kind == "time" else 0)
        if kind == "page" or kind == "time":
            if client is not None and kind == "page":
                browser, language = client
                if browser and "browser" in kinds:
                    self.add(day, tenant, visitor, "browser", browser, 1)
                if language and "language" in kinds:
                    self.add(day, tenant, visitor, "language", language, 1)
            if "page" in kinds:
                views = 1 if kind == "page" else 0
                for page_id in self.book.pages_for(url):
                    self.add(day, tenant, visitor, "page", page_id, views, ms if kind == "time" else 0)
                    self.counted += views
        elif kind == "click":
            if "feature" in kinds and detail is not None:
                for feature_id in self.book.features_for(detail, url):
                    self.add(day, tenant, visitor, "feature", feature_id, 1)
                    self.counted += 1
        elif kind == "track":
            if "event" in kinds and detail:
                self.add(day, tenant, visitor, "event", detail, 1)
        elif kind == "guide_seen" and "guide" in kinds and detail:
            self.add(day, tenant, visitor, "guide", detail, 1)

    def stored_event(self, kind: str, visitor: str, tenant: str | None, url: str | None, ts: datetime,
                     name: str | None, guide: str | None, props: Mapping[str, Any] | None) -> None:
        """Count one event as stored in the ``events`` table."""
        props = props or {}
        if kind == "click":
            detail: Any = props.get("element")
        elif kind == "track":
            detail = name
        else:
            detail = guide
        ms = props.get("ms", 0) if kind == "time" else 0
        client = (_text(props.get("browser")), _text(props.get("language"))) if kind == "page" else None
        self.event(kind, event_day(ts), tenant, visitor, url, detail, ms if isinstance(ms, int) else 0, client)


def _client(ev: AnyEvent) -> tuple[str | None, str | None] | None:
    return (ev.browser, ev.language) if isinstance(ev, PageEvent) else None


def _text(value: Any) -> str | None:
    return value[:200] if isinstance(value, str) and value else None


@cache
def _upsert_for(dialect_name: str) -> tuple[Any, Any]:
    ins = insert_for(dialect_name, _TABLE)
    grow = {"count": _TABLE.c.count + ins.excluded.count, "ms": _TABLE.c.ms + ins.excluded.ms}
    return ins, ins.on_conflict_do_update(index_elements=list(_PK), set_=grow)


def _upsert(session: AsyncSession) -> tuple[Any, Any]:
    """(the insert, the insert that adds to an existing row): built once per dialect, they run on every batch."""
    return _upsert_for(session.get_bind().dialect.name)


async def add_rows(session: AsyncSession, app_id: str, rows: Mapping[Key, list[int]]) -> None:
    """Add the increments to the stored rows (creating them); in key order, so concurrent writers never deadlock."""
    if not rows:
        return
    items = [
        {"app_id": app_id, "day": day, "tenant_id": tenant, "visitor_id": visitor, "kind": kind, "key": key,
         "count": count, "ms": ms}
        for (day, tenant, visitor, kind, key), (count, ms) in sorted(rows.items())
    ]
    # One statement, many parameter sets: compiled once, where a multi-row VALUES is compiled per size.
    await session.execute(_upsert(session)[1], items)
    await firsts.add_first_days(session, app_id, rows)


async def _merge_visitor(session: AsyncSession, app_id: str, previous: str, visitor: str) -> None:
    """Identity resolution: the rows of the anonymous id become the visitor's (a day active stays one day)."""
    ins = _upsert(session)[0]
    grow = {"count": _TABLE.c.count + ins.excluded.count, "ms": _TABLE.c.ms + ins.excluded.ms}
    source = select(
        _TABLE.c.app_id, _TABLE.c.day, _TABLE.c.tenant_id, literal(visitor, type_=_TABLE.c.visitor_id.type),
        _TABLE.c.kind, _TABLE.c.key, _TABLE.c.count, _TABLE.c.ms,
    ).where(_TABLE.c.app_id == app_id, _TABLE.c.visitor_id == previous)
    await session.execute(
        ins.from_select([*list(_PK), "count", "ms"], source).on_conflict_do_update(
            index_elements=list(_PK), set_=grow
        )
    )
    moved = (await session.execute(
        select(DailyUsage.day, DailyUsage.tenant_id)
        .where(DailyUsage.app_id == app_id, DailyUsage.visitor_id == previous, DailyUsage.kind == "active")
    )).tuples().all()
    await session.execute(delete(_TABLE).where(_TABLE.c.app_id == app_id, _TABLE.c.visitor_id == previous))
    await firsts.merge_visitor(session, app_id, previous, visitor)
    await mark(session, app_id, moved)


async def assign_tenant(session: AsyncSession, app_id: str, visitor: str, tenant: str, days: Iterable[date]) -> None:
    """Rows the visitor's events counted without a tenant (``""``) on ``days`` move to ``tenant``.

    They are added to the rows already there (a day active stays one day), every kind alike,
    so per-tenant figures match a recount of the events once those were given the tenant.
    Idempotent: a second call finds no rows left to move. ``days`` bounds the statements to
    primary-key probes (the key starts with app, day, tenant, visitor).
    """
    wanted = sorted(set(days))
    moved: dict[Key, list[int]] = {}
    for start in range(0, len(wanted), _DAYS_A_STATEMENT):
        rows = (await session.execute(
            delete(_TABLE).where(
                _TABLE.c.app_id == app_id, _TABLE.c.day.in_(wanted[start:start + _DAYS_A_STATEMENT]),
                _TABLE.c.tenant_id == "", _TABLE.c.visitor_id == visitor,
            ).returning(_TABLE.c.day, _TABLE.c.kind, _TABLE.c.key, _TABLE.c.count, _TABLE.c.ms)
        )).tuples().all()
        for day, kind, key, count, ms in rows:
            moved[(day, tenant, visitor, kind, key)] = [count, ms]
    await add_rows(session, app_id, moved)
    # what is left without a tenant starts later, or not at all
    await firsts.recount_pairs(session, app_id, visitor, "", {(kind, key) for _, _, _, kind, key in moved})
    days_moved = {key[0] for key in moved}
    await mark(session, app_id, [(d, t) for d in days_moved for t in ("", tenant)])


async def roll_up(session: AsyncSession, app_id: str, events: Sequence[AnyEvent]) -> None:
    """Fold newly stored events into the roll-ups, in the caller's transaction (called by ``write_events``)."""
    if not events:
        return
    await hold_rules(session, app_id, change=False)
    book = await rule_cache.get(session, app_id)
    renamed = {ev.previous: ev.visitor for ev in events if isinstance(ev, AliasEvent) and ev.previous != ev.visitor}
    tally = Tally(book)
    for ev in events:
        kind: str = type(ev).__struct_config__.tag  # type: ignore[assignment]  # every event class has a str tag
        detail: Any = None
        ms = 0
        if isinstance(ev, ClickEvent):
            detail = ev.element
        elif isinstance(ev, TrackEvent):
            detail = ev.name
        elif isinstance(ev, GuideEvent):
            detail = ev.guide
        elif isinstance(ev, TimeEvent):
            ms = ev.ms
        tally.event(kind, event_day(ev.ts), ev.tenant, renamed.get(ev.visitor, ev.visitor), ev.url, detail, ms,
                    _client(ev))
    for previous, visitor in renamed.items():
        await _merge_visitor(session, app_id, previous, visitor)
    await add_rows(session, app_id, tally.rows)
    await mark(session, app_id, {(day, tenant) for day, tenant, _, kind, _ in tally.rows if kind == "active"})


class DailyRollups:
    """The daily roll-up as an ingestion projection (registered in :mod:`waymark.wiring`)."""

    async def project(self, session: AsyncSession, app_id: str, stored: Sequence[AnyEvent]) -> None:
        await roll_up(session, app_id, stored)

    async def tenant_assigned(
        self, session: AsyncSession, app_id: str, visitor: str, tenant: str, days: set[date]
    ) -> None:
        await assign_tenant(session, app_id, visitor, tenant, days)


# --- rebuilding from stored events ---------------------------------------------------------------


def _like_literal(token: str) -> str | None:
    """``%token%`` for a LIKE that JSON text of the token surely contains, or None if escaping could differ."""
    if not token or not token.isascii() or not token.isprintable() or '"' in token or "\\" in token:
        return None
    return "%" + token.replace("%", "\\%").replace("_", "\\_") + "%"


def rule_prefilter(book: RuleBook) -> Any:
    """A cheap SQL superset of the events one rule can match, so a rebuild reads few rows; None = read all."""
    if book.features:
        tokens = book.features[0][1].required_tokens()
        patterns = [_like_literal(t) for t in tokens] if tokens else [None]
        if None in patterns:
            return None
        return or_(*(cast(Event.props, Text).like(p, escape="\\") for p in patterns))
    if book.pages:
        path = book.pages[0][1].rule.path or ""
        literal_part = path[:min((i for i in (path.find("*"), path.find("?")) if i >= 0), default=len(path))]
        pattern = _like_literal(literal_part) if len(literal_part) > 1 else None
        return Event.url.like(pattern, escape="\\") if pattern else None
    return None


async def _recount(
    session: AsyncSession, app_id: str, tally: Tally, types: Sequence[str] | None, prefilter: Any
) -> int:
    """Read the app's stored events in id order, a chunk at a time, and add what they count for."""
    query = select(
        Event.id, Event.type, Event.visitor_id, Event.tenant_id, Event.url, Event.ts, Event.name,
        Event.guide_id, Event.props,
    ).where(Event.app_id == app_id)
    if types:
        query = query.where(Event.type.in_(types))
    if prefilter is not None:
        query = query.where(prefilter)
    after = 0
    while True:
        rows = (await session.execute(query.where(Event.id > after).order_by(Event.id).limit(_CHUNK))).all()
        if not rows:
            break
        for row in rows:
            tally.stored_event(row.type, row.visitor_id, row.tenant_id, row.url, row.ts, row.name, row.guide_id,
                               row.props)
        after = rows[-1].id
        if len(tally.rows) >= _FLUSH_ROWS:
            await add_rows(session, app_id, tally.rows)
            tally.rows.clear()
    await add_rows(session, app_id, tally.rows)
    tally.rows.clear()
    return tally.counted


async def rebuild_rule(session: AsyncSession, app_id: str, kind: str, rule_id: str) -> int:
    """Delete one page's or feature's rows and recount them from every stored event (rules are retroactive).

    Call it in the transaction that changed the definition; returns the views or clicks counted
    (0 when the definition no longer exists: its rows are simply gone).
    """
    if kind not in RULE_KINDS:
        raise ValueError(f"only page and feature roll-ups are rebuilt by rule, not {kind!r}")
    await hold_rules(session, app_id, change=True)
    await mark_days(session, app_id, await _rule_days(session, app_id, kind, rule_id))
    await session.execute(
        delete(_TABLE).where(_TABLE.c.app_id == app_id, _TABLE.c.kind == kind, _TABLE.c.key == rule_id)
    )
    await firsts.drop_rule(session, app_id, kind, rule_id)
    book = await load_rule_book(session, app_id, only=(kind, rule_id))
    if not book.pages and not book.features:
        return 0
    counted = await _recount(session, app_id, Tally(book, {kind}), _TYPES_FOR[kind], rule_prefilter(book))
    await mark_days(session, app_id, await _rule_days(session, app_id, kind, rule_id))
    return counted


async def _rule_days(session: AsyncSession, app_id: str, kind: str, rule_id: str) -> list[date]:
    """The days with roll-up or summary rows of one page or feature (their app summaries change with the rule)."""
    days: set[date] = set((await session.scalars(select(DailyUsage.day).where(
        DailyUsage.app_id == app_id, DailyUsage.kind == kind, DailyUsage.key == rule_id).distinct())).all())
    days.update((await session.scalars(select(AppDay.day).where(
        AppDay.app_id == app_id, AppDay.kind == kind, AppDay.key == rule_id))).all())
    return sorted(days)


async def rebuild_all(session: AsyncSession, app_id: str) -> int:
    """Recompute every roll-up row of the app from stored events (repair, or after a bulk import)."""
    await hold_rules(session, app_id, change=True)
    await mark_all(session, app_id)  # what the rows said before: a day or tenant left with none is cleared too
    await session.execute(delete(_TABLE).where(_TABLE.c.app_id == app_id))
    await firsts.drop_app(session, app_id)
    book = await load_rule_book(session, app_id)
    counted = await _recount(session, app_id, Tally(book), None, None)
    await mark_all(session, app_id)
    return counted
