"""The step projection funnels and paths read: one row per stored event and step it is an occurrence of.

A step is named as a report reference writes it: ``page:ID`` (every page whose rule the view's URL
matches), ``feature:ID`` (every feature the click matches), ``event:NAME`` (a track event) and
``guide:ID:ACTION`` (a guide event). Each row keeps what the reports need and nothing more: the
visitor and tenant as stored on the event, the event's second, its stored id (the order of events in
the same second) and ``label``, set on the one row paths name the event by (the first page or
feature in rule order, a track event's name). Events matching no rule, and types no report reads
as a step, have no row.

Made for the events stored before it by the upgrade's back-fill (:mod:`waymark.analytics.step_backfill`),
then kept current like the daily roll-ups: by ingestion (:class:`StepProjection`), by the bulk loader,
per rule when a page or feature is defined, changed or deleted (:func:`rebuild_rule_steps`), on an
alias (:func:`merge_visitor`) and a late tenant (:func:`assign_tenant`), and by erasure and retention
(:func:`erase_visitors`, :func:`purge_events`). Rows mirror ``events`` (visitor and tenant as the events
have them now), so a report read from them answers as one read from the events would.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from waymark.analytics.rollups import rule_prefilter
from waymark.analytics.rules import RuleBook, hold_rules, load_rule_book, rule_cache
from waymark.db.models import AppScoped, Base, Event
from waymark.events.schemas import AliasEvent, AnyEvent, ClickEvent, GuideEvent, TrackEvent

__all__ = [
    "GUIDE_ACTIONS",
    "STEP_TYPES",
    "Step",
    "StepProjection",
    "assign_tenant",
    "click_element",
    "epoch_second",
    "erase_visitors",
    "event_steps",
    "insert_rows",
    "merge_visitor",
    "purge_events",
    "rebuild_rule_steps",
    "step_rows",
]

GUIDE_ACTIONS: dict[str, str] = {
    "seen": "guide_seen",
    "advanced": "guide_step_advanced",
    "completed": "guide_completed",
    "dismissed": "guide_dismissed",
    "snoozed": "guide_snoozed",
}
"""A guide step's action, and the stored event type it stands for."""
_GUIDE_ACTION_OF = {stored: action for action, stored in GUIDE_ACTIONS.items()}
STEP_TYPES = ("page", "click", "track", *GUIDE_ACTIONS.values())
"""The stored event types that can be steps."""
_PREFIX = {"page": "page", "feature": "feature"}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CHUNK = 5000
_IDS_A_STATEMENT = 500


class Step(AppScoped, Base):
    """One stored event as one step (an event matching two pages is two rows, one of them the path label)."""

    __tablename__ = "steps"
    __table_args__ = (
        # A funnel reads its steps' rows over a range: from the index alone.
        Index("ix_steps_app_step_second", "app_id", "step", "second", "visitor_id", "tenant_id", "event_id"),
        # Paths read every labelled row over a range, in time order (ties by event), from the index alone.
        Index("ix_steps_app_label_second", "app_id", "label", "second", "event_id", "visitor_id", "step",
              "tenant_id"),
        # A late tenant and erasure find one visitor's rows.
        Index("ix_steps_app_visitor", "app_id", "visitor_id"),
        # SQLite: the primary key is the table (one b-tree less to write per row, and no rowid to store).
        {"sqlite_with_rowid": False},
    )

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    event_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    """``events.id``: the order of a visitor's events within one second."""
    step: Mapped[str] = mapped_column(String(210), primary_key=True)
    second: Mapped[int] = mapped_column(BigInteger)
    """The event's time in whole seconds since the epoch."""
    visitor_id: Mapped[str] = mapped_column(String(200))
    tenant_id: Mapped[str | None] = mapped_column(String(200), default=None)
    label: Mapped[bool] = mapped_column(Boolean)
    """The step paths name this event by (at most one row of an event has it)."""


_TABLE: Table = Step.__table__  # type: ignore[assignment]  # typed FromClause; declarative maps a Table
_EVENTS: Any = Event.__table__.c


def epoch_second(ts: datetime) -> int:
    """Whole seconds since the epoch, rounded down (SQLite hands back naive UTC datetimes)."""
    return ((ts if ts.tzinfo else ts.replace(tzinfo=UTC)) - _EPOCH) // timedelta(seconds=1)


def event_steps(book: RuleBook, kind: str, name: str | None, guide: str | None, url: str | None,
                element: Any) -> list[tuple[str, bool]]:
    """The steps one stored event is, each with whether it is the event's path label; ``element`` is a click's."""
    if kind == "page":
        return [(f"page:{page}", not i) for i, page in enumerate(book.pages_for(url))]
    if kind == "click":
        if element is None:
            return []
        return [(f"feature:{feature}", not i) for i, feature in enumerate(book.features_for(element, url))]
    if kind == "track":
        return [(f"event:{name}", True)] if name else []
    action = _GUIDE_ACTION_OF.get(kind)
    return [(f"guide:{guide}:{action}", False)] if action and guide else []


def click_element(props: Mapping[str, Any] | str | None) -> Any:
    """The element of a click's stored props (a mapping, or JSON text as plain SQL reads it)."""
    if isinstance(props, str):
        props = json.loads(props) if props else None
    return (props or {}).get("element") if isinstance(props, Mapping) else None


# --- ingestion -------------------------------------------------------------------------------------

_ID_CHUNK = 500
"""Client ids looked up per statement: below SQLite's and asyncpg's limits on bound parameters."""


class StepProjection:
    """The step rows as an ingestion projection (registered in :mod:`waymark.wiring`)."""

    async def project(self, session: AsyncSession, app_id: str, stored: Sequence[AnyEvent]) -> None:
        for ev in stored:
            if isinstance(ev, AliasEvent) and ev.previous != ev.visitor:
                await merge_visitor(session, app_id, ev.previous, ev.visitor)
        await hold_rules(session, app_id, change=False)
        book = await rule_cache.get(session, app_id)
        wanted: dict[str, list[tuple[str, int, bool]]] = {}
        for ev in stored:
            kind: str = type(ev).__struct_config__.tag  # type: ignore[assignment]  # every event class has a str tag
            if kind not in STEP_TYPES:
                continue
            found = event_steps(book, kind, ev.name if isinstance(ev, TrackEvent) else None,
                                ev.guide if isinstance(ev, GuideEvent) else None, ev.url,
                                ev.element if isinstance(ev, ClickEvent) else None)
            if found:
                second = epoch_second(ev.ts)
                wanted[ev.id] = [(step, second, label) for step, label in found]
        if wanted:
            await insert_rows(session, await _rows_of_stored(session, app_id, wanted))

    async def tenant_assigned(
        self, session: AsyncSession, app_id: str, visitor: str, tenant: str, days: set[date]
    ) -> None:
        await assign_tenant(session, app_id, visitor, tenant)


async def _rows_of_stored(session: AsyncSession, app_id: str, wanted: Mapping[str, Sequence[tuple[str, int, bool]]]
                          ) -> list[dict[str, Any]]:
    """The step rows of just-stored events, by client id (ingestion does not hand on the stored id): their
    stored id, visitor and tenant read back in one statement per :data:`_ID_CHUNK` ids, so the rows go in as
    one multi-row insert. (An ``INSERT … SELECT`` per row cost PostgreSQL ingestion four fifths of its rate.)"""
    keys = list(wanted)
    rows: list[dict[str, Any]] = []
    for at in range(0, len(keys), _ID_CHUNK):
        found: Sequence[Any] = (await session.execute(
            select(_EVENTS.event_id, _EVENTS.id, _EVENTS.visitor_id, _EVENTS.tenant_id)
            .where(_EVENTS.app_id == app_id, _EVENTS.event_id.in_(keys[at:at + _ID_CHUNK])))).all()
        for key, event_id, visitor, tenant in found:
            rows.extend({"app_id": app_id, "event_id": event_id, "step": step, "second": second,
                         "visitor_id": visitor, "tenant_id": tenant, "label": label}
                        for step, second, label in wanted[key])
    return rows


async def merge_visitor(session: AsyncSession, app_id: str, previous: str, visitor: str) -> None:
    """Identity resolution: the rows of the earlier (anonymous) id become the visitor's, as their events did."""
    await session.execute(
        update(_TABLE).where(_TABLE.c.app_id == app_id, _TABLE.c.visitor_id == previous).values(visitor_id=visitor))


async def assign_tenant(session: AsyncSession, app_id: str, visitor: str, tenant: str) -> None:
    """The visitor's rows without a tenant get ``tenant``, as their events just did."""
    await session.execute(
        update(_TABLE).where(_TABLE.c.app_id == app_id, _TABLE.c.visitor_id == visitor, _TABLE.c.tenant_id.is_(None))
        .values(tenant_id=tenant)
    )


# --- erasure and retention -------------------------------------------------------------------------


async def erase_visitors(session: AsyncSession, app_id: str, ids: Sequence[str]) -> int:
    """Delete the rows of these visitor ids; returns how many."""
    result = await session.execute(
        delete(_TABLE).where(_TABLE.c.app_id == app_id, _TABLE.c.visitor_id.in_(list(ids)))
        .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]  # DML gives a CursorResult, typed Result


async def purge_events(session: AsyncSession, app_id: str, event_ids: Sequence[int]) -> None:
    """Delete the rows of these stored events (they are being purged)."""
    for start in range(0, len(event_ids), _IDS_A_STATEMENT):
        await session.execute(
            delete(_TABLE).where(_TABLE.c.app_id == app_id,
                                 _TABLE.c.event_id.in_(event_ids[start:start + _IDS_A_STATEMENT]))
            .execution_options(synchronize_session=False))


# --- rebuilding for one rule -----------------------------------------------------------------------


async def rebuild_rule_steps(session: AsyncSession, app_id: str, kind: str, rule_id: str) -> None:
    """Bring the rows of every event one page or feature matched, or matches now, in line with the current rules.

    Call it in the transaction that defined, changed or deleted the rule. Those events' rows are
    recomputed whole, with every rule, so the path label moves when the changed rule comes first
    (or no longer matches).
    """
    if kind not in _PREFIX:
        raise ValueError(f"only page and feature steps are rebuilt by rule, not {kind!r}")
    await hold_rules(session, app_id, change=True)
    touched: set[int] = set((await session.scalars(
        delete(_TABLE).where(_TABLE.c.app_id == app_id, _TABLE.c.step == f"{_PREFIX[kind]}:{rule_id}")
        .returning(_TABLE.c.event_id))).all())
    only = await load_rule_book(session, app_id, only=(kind, rule_id))
    if only.pages or only.features:
        touched.update(await _matching(session, app_id, only, "page" if kind == "page" else "click"))
    book = await load_rule_book(session, app_id)
    wanted = sorted(touched)
    for start in range(0, len(wanted), _IDS_A_STATEMENT):
        await _recompute(session, app_id, book, wanted[start:start + _IDS_A_STATEMENT])


async def _matching(session: AsyncSession, app_id: str, only: RuleBook, kind: str) -> list[int]:
    """Ids of the app's stored events of ``kind`` that the one rule in ``only`` matches."""
    query = select(_EVENTS.id, _EVENTS.url, _EVENTS.props).where(_EVENTS.app_id == app_id, _EVENTS.type == kind)
    prefilter = rule_prefilter(only)
    if prefilter is not None:
        query = query.where(prefilter)
    found: list[int] = []
    after = 0
    while True:
        rows: Sequence[Any] = (await session.execute(
            query.where(_EVENTS.id > after).order_by(_EVENTS.id).limit(_CHUNK))).all()
        if not rows:
            return found
        for event_id, url, props in rows:
            if event_steps(only, kind, None, None, url, click_element(props) if kind == "click" else None):
                found.append(event_id)
        after = rows[-1][0]


async def _recompute(session: AsyncSession, app_id: str, book: RuleBook, event_ids: Sequence[int]) -> None:
    await session.execute(delete(_TABLE).where(_TABLE.c.app_id == app_id, _TABLE.c.event_id.in_(event_ids))
                          .execution_options(synchronize_session=False))
    events: Sequence[Any] = (await session.execute(
        select(_EVENTS.id, _EVENTS.type, _EVENTS.name, _EVENTS.guide_id, _EVENTS.url, _EVENTS.props,
               _EVENTS.visitor_id, _EVENTS.tenant_id, _EVENTS.ts)
        .where(_EVENTS.app_id == app_id, _EVENTS.id.in_(event_ids)))).all()
    await insert_rows(session, list(step_rows(app_id, book, events)))


def step_rows(app_id: str, book: RuleBook, events: Iterable[Sequence[Any]]) -> Iterable[dict[str, Any]]:
    """The rows of stored events given as (id, type, name, guide id, URL, props, visitor, tenant, ts)."""
    for event_id, kind, name, guide, url, props, visitor, tenant, ts in events:
        found = event_steps(book, kind, name, guide, url, click_element(props) if kind == "click" else None)
        if found:
            second = epoch_second(ts)
            for step, label in found:
                yield {"app_id": app_id, "event_id": event_id, "step": step, "second": second,
                       "visitor_id": visitor, "tenant_id": tenant, "label": label}


async def insert_rows(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Store step rows (as :func:`step_rows` makes them)."""
    if rows:
        await session.execute(_TABLE.insert(), rows)
