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

What is left grows with the steps' rows of the range, not with its events: the driver handing over one row
per step event (a column less, the tenant, when nothing looks at it) and one tuple each in Python, then the
funnel's or the paths' arithmetic per actor (README, "Funnels and paths", has the figures).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Text, cast, select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.analytics.steps import Step
from waymark.behaviour.refs import Ref
from waymark.db.models import Event

__all__ = ["StepRow", "StepTuple", "day_start", "range_bounds", "read_steps", "second_of"]


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


async def read_steps(session: AsyncSession, app_id: str, refs: Sequence[Ref], since: datetime, until: datetime,
                     *, tenants: bool = True) -> list[StepTuple]:
    """Every event in ``[since, until)`` (whole seconds) matching one of ``refs``, in no particular order: one
    tuple per event and step (an event matching two of the steps comes twice, with the same order).

    ``tenants=False`` leaves each event's tenant out (``None``): a column less to read and pass through the
    driver, a good part of the time on a large range. The session's scope adds the tenant filter when it is
    one tenant's.
    """
    if not refs:
        return []
    wanted: dict[str, list[tuple[int, Ref]]] = defaultdict(list)
    for index, ref in enumerate(refs):
        wanted[ref.step].append((index, ref))
    filtered = [step for step, found in wanted.items() if any(ref.where for _, ref in found)]
    plain = {step: frozenset(i for i, _ in found) for step, found in wanted.items() if step not in filtered}
    columns = (_STEPS.second, _STEPS.event_id, _STEPS.visitor_id, _STEPS.tenant_id, _STEPS.step)
    out: list[StepTuple] = []
    if plain:
        where = (_STEPS.app_id == app_id, *_in_range(since, until), _STEPS.step.in_(list(plain)))
        if tenants:
            tenanted: Sequence[Any] = (await session.execute(select(*columns).where(*where))).all()
            out = [((second, event_id), visitor, tenant, plain[step])
                   for second, event_id, visitor, tenant, step in tenanted]
        else:
            untenanted: Sequence[Any] = (await session.execute(
                select(_STEPS.second, _STEPS.event_id, _STEPS.visitor_id, _STEPS.step).where(*where))).all()
            out = [((second, event_id), visitor, None, plain[step])
                   for second, event_id, visitor, step in untenanted]
    if filtered:
        known: dict[tuple[str, str | None], frozenset[int]] = {}
        joined: Sequence[Any] = (await session.execute(
            select(*columns, cast(_EVENTS.props, Text))
            .select_from(Step.__table__.join(Event.__table__, _EVENTS.id == _STEPS.event_id))
            .where(_STEPS.app_id == app_id, *_in_range(since, until), _STEPS.step.in_(filtered))
        )).all()
        for second, event_id, visitor, tenant, step, props in joined:
            matched = known.get((step, props))
            if matched is None:  # each distinct (step, props text) is matched once: they repeat a lot
                data = json.loads(props) if props else None
                matched = known[(step, props)] = frozenset(
                    i for i, ref in wanted[step] if ref.matches_props(data))
            if matched:
                out.append(((second, event_id), visitor, tenant, matched))
    return out


def range_bounds(start: date, end: date, extra: timedelta = timedelta()) -> tuple[datetime, datetime]:
    """``[start 00:00, end + 1 day + extra)`` in UTC."""
    return day_start(start), day_start(end + timedelta(days=1)) + extra
