"""Day-level reads for signal and impact, from the daily roll-up (``daily_usage``), the first day of each thing
in it (``item_first_days``, what signal's window reads) and, for guide actions other than seen, from the guide
figures (``guide_daily_stats``).

The databases do the grouping: what comes back is one row per unit and item (signal), per unit (adoption) or
per relative day (impact), never one per visitor-day, so the answer stays quick as the store grows. Days are
compared as day numbers (days since 1970-01-01, :func:`day_number`) in SQL and handed back as ordinals.

Every read goes through the caller's scoped session (its app, and its tenant when it has one). A segment
narrows the rows to its visitors, or to its tenants' visitors; counting tenants, a tenant did something on a
day when any of its (segment's) visitors did. Rows without a tenant count for no tenant.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, Integer, and_, case, cast, func, literal, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.analytics.item_first_days import ItemFirstDay
from waymark.analytics.segments import SegmentMembers
from waymark.behaviour.refs import Ref, RefError, Unit
from waymark.clock import as_utc
from waymark.db.models import DailyUsage, Tenant, Visitor
from waymark.guidestats.models import GuideDailyStat

__all__ = [
    "MAX_SEGMENT_MEMBERS",
    "Who",
    "adopter_sums",
    "adoption_days",
    "day_number",
    "first_days",
    "goal_offsets",
    "item_label",
    "non_adopter_sums",
    "require_day_level",
    "window_items",
]

MAX_SEGMENT_MEMBERS = 30_000
"""A segment is sent to the database as a list of ids; both databases take at most about 32 thousand."""
_GUIDE_COLUMNS = {"completed": "completed", "dismissed": "dismissed", "snoozed": "snoozed", "advanced": "top_step"}
_EPOCH = date(1970, 1, 1)
_EPOCH_ORDINAL = _EPOCH.toordinal()
_JULIAN_EPOCH = 2440587.5
"""SQLite's julianday('1970-01-01')."""


def _moment(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def item_label(kind: str, key: str) -> str:
    """A roll-up row's thing as a reference (``guide:ID:seen`` for a guide: its roll-up rows are views)."""
    return f"guide:{key}:seen" if kind == "guide" else f"{kind}:{key}"


def require_day_level(ref: Ref, what: str) -> Ref:
    """``ref`` if the daily figures can answer it; a track event's property filters they cannot."""
    if ref.where:
        raise RefError(f"{what} {ref.text()[:80]!r}: property filters need each event's properties, which the "
                       f"daily figures this report reads do not keep; write event:{ref.key[:60]} without [...]")
    return ref


def day_number(column: Any, dialect: str) -> Any:
    """A ``date`` column as days since 1970-01-01 (an integer in SQL)."""
    if dialect == "postgresql":
        return type_coerce(column - literal(_EPOCH, Date), Integer)
    return cast(func.julianday(column) - _JULIAN_EPOCH, Integer)


def _first_day_number(column: Any, dialect: str) -> Any:
    """A UTC moment column (``first_seen``) as the number of its UTC day."""
    if dialect == "postgresql":
        return day_number(cast(func.timezone("UTC", column), Date), dialect)
    return day_number(func.date(column), dialect)


def _ordinal(number: Any) -> int:
    return int(number) + _EPOCH_ORDINAL


def _dialect(session: AsyncSession) -> str:
    return str(session.get_bind().dialect.name)


@dataclass(frozen=True, slots=True)
class Who:
    """The unit counted, and the segment that narrows it (None: everyone in the scope)."""

    unit: Unit
    members: SegmentMembers | None = None

    def unit_column(self, model: Any) -> Any:
        return model.visitor_id if self.unit == "visitors" else model.tenant_id

    def conditions(self, model: Any) -> list[Any]:
        """The segment's rows only; counting tenants, only rows with a tenant."""
        out = [] if self.unit == "visitors" else [model.tenant_id != ""]
        members = self.members
        if members is not None:
            column = model.visitor_id if members.subject == "visitor" else model.tenant_id
            out.append(column.in_(sorted(members.ids)))
        return out


@dataclass(frozen=True, slots=True)
class _Source:
    """Where a reference's days are stored: the model, the conditions that pick its rows, what a row counts."""

    model: Any
    where: list[Any]
    count: Any


def _source(app_id: str, ref: Ref | None) -> _Source:
    """``None``: any activity (the ``active`` rows, counting events)."""
    if ref is not None and ref.kind == "guide" and ref.action != "seen":
        column = getattr(GuideDailyStat, _GUIDE_COLUMNS[str(ref.action)])
        # an advanced guide's top_step is a position, not a count: each day counts once
        count = literal(1) if ref.action == "advanced" else column
        return _Source(GuideDailyStat, [GuideDailyStat.app_id == app_id, GuideDailyStat.guide_id == ref.key,
                                        column > 0], count)
    kind, key = ("active", "") if ref is None else (ref.kind, require_day_level(ref, "reference").key)
    return _Source(DailyUsage, [DailyUsage.app_id == app_id, DailyUsage.kind == kind, DailyUsage.key == key,
                                DailyUsage.count > 0], DailyUsage.count)


async def first_days(session: AsyncSession, app_id: str, who: Who, start: date, end: date) -> dict[str, int]:
    """Each visitor (or tenant) first seen from ``start`` to ``end``: its first day (ordinal)."""
    first, last = _moment(start), _moment(end + timedelta(days=1))
    out: dict[str, int] = {}
    members = who.members
    if who.unit == "visitors":
        rows = await session.execute(select(Visitor.id, Visitor.tenant_id, Visitor.first_seen).where(
            Visitor.app_id == app_id, Visitor.first_seen >= first, Visitor.first_seen < last))
        for visitor, tenant, seen in rows.tuples():
            if members is None or (visitor if members.subject == "visitor" else tenant) in members.ids:
                out[visitor] = as_utc(seen).date().toordinal()
        return out
    wanted: set[str | None] | None = None
    if members is not None:
        wanted = set(members.ids) if members.subject == "tenant" else set(members.tenant_of.values())
    tenants = await session.execute(select(Tenant.id, Tenant.first_seen).where(
        Tenant.app_id == app_id, Tenant.first_seen >= first, Tenant.first_seen < last))
    for tenant, seen in tenants.tuples():
        if wanted is None or tenant in wanted:
            out[tenant] = as_utc(seen).date().toordinal()
    return out


def _seen_date(column: Any, dialect: str, days: int) -> Any:
    """The UTC day of a moment column (``first_seen``) plus ``days``, as a date comparable to a ``Date`` column."""
    if dialect == "postgresql":
        return cast(func.timezone("UTC", column), Date) + days
    return type_coerce(func.date(column, f"+{days} days"), Date)


def _new_units(who: Who, app_id: str, since: date, until: date, from_day: int, to_day: int, dialect: str) -> Any:
    """The units first seen in [since, until], made once (``MATERIALIZED``): ``id``, ``seen`` (the number of the
    first day), and the dates ``start`` and ``stop``, ``from_day`` and ``to_day`` days after it.

    Joined to the facts directly, the database looked up the visitor row and redid the day arithmetic for every
    fact (a third of the read at ten million events)."""
    model: Any = Visitor if who.unit == "visitors" else Tenant
    seen = model.first_seen
    return (select(model.id.label("id"), _first_day_number(seen, dialect).label("seen"),
                   _seen_date(seen, dialect, from_day).label("start"), _seen_date(seen, dialect, to_day).label("stop"))
            .where(model.app_id == app_id, seen >= _moment(since), seen < _moment(until + timedelta(days=1)))
            .cte("new_units").prefix_with("MATERIALIZED"))


async def window_items(session: AsyncSession, app_id: str, who: Who, since: date, until: date, window_days: int
                       ) -> list[tuple[str, int, str]]:
    """(unit, first day after first seen, item) of every page viewed, feature clicked, track event sent and guide
    seen in the window (days 0 .. window_days - 1) by the units first seen in [since, until].

    Read from each visitor's first day of each thing (:class:`ItemFirstDay`), which answers alone unless that
    day is before the unit was first seen (history sent late, a visitor's days moved to a tenant first seen
    later): then the thing's roll-up rows of that visitor and tenant in the window are read.
    """
    dialect = _dialect(session)
    f = ItemFirstDay
    unit = who.unit_column(f)
    new = _new_units(who, app_id, since, until, 0, window_days, dialect)
    in_window = (select(func.min(day_number(DailyUsage.day, dialect))).where(
        DailyUsage.app_id == f.app_id, DailyUsage.kind == f.kind, DailyUsage.key == f.key,
        DailyUsage.visitor_id == f.visitor_id, DailyUsage.tenant_id == f.tenant_id, DailyUsage.count > 0,
        DailyUsage.day >= new.c.start, DailyUsage.day < new.c.stop).scalar_subquery())
    # None when a first day before first seen has no day in the window
    first = func.min(case((f.first_day >= new.c.start, day_number(f.first_day, dialect)), else_=in_window)
                     - new.c.seen)
    rows = await session.execute(
        select(unit, f.kind, f.key, first).select_from(new)
        .join(f, and_(f.app_id == app_id, unit == new.c.id, f.first_day < new.c.stop))
        .where(*who.conditions(f)).group_by(unit, f.kind, f.key).having(first.is_not(None)))
    return [(u, int(first), item_label(kind, key)) for u, kind, key, first in rows.tuples()]


async def goal_offsets(session: AsyncSession, app_id: str, who: Who, goal: Ref | None, since: date, until: date,
                       from_day: int, to_day: int) -> list[tuple[str, int]]:
    """(unit, first day after first seen) of each unit first seen in [since, until] that did ``goal`` (None: any
    activity) on days ``from_day`` .. ``to_day`` after first seen."""
    dialect = _dialect(session)
    source = _source(app_id, goal)
    model = source.model
    unit = who.unit_column(model)
    new = _new_units(who, app_id, since, until, from_day, to_day, dialect)
    # Days compared as dates, the offset taken once per unit: per row, the day arithmetic took half the time.
    rows = await session.execute(
        select(unit, func.min(day_number(model.day, dialect)) - new.c.seen)
        .join(new, new.c.id == unit)
        .where(*source.where, model.day >= since + timedelta(days=from_day),
               model.day <= until + timedelta(days=to_day), model.day >= new.c.start, model.day <= new.c.stop,
               *who.conditions(model))
        .group_by(unit, new.c.seen))
    return [(u, int(first)) for u, first in rows.tuples()]


def _adoption_query(app_id: str, who: Who, adoption: Ref, start: date, end: date, dialect: str) -> Any:
    source = _source(app_id, adoption)
    model = source.model
    unit = who.unit_column(model)
    return select(unit.label("unit"), func.min(day_number(model.day, dialect)).label("day")).where(
        *source.where, model.day >= start, model.day <= end, *who.conditions(model)).group_by(unit)


async def adoption_days(session: AsyncSession, app_id: str, who: Who, adoption: Ref, start: date, end: date
                        ) -> dict[str, int]:
    """Each unit that did ``adoption`` from ``start`` to ``end``: the first day it did (ordinal)."""
    rows = await session.execute(_adoption_query(app_id, who, adoption, start, end, _dialect(session)))
    return {unit: _ordinal(day) for unit, day in rows.tuples()}


async def adopter_sums(session: AsyncSession, app_id: str, who: Who, adoption: Ref, metric: Ref | None,
                       start: date, end: date, days: int, today: date, adopted: Mapping[str, int]) -> dict[int, int]:
    """Relative day (-days .. days around each adopter's adoption day) → the metric summed over adopters.

    ``adopted`` is :func:`adoption_days`' answer. Counting visitors, the database joins each metric row to its
    adopter's day (thousands of adopters: it builds an index on them). Counting tenants, a few thousand rows per
    tenant and day come back and the offsets are taken here: joined in SQL, SQLite read the roll-up's whole
    range once per tenant (seconds on a large store).
    """
    dialect = _dialect(session)
    adopters = _adoption_query(app_id, who, adoption, start, end, dialect).subquery()
    source = _source(app_id, metric)
    model = source.model
    unit = who.unit_column(model)
    number = day_number(model.day, dialect)
    within = (*source.where, model.day >= start - timedelta(days=days),
              model.day <= min(end + timedelta(days=days), today), *who.conditions(model))
    if who.unit == "visitors":
        offset = number - adopters.c.day
        summed = await session.execute(
            select(offset, func.sum(source.count)).select_from(model).join(adopters, unit == adopters.c.unit)
            .where(*within, offset >= -days, offset <= days).group_by(offset))
        return {int(off): int(total) for off, total in summed.tuples()}
    rows = await session.execute(
        select(unit, number, func.sum(source.count))
        .where(*within, unit.in_(select(adopters.c.unit))).group_by(unit, number))
    out: dict[int, int] = defaultdict(int)
    for found, day, total in rows.tuples():
        adopted_on = adopted.get(found)
        if adopted_on is not None and -days <= (offset := _ordinal(day) - adopted_on) <= days:
            out[offset] += int(total)
    return dict(out)


async def non_adopter_sums(session: AsyncSession, app_id: str, who: Who, adoption: Ref, metric: Ref | None,
                           start: date, end: date, anchor: date | None, days: int, today: date
                           ) -> tuple[int, dict[int, int]]:
    """How many units were active from ``start`` to ``end`` without adopting, and (with an ``anchor``) relative
    day (-days .. days around the anchor) → their metric summed."""
    dialect = _dialect(session)
    adopted = _adoption_query(app_id, who, adoption, start, end, dialect).subquery()
    active_unit = who.unit_column(DailyUsage)
    active = (select(active_unit.label("unit")).where(
        DailyUsage.app_id == app_id, DailyUsage.kind == "active", DailyUsage.key == "", DailyUsage.day >= start,
        DailyUsage.day <= end, *who.conditions(DailyUsage)).group_by(active_unit).subquery())
    never = select(active.c.unit).where(active.c.unit.not_in(select(adopted.c.unit)))
    count = await session.scalar(select(func.count()).select_from(never.subquery()))
    if anchor is None or not count:
        return int(count or 0), {}
    source = _source(app_id, metric)
    model = source.model
    unit = who.unit_column(model)
    number = day_number(model.day, dialect)
    rows = await session.execute(
        select(number, func.sum(source.count)).where(
            *source.where, model.day >= anchor - timedelta(days=days),
            model.day <= min(anchor + timedelta(days=days), today), unit.in_(never), *who.conditions(model))
        .group_by(number))
    return int(count), {_ordinal(n) - anchor.toordinal(): int(total) for n, total in rows.tuples()}
