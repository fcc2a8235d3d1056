"""Day-level facts for signal and impact, read from the daily roll-up (``daily_usage``) and, for guide actions
other than seen, from the guide figures (``guide_daily_stats``): who (a visitor or a tenant) did what on which
day, as ``(unit, day ordinal, ...)`` tuples the pure computations take.

Every read goes through the caller's scoped session (its app, and its tenant when it has one). A segment
narrows the facts to its visitors, or to its tenants' visitors; counting tenants, a tenant did something on a
day when any of its (segment's) visitors did. Rows without a tenant count for no tenant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.analytics.segments import SegmentMembers
from waymark.behaviour.refs import Ref, RefError, Unit
from waymark.clock import as_utc
from waymark.db.models import DailyUsage, Tenant, Visitor
from waymark.guidestats.models import GuideDailyStat

__all__ = ["ITEM_KINDS", "Who", "first_days", "item_facts", "item_label", "ref_facts", "require_day_level"]

ITEM_KINDS = ("page", "feature", "event", "guide")
"""The roll-up kinds whose keys are things a visitor does (``active``, ``browser``, ``language`` are not)."""
_GUIDE_COLUMNS = {"completed": "completed", "dismissed": "dismissed", "snoozed": "snoozed", "advanced": "top_step"}


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


@dataclass(frozen=True, slots=True)
class Who:
    """The unit counted, and the segment that narrows it (None: everyone in the scope)."""

    unit: Unit
    members: SegmentMembers | None = None

    def unit_of(self, visitor: str, tenant: str) -> str | None:
        """The unit a visitor's row counts for, or None when the segment leaves it out (or, counting tenants,
        the row has no tenant)."""
        members = self.members
        if members is not None and (visitor if members.subject == "visitor" else tenant) not in members.ids:
            return None
        if self.unit == "visitors":
            return visitor
        return tenant or None


async def first_days(session: AsyncSession, app_id: str, who: Who, start: date, end: date) -> dict[str, int]:
    """Each visitor (or tenant) first seen from ``start`` to ``end``: its first day (ordinal)."""
    first, last = _moment(start), _moment(end + timedelta(days=1))
    out: dict[str, int] = {}
    if who.unit == "visitors":
        rows = await session.execute(select(Visitor.id, Visitor.tenant_id, Visitor.first_seen).where(
            Visitor.app_id == app_id, Visitor.first_seen >= first, Visitor.first_seen < last))
        for visitor, tenant, seen in rows.tuples():
            if who.unit_of(visitor, tenant or "") is not None:
                out[visitor] = as_utc(seen).date().toordinal()
        return out
    members = who.members
    wanted: set[str | None] | None = None
    if members is not None:
        wanted = set(members.ids) if members.subject == "tenant" else set(members.tenant_of.values())
    tenants = await session.execute(select(Tenant.id, Tenant.first_seen).where(
        Tenant.app_id == app_id, Tenant.first_seen >= first, Tenant.first_seen < last))
    for tenant, seen in tenants.tuples():
        if wanted is None or tenant in wanted:
            out[tenant] = as_utc(seen).date().toordinal()
    return out


def _new_units_join(statement: Any, who: Who, table: Any, since: date | None, until: date | None) -> Any:
    """Keep only rows of visitors (tenants) first seen in [since, until]: the population, joined in SQL so that
    the activity of everyone else is never read."""
    if since is None or until is None:
        return statement
    first, last = _moment(since), _moment(until + timedelta(days=1))
    if who.unit == "visitors":
        return statement.join(Visitor, and_(Visitor.app_id == table.app_id, Visitor.id == table.visitor_id,
                                            Visitor.first_seen >= first, Visitor.first_seen < last))
    return statement.join(Tenant, and_(Tenant.app_id == table.app_id, Tenant.id == table.tenant_id,
                                       Tenant.first_seen >= first, Tenant.first_seen < last))


async def item_facts(session: AsyncSession, app_id: str, who: Who, first: date, last: date,
                     new_from: date | None = None, new_to: date | None = None) -> list[tuple[str, int, str]]:
    """(unit, day, item) for every page viewed, feature clicked, track event sent and guide seen from ``first``
    to ``last``; only by units first seen in [new_from, new_to] when those are given."""
    statement = select(DailyUsage.visitor_id, DailyUsage.tenant_id, DailyUsage.day, DailyUsage.kind,
                       DailyUsage.key).where(
        DailyUsage.app_id == app_id, DailyUsage.day >= first, DailyUsage.day <= last,
        DailyUsage.kind.in_(ITEM_KINDS), DailyUsage.count > 0)
    statement = _new_units_join(statement, who, DailyUsage, new_from, new_to)
    labels: dict[tuple[str, str], str] = {}
    out: list[tuple[str, int, str]] = []
    for row in await _rows(session, statement):
        visitor, tenant, day, kind, key = row
        unit = who.unit_of(visitor, tenant)
        if unit is None:
            continue
        label = labels.get((kind, key))
        if label is None:
            label = labels[(kind, key)] = item_label(kind, key)
        out.append((unit, day.toordinal(), label))
    return out


async def ref_facts(session: AsyncSession, app_id: str, who: Who, ref: Ref | None, first: date, last: date,
                    new_from: date | None = None, new_to: date | None = None) -> dict[tuple[str, int], int]:
    """(unit, day) → how many times ``ref`` was done that day (``None``: any activity, counted in events), from
    ``first`` to ``last``; only by units first seen in [new_from, new_to] when those are given."""
    statement: Any
    once = False  # each row counts once: an advanced guide's top_step is a position, not a count
    if ref is not None and ref.kind == "guide" and ref.action != "seen":
        once = ref.action == "advanced"
        column: Any = getattr(GuideDailyStat, _GUIDE_COLUMNS[str(ref.action)])
        statement = select(GuideDailyStat.visitor_id, GuideDailyStat.tenant_id, GuideDailyStat.day, column).where(
            GuideDailyStat.app_id == app_id, GuideDailyStat.guide_id == ref.key, GuideDailyStat.day >= first,
            GuideDailyStat.day <= last, column > 0)
        statement = _new_units_join(statement, who, GuideDailyStat, new_from, new_to)
    else:
        kind, key = ("active", "") if ref is None else (ref.kind, require_day_level(ref, "reference").key)
        statement = select(DailyUsage.visitor_id, DailyUsage.tenant_id, DailyUsage.day, DailyUsage.count).where(
            DailyUsage.app_id == app_id, DailyUsage.day >= first, DailyUsage.day <= last,
            DailyUsage.kind == kind, DailyUsage.key == key, DailyUsage.count > 0)
        statement = _new_units_join(statement, who, DailyUsage, new_from, new_to)
    out: dict[tuple[str, int], int] = {}
    for visitor, tenant, day, count in await _rows(session, statement):
        unit = who.unit_of(visitor, tenant)
        if unit is not None:
            key_ = (unit, day.toordinal())
            out[key_] = out.get(key_, 0) + (1 if once else int(count))
    return out


async def _rows(session: AsyncSession, statement: Any) -> list[Any]:
    return list((await session.execute(statement)).tuples())
