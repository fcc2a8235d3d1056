"""Where funnels and paths get their steps: the step projection (:mod:`waymark.analytics.steps`), one row per
stored event and page, feature, track event or guide step it is, already matched to the app's rules.

Funnels and paths need each step's time to the second, which the daily roll-up does not keep. Reading
``events`` over the range and matching every row to the rules grew with all the events of the range
(1.2 to 2.3 s over 30 days of the 1 M-event store); the projection keeps only what the reports need:

- A funnel reads the rows of its own steps (and exclusion steps) over the range, from the index
  ``(app_id, step, second, visitor, tenant, event id)`` alone; only track steps with property filters
  join ``events`` for the properties, and only for their rows.
- Paths read the rows that are an event's path label (its first page or feature in rule order, a track
  event's name) in time order, from the index ``(app_id, label, second, event id, …)`` alone, to make each
  visitor's sessions of a day (:mod:`waymark.behaviour.path_days` keeps those, and reads the label rows of
  the days it has not built).

The rows mirror the events (visitor and tenant as the events have them), so a tenant's scope narrows them
like the events; the projection keeps them current on ingest, rule changes, aliases, late tenants, erasure
and retention.

What is left grows with the steps' rows of the range, not with its events. A funnel has them grouped by the
database (:func:`read_step_keys`: one row per actor and step, its events as one JSON array of integer keys)
rather than one driver row and one Python tuple per step event; trends of filtered track events and guide
actions read them row by row (:func:`read_steps`). README, "Funnels and paths", has the figures.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple

import msgspec
from sqlalchemy import BigInteger, Text, cast, func, literal, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.analytics.steps import Step
from waymark.behaviour.refs import Ref
from waymark.db.models import Event

__all__ = ["KEY_SHIFT", "StepKeys", "StepRow", "StepTuple", "day_start", "range_bounds", "read_step_keys",
           "read_steps", "second_of"]


StepTuple = tuple[tuple[int, int], str, str | None, frozenset[int]]
"""A :class:`StepRow`'s fields as a plain tuple: what :func:`read_steps` makes, hundreds of thousands per report
(a plain tuple is several times cheaper to make than a named one, and as cheap to sort)."""


class StepRow(NamedTuple):
    """One stored event that matches at least one of the references asked for, its fields named."""

    order: tuple[int, int]
    """(second, stored id): the order of an actor's events, ties (the same second) by the order they were stored."""
    visitor: str
    tenant: str | None
    matches: frozenset[int]
    """Indices of the references it matches."""

    @property
    def second(self) -> int:
        return self.order[0]


_STEPS: Any = Step.__table__.c
_EVENTS: Any = Event.__table__.c


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of ``day``."""
    return datetime.combine(day, time(), UTC)


def second_of(ts: datetime) -> int:
    """Whole seconds since the epoch (SQLite hands back naive UTC datetimes)."""
    return int((ts if ts.tzinfo else ts.replace(tzinfo=UTC)).timestamp())


def _in_range(since: datetime, until: datetime) -> tuple[Any, Any]:
    return _STEPS.second >= second_of(since), _STEPS.second < second_of(until)


def _by_step(refs: Sequence[Ref]) -> tuple[dict[str, list[tuple[int, Ref]]], list[str], dict[str, frozenset[int]]]:
    """The references by projected step (with their indices); the steps that need their events' properties
    (one of their references has filters); and the other steps' reference indices."""
    wanted: dict[str, list[tuple[int, Ref]]] = defaultdict(list)
    for index, ref in enumerate(refs):
        wanted[ref.step].append((index, ref))
    filtered = [step for step, found in wanted.items() if any(ref.where for _, ref in found)]
    plain = {step: frozenset(i for i, _ in found) for step, found in wanted.items() if step not in filtered}
    return wanted, filtered, plain


async def _filtered_rows(session: AsyncSession, app_id: str, since: datetime, until: datetime,
                         wanted: dict[str, list[tuple[int, Ref]]], filtered: Sequence[str]
                         ) -> list[tuple[int, int, str, str | None, frozenset[int]]]:
    """(second, stored id, visitor, tenant, indices matched) of the events of the ``filtered`` steps whose
    properties match at least one of their references: those rows join the stored events for the properties."""
    known: dict[tuple[str, str | None], frozenset[int]] = {}
    joined: Sequence[Any] = (await session.execute(
        select(_STEPS.second, _STEPS.event_id, _STEPS.visitor_id, _STEPS.tenant_id, _STEPS.step,
               cast(_EVENTS.props, Text))
        .select_from(Step.__table__.join(Event.__table__, _EVENTS.id == _STEPS.event_id))
        .where(_STEPS.app_id == app_id, *_in_range(since, until), _STEPS.step.in_(filtered))
    )).all()
    out = []
    for second, event_id, visitor, tenant, step, props in joined:
        matched = known.get((step, props))
        if matched is None:  # each distinct (step, props text) is matched once: they repeat a lot
            data = json.loads(props) if props else None
            matched = known[(step, props)] = frozenset(i for i, ref in wanted[step] if ref.matches_props(data))
        if matched:
            out.append((second, event_id, visitor, tenant, matched))
    return out


async def read_steps(session: AsyncSession, app_id: str, refs: Sequence[Ref], since: datetime, until: datetime
                     ) -> list[StepTuple]:
    """Every event in ``[since, until)`` (whole seconds) matching one of ``refs``, in no particular order: one
    tuple per event and step (an event matching two of the steps comes twice, with the same order). The
    session's scope adds the tenant filter when it is one tenant's.
    """
    if not refs:
        return []
    wanted, filtered, plain = _by_step(refs)
    out: list[StepTuple] = []
    if plain:
        found: Sequence[Any] = (await session.execute(
            select(_STEPS.second, _STEPS.event_id, _STEPS.visitor_id, _STEPS.tenant_id, _STEPS.step)
            .where(_STEPS.app_id == app_id, *_in_range(since, until), _STEPS.step.in_(list(plain))))).all()
        out = [((second, event_id), visitor, tenant, plain[step]) for second, event_id, visitor, tenant, step in found]
    if filtered:
        out += [((second, event_id), visitor, tenant, matched) for second, event_id, visitor, tenant, matched
                in await _filtered_rows(session, app_id, since, until, wanted, filtered)]
    return out


KEY_SHIFT = 37
"""A step event's *key* is ``(second - since) << KEY_SHIFT | event id``: one integer that orders an actor's
events as (second, stored id) does, for ranges under 2**26 seconds (776 days) and ids under 2**37."""
_KEY_SECONDS = 1 << 26


@dataclass(slots=True)
class StepKeys:
    """Step events grouped by who did them, as :func:`read_step_keys` reads them: for each (visitor, tenant)
    asked for (``None`` where not), each reference's keys, in no particular order."""

    since: int
    """The second keys count from."""
    groups: dict[tuple[str | None, str | None], dict[int, list[int]]] = field(default_factory=dict)

    def key(self, second: int, event_id: int) -> int:
        return (second - self.since) << KEY_SHIFT | event_id

    def second(self, key: int) -> int:
        return self.since + (key >> KEY_SHIFT)

    def add(self, visitor: str | None, tenant: str | None, indices: Iterable[int], keys: Iterable[int]) -> None:
        found = self.groups.setdefault((visitor, tenant), {})
        keys = list(keys)
        for index in indices:
            found.setdefault(index, []).extend(keys)


def _key_lists(dialect: str, key: Any) -> Any:
    """The aggregate of a group's keys as the text of a JSON array."""
    listed = func.string_agg(cast(key, Text), literal(",")) if dialect == "postgresql" else func.group_concat(key)
    return literal("[") + listed + literal("]")


async def read_step_keys(session: AsyncSession, app_id: str, refs: Sequence[Ref], since: datetime,
                         until: datetime, *, visitors: bool, tenants: bool) -> StepKeys:
    """Every event in ``[since, until)`` (whole seconds) matching one of ``refs``, grouped in the database by
    visitor (``visitors``) and tenant (``tenants``), each group's keys handed over as one JSON text per step.

    A funnel reads hundreds of thousands of step events over a month; one driver row and one Python tuple each
    was most of its time. Grouped, the database hands over a row per visitor and step, and msgspec makes the
    integers. Track steps with property filters are read row by row (they join the events for the properties).
    """
    start, end = second_of(since), second_of(until)
    if end - start >= _KEY_SECONDS:
        raise ValueError(f"a range of {end - start} seconds is too long for step keys")
    out = StepKeys(start)
    if not refs:
        return out
    wanted, filtered, plain = _by_step(refs)
    if plain:
        who = [_STEPS.visitor_id if visitors else literal(None), _STEPS.tenant_id if tenants else literal(None)]
        key = (_STEPS.second - cast(literal(start), BigInteger)) * literal(1 << KEY_SHIFT, BigInteger) + _STEPS.event_id
        dialect = str(session.get_bind().dialect.name)
        grouping = [c for c, on in zip((_STEPS.visitor_id, _STEPS.tenant_id), (visitors, tenants), strict=True) if on]
        statement = (select(*who, _STEPS.step, _key_lists(dialect, key))
                     .where(_STEPS.app_id == app_id, *_in_range(since, until), _STEPS.step.in_(list(plain)))
                     .group_by(*grouping, _STEPS.step))
        found: Any = await (_hashed(session, statement) if dialect == "postgresql" else session.execute(statement))
        decode = _KEYS.decode
        for visitor, tenant, step, text in found.all():
            out.add(visitor, tenant, plain[step], decode(text))
    if filtered:
        for second, event_id, visitor, tenant, matched in await _filtered_rows(session, app_id, since, until, wanted,
                                                                               filtered):
            out.add(visitor if visitors else None, tenant if tenants else None, matched,
                    (out.key(second, event_id),))
    return out


_KEYS = msgspec.json.Decoder(list[int])


async def _hashed(session: AsyncSession, statement: Any) -> Any:
    """Run a grouping statement on PostgreSQL with its sorts turned off for it alone, so the groups are hashed.

    PostgreSQL's planner groups the step rows by sorting them on the visitor's text, under the database's
    collation, which it does not cost as slow as it is: 1.1 s for 600 k rows at ten million events, where
    hashing them takes 0.5 s, spilling to disk or not (``EXPLAIN ANALYZE`` on a copy of the 10 M store).
    """
    await session.execute(text("SET LOCAL enable_sort = off"))
    found = await session.execute(statement)
    await session.execute(text("SET LOCAL enable_sort TO DEFAULT"))  # (a failed statement ends the transaction)
    return found


def range_bounds(start: date, end: date, extra: timedelta = timedelta()) -> tuple[datetime, datetime]:
    """``[start 00:00, end + 1 day + extra)`` in UTC."""
    return day_start(start), day_start(end + timedelta(days=1)) + extra
