"""The tenants list's arithmetic in one SQL statement: every tenant's running sums on the range's ends,
their differences, the sort and the page, so only a page of rows leaves the database.

A tenant's sums on a day are those of its ``tenant_days`` row that day, one seek in a covering index;
a tenant without one (nobody active in the 30 days up to it) takes its latest row before, one more
seek in the (app, tenant, day) index, made only for such tenants.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Float, Table, and_, case, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.analytics.models import TenantDay
from waymark.db.models import Tenant

__all__ = ["SQL_SORTS", "Sums", "tenant_sums"]

SQL_SORTS = ("tenant", "active", "stickiness", "trend", "days")
"""Sorts done in the database (NPS is not: it needs each visitor's latest answer)."""
_UP_FROM_NOTHING = 1e300
"""The trend of a tenant active now and not before sorts above any change."""


class Sums(NamedTuple):
    """One tenant's figures over a range, before rounding."""

    tenant: str
    opted_out: bool
    mau: int
    active_days: int
    dau_mau: float
    wau_mau: float
    days: int
    """Days with someone active in the 30 days before them: the stickiness averages' denominator."""
    now: float
    """Σ DAU over the range."""
    then: float
    """Σ DAU over the period before it, as long."""


_TABLE: Table = TenantDay.__table__  # type: ignore[assignment]  # typed FromClause; declarative maps a Table


def _on(day: date) -> tuple[Any, Any]:
    """An alias of ``tenant_days`` joined on the tenant's row of ``day`` (absent when nobody was active in the
    30 days up to it). Table aliases, not mapped ones: the statement is scoped by its ``tenants`` entity (a
    scoped session adds the app to it), and every alias is tied to that tenant's app and id."""
    row = _TABLE.alias()
    return row, and_(row.c.app_id == Tenant.app_id, row.c.day == day, row.c.tenant_id == Tenant.id)


def _sum(row: Any, day: date, column: str) -> Any:
    """A running sum on ``day``: the row's, else (no row that day) the tenant's latest row before, else 0.

    COALESCE evaluates its arguments lazily, so the seek only runs for tenants without a row that day.
    """
    seek = _TABLE.alias()
    before = (select(seek.c[column]).where(seek.c.app_id == Tenant.app_id, seek.c.tenant_id == Tenant.id,
                                           seek.c.day < day)
              .order_by(seek.c.day.desc()).limit(1).correlate(Tenant).scalar_subquery())
    return func.coalesce(row.c[column], before, 0)


async def tenant_sums(
    session: AsyncSession, app_id: str, start: date, end: date, only: Collection[str] | None,
    sort: str | None, order: str, limit: int | None, offset: int = 0,
) -> tuple[int, list[Sums]]:
    """(how many tenants, their figures): sorted by ``sort`` (ties by id; no figure last) and cut to
    ``limit`` from ``offset``, or every tenant by id when ``sort`` is None. ``only`` keeps those tenants."""
    length = (end - start).days + 1
    anchors = (end, start - timedelta(days=1), start - timedelta(days=length + 1))
    (e, on_e), (b, on_b), (p, on_p) = (_on(day) for day in anchors)

    def diff(column: str, later: tuple[Any, date], earlier: tuple[Any, date]) -> Any:
        return _sum(*later, column) - _sum(*earlier, column)

    at_e, at_b, at_p = (e, anchors[0]), (b, anchors[1]), (p, anchors[2])
    current = func.coalesce(e.c.mau, 0)
    active_days = func.coalesce(e.c.active_days, 0)
    days = diff("cum_days", at_e, at_b)
    dau_mau = diff("cum_dau_mau", at_e, at_b)
    now = cast(diff("cum_dau", at_e, at_b), Float)
    then = cast(diff("cum_dau", at_b, at_p), Float)
    keys: dict[str, Any] = {
        "tenant": Tenant.id, "active": current, "days": active_days,
        "stickiness": case((days > 0, dau_mau / days), else_=None),
        "trend": case((then > 0, (now - then) / then), (now > 0, literal(_UP_FROM_NOTHING)), else_=None),
    }
    where = [Tenant.app_id == app_id]
    if only is not None:
        where.append(Tenant.id.in_(sorted(only)))
    query = (select(Tenant.id, Tenant.opted_out, current, active_days, dau_mau, diff("cum_wau_mau", at_e, at_b), days,
                    now, then)
             .select_from(Tenant).outerjoin(e, on_e).outerjoin(b, on_b).outerjoin(p, on_p)
             .where(*where))
    if sort is None:
        query = query.order_by(Tenant.id)
    else:
        key = keys[sort]
        query = query.order_by(key.is_(None), key.desc() if order == "desc" else key.asc(), Tenant.id)
    if limit is not None:
        query = query.limit(limit).offset(offset)
    total = int(await session.scalar(select(func.count()).select_from(Tenant).where(*where)) or 0)
    rows = (await session.execute(query)).tuples().all()
    return total, [Sums(t, bool(o), int(m or 0), int(a or 0), float(d or 0), float(w or 0), int(n or 0),
                        float(x or 0), float(y or 0)) for t, o, m, a, d, w, n, x, y in rows]
