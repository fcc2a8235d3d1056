"""The first day each visitor did each thing: one row per (visitor, tenant, kind, key) of the daily roll-up.

Signal asks, for every visitor (or tenant) first seen in a range, which pages, features, track events and
guides it did in its first days. Read from ``daily_usage`` that is one row per unit, thing and day (about two
million at ten million events); read from here it is one per unit and thing. A row is the earliest ``day`` of
the ``daily_usage`` rows of its (visitor, tenant, kind, key) that count something (``count > 0``), for the
kinds in :data:`ITEM_KINDS`; ``tenant_id`` is ``""`` for rows without a tenant, as in the roll-up.

It mirrors the roll-up, not the events, and is kept current by whatever writes the roll-up
(:mod:`waymark.analytics.rollups`: ingestion, aliases, a late tenant and rule rebuilds; the bulk loader; the
definition of a page or feature being deleted; erasure). Retention purges events, not roll-ups, so it changes
nothing here. The rows of an existing store are made by the upgrade's back-fill (:func:`backfill_first_days`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, String, Table, delete, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from waymark.db.models import AppScoped, Base, DailyUsage
from waymark.db.upsert import insert_for

__all__ = [
    "ITEM_KINDS",
    "ItemFirstDay",
    "add_first_days",
    "backfill_first_days",
    "drop_app",
    "drop_rule",
    "earliest",
    "erase_visitors",
    "merge_visitor",
    "recount_pairs",
]

ITEM_KINDS = ("page", "feature", "event", "guide")
"""The roll-up kinds whose keys are things a visitor does (``active``, ``browser``, ``language`` are not)."""
_PK = ("app_id", "visitor_id", "tenant_id", "kind", "key")
_COLUMNS = [*_PK, "first_day"]
_KEYS_A_STATEMENT = 500


class ItemFirstDay(AppScoped, Base):
    """The first day a visitor (under one tenant, or none) did one page, feature, track event or guide."""

    __tablename__ = "item_first_days"
    __table_args__ = (
        # Signal, counting visitors: each new visitor's rows up to the end of its window, from the index alone.
        Index("ix_item_first_days_visitor", "app_id", "visitor_id", "first_day", "tenant_id", "kind", "key"),
        # Counting tenants: the same by tenant.
        Index("ix_item_first_days_tenant", "app_id", "tenant_id", "first_day", "visitor_id", "kind", "key"),
        {"sqlite_with_rowid": False},
    )

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    visitor_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    """``""`` for roll-up rows without a tenant."""
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    first_day: Mapped[date] = mapped_column(Date)


_TABLE: Table = ItemFirstDay.__table__  # type: ignore[assignment]  # typed FromClause; declarative maps a Table
_USAGE: Table = DailyUsage.__table__  # type: ignore[assignment]  # typed FromClause; declarative maps a Table


def _earlier(session: AsyncSession) -> Any:
    """An insert that keeps the earlier first day when the row exists."""
    ins = insert_for(session, _TABLE)
    return ins.on_conflict_do_update(index_elements=list(_PK), set_={"first_day": ins.excluded.first_day},
                                     where=ins.excluded.first_day < _TABLE.c.first_day)


def earliest(rows: Mapping[tuple[date, str, str, str, str], Sequence[int]]) -> dict[tuple[str, str, str, str], date]:
    """Roll-up increments ((day, tenant, visitor, kind, key) → (count, ms), as a ``Tally`` holds them): the
    earliest day of each (visitor, tenant, kind, key) they count something for."""
    firsts: dict[tuple[str, str, str, str], date] = {}
    for (day, tenant, visitor, kind, key), (count, *_) in rows.items():
        if count > 0 and kind in ITEM_KINDS:
            pair = (visitor, tenant, kind, key)
            known = firsts.get(pair)
            if known is None or day < known:
                firsts[pair] = day
    return firsts


async def add_first_days(session: AsyncSession, app_id: str,
                         rows: Mapping[tuple[date, str, str, str, str], Sequence[int]]) -> None:
    """Roll-up increments just added: each counted thing's first day becomes the earlier of the stored one and
    the increments'. Counts only grow, so a row that counted something still does."""
    firsts = earliest(rows)
    if firsts:
        # in key order, so concurrent writers never deadlock
        await session.execute(_earlier(session), [
            {"app_id": app_id, "visitor_id": visitor, "tenant_id": tenant, "kind": kind, "key": key, "first_day": day}
            for (visitor, tenant, kind, key), day in sorted(firsts.items())])


def _from_usage(app_id: str, *where: Any) -> Any:
    """The rows the roll-up's rows matching ``where`` make (the definition of the table, in SQL)."""
    u = _USAGE.c
    return (select(u.app_id, u.visitor_id, u.tenant_id, u.kind, u.key, func.min(u.day))
            .where(u.app_id == app_id, u.kind.in_(ITEM_KINDS), u.count > 0, *where)
            .group_by(u.app_id, u.visitor_id, u.tenant_id, u.kind, u.key))


async def backfill_first_days(session: AsyncSession, app_id: str) -> None:
    """Replace the app's rows by those of its whole roll-up (the upgrade's back-fill)."""
    await drop_app(session, app_id)
    await session.execute(_TABLE.insert().from_select(_COLUMNS, _from_usage(app_id)))


async def drop_app(session: AsyncSession, app_id: str) -> None:
    """Delete the app's rows (its roll-up is being recounted from scratch)."""
    await session.execute(delete(_TABLE).where(_TABLE.c.app_id == app_id))


async def drop_rule(session: AsyncSession, app_id: str, kind: str, key: str) -> None:
    """Delete one page's or feature's rows (its roll-up rows were deleted, to be recounted or for good)."""
    await session.execute(delete(_TABLE).where(_TABLE.c.app_id == app_id, _TABLE.c.kind == kind,
                                               _TABLE.c.key == key))


async def merge_visitor(session: AsyncSession, app_id: str, previous: str, visitor: str) -> None:
    """Identity resolution: the earlier id's rows become the visitor's (the earlier first day of the two wins), as
    its roll-up rows were added to the visitor's."""
    t = _TABLE.c
    source = select(t.app_id, literal(visitor, type_=t.visitor_id.type), t.tenant_id, t.kind, t.key, t.first_day
                    ).where(t.app_id == app_id, t.visitor_id == previous)
    ins = insert_for(session, _TABLE)
    await session.execute(ins.from_select(_COLUMNS, source).on_conflict_do_update(
        index_elements=list(_PK), set_={"first_day": ins.excluded.first_day},
        where=ins.excluded.first_day < _TABLE.c.first_day))
    await session.execute(delete(_TABLE).where(t.app_id == app_id, t.visitor_id == previous))


async def recount_pairs(session: AsyncSession, app_id: str, visitor: str, tenant: str,
                        things: Collection[tuple[str, str]]) -> None:
    """The rows of one visitor and tenant for these (kind, key) made again from what the roll-up holds now
    (some of its days moved away: a late tenant)."""
    by_kind: dict[str, list[str]] = {}
    for kind, key in things:
        if kind in ITEM_KINDS:
            by_kind.setdefault(kind, []).append(key)
    t, u = _TABLE.c, _USAGE.c
    for kind, keys in sorted(by_kind.items()):
        keys.sort()
        for start in range(0, len(keys), _KEYS_A_STATEMENT):
            chunk = keys[start:start + _KEYS_A_STATEMENT]
            await session.execute(delete(_TABLE).where(t.app_id == app_id, t.visitor_id == visitor,
                                                       t.tenant_id == tenant, t.kind == kind, t.key.in_(chunk)))
            await session.execute(_TABLE.insert().from_select(_COLUMNS, _from_usage(
                app_id, u.visitor_id == visitor, u.tenant_id == tenant, u.kind == kind, u.key.in_(chunk))))


async def erase_visitors(session: AsyncSession, app_id: str, ids: Sequence[str]) -> int:
    """Delete the rows of these visitor ids; returns how many."""
    result = await session.execute(
        delete(_TABLE).where(_TABLE.c.app_id == app_id, _TABLE.c.visitor_id.in_(list(ids)))
        .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]  # DML gives a CursorResult, typed Result
