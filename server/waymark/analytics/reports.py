"""The usage report: pages, features, track events, guides and days active, read from ``daily_usage`` only.

It never reads events, so its cost follows the rows of the tenant and range asked for,
not the size of the event store. The days are passed as a list (``day IN (…)``): with the
primary key (app_id, day, tenant_id, …) that is one index probe per day straight to the
tenant's rows, without an extra index.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

from sqlalchemy import case, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.analytics.schemas import (
    DayUsage,
    EventUsage,
    FeatureUsage,
    GuideUsage,
    PageUsage,
    UsageReport,
    VisitorUsage,
)
from waymark.db.models import DailyUsage, FeatureDefinition, PageDefinition

__all__ = ["MAX_REPORT_DAYS", "usage_csv", "usage_report"]

MAX_REPORT_DAYS = 366


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


async def usage_report(session: AsyncSession, app_id: str, tenant: str | None, start: date, end: date) -> UsageReport:
    """Adoption of ``tenant`` (every tenant when None) over the UTC days ``start``..``end`` inclusive."""
    days = _days(start, end)
    where = [DailyUsage.app_id == app_id, DailyUsage.day.in_(days)]
    if tenant is not None:
        where.append(DailyUsage.tenant_id == tenant)
    du = DailyUsage
    used = (await session.execute(
        select(du.kind, du.key, func.sum(du.count), func.count(distinct(case((du.count > 0, du.visitor_id)))),
               func.sum(du.ms))
        .where(*where, du.kind.in_(("page", "feature", "event", "guide")))
        .group_by(du.kind, du.key)
    )).all()
    per_visitor = (await session.execute(
        select(du.visitor_id, func.count(distinct(du.day)), func.sum(du.count))
        .where(*where, du.kind == "active").group_by(du.visitor_id)
    )).all()
    per_day = dict(
        (row[0], (row[1], row[2])) for row in (await session.execute(
            select(du.day, func.count(distinct(du.visitor_id)), func.coalesce(func.sum(du.count), 0))
            .where(*where, du.kind == "active").group_by(du.day)
        )).all()
    )
    totals: dict[str, dict[str, tuple[int, int, int]]] = {"page": {}, "feature": {}, "event": {}, "guide": {}}
    for kind, key, count, reached, ms in used:
        totals[kind][key] = (int(count or 0), int(reached or 0), int(ms or 0))
    page_names = dict((await session.execute(
        select(PageDefinition.id, PageDefinition.name).where(PageDefinition.app_id == app_id)
    )).all())
    feature_names = dict((await session.execute(
        select(FeatureDefinition.id, FeatureDefinition.name).where(FeatureDefinition.app_id == app_id)
    )).all())
    zero = (0, 0, 0)
    pages = [
        PageUsage(id=pid, name=name, views=t[0], visitors=t[1], ms=t[2])
        for pid, name in page_names.items() for t in [totals["page"].get(pid, zero)]
    ]
    features = [
        FeatureUsage(id=fid, name=name, clicks=t[0], visitors=t[1])
        for fid, name in feature_names.items() for t in [totals["feature"].get(fid, zero)]
    ]
    visitors = [VisitorUsage(visitor=v, days_active=int(d), events=int(n or 0)) for v, d, n in per_visitor]
    return UsageReport(
        tenant=tenant, from_=start, to=end, active_visitors=len(visitors),
        pages=sorted(pages, key=lambda p: (-p.views, p.id)),
        features=sorted(features, key=lambda f: (-f.clicks, f.id)),
        events=sorted((EventUsage(name=k, count=t[0], visitors=t[1]) for k, t in totals["event"].items()),
                      key=lambda e: (-e.count, e.name)),
        guides=sorted((GuideUsage(id=k, seen=t[0], visitors=t[1]) for k, t in totals["guide"].items()),
                      key=lambda g: (-g.seen, g.id)),
        visitors=sorted(visitors, key=lambda v: (-v.days_active, -v.events, v.visitor)),
        days=[DayUsage(day=d, active_visitors=int(per_day.get(d, (0, 0))[0]), events=int(per_day.get(d, (0, 0))[1]))
              for d in days],
    )


def _cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula (=, +, -, @ …) is made inert with a leading quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def usage_csv(report: UsageReport) -> str:
    """The report as one CSV table: a ``section`` column says what each row is."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["section", "key", "name", "count", "visitors", "ms", "days_active"])
    rows: list[list[Any]] = []
    rows += [["page", p.id, p.name, p.views, p.visitors, p.ms, ""] for p in report.pages]
    rows += [["feature", f.id, f.name, f.clicks, f.visitors, "", ""] for f in report.features]
    rows += [["event", e.name, "", e.count, e.visitors, "", ""] for e in report.events]
    rows += [["guide", g.id, "", g.seen, g.visitors, "", ""] for g in report.guides]
    rows += [["visitor", v.visitor, "", v.events, "", "", v.days_active] for v in report.visitors]
    rows += [["day", d.day.isoformat(), "", d.events, d.active_visitors, "", ""] for d in report.days]
    for row in rows:
        writer.writerow([_cell(c) for c in row])
    return out.getvalue()
