"""The overview report of an app or one tenant: active visitors, stickiness, days active, time, pages,
features, browsers and languages, an activity trend marked with guide publications.

The whole app without a segment is read from the day summaries (``app_days``; ``tenant_days`` on
the range's end), so it costs the same at ten million events as at a hundred thousand. One
tenant, or a segment, is counted exactly from the roll-up rows of the tenants or visitors it
selects (primary-key probes per day), so its cost follows their size, not the store's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.analytics.models import AppDay, TenantDay
from waymark.analytics.overview_math import (
    ActiveRow,
    Inputs,
    KeyRow,
    assemble,
    complete,
    exact_inputs,
    summary_inputs,
)
from waymark.analytics.overview_schemas import Overview, Publication
from waymark.analytics.segments import SegmentMembers, segment_members
from waymark.analytics.stickiness import MONTH
from waymark.analytics.summaries import SUMMARY_KINDS, first_days, pending_days
from waymark.clock import as_utc
from waymark.db.models import DailyUsage, FeatureDefinition, Guide, GuideVersion, PageDefinition
from waymark.db.scope import Scope

__all__ = ["overview", "overview_csv", "usage_rows"]

_CHUNK = 400
_TENANTS = 50


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


async def usage_rows(
    session: AsyncSession, app_id: str, days: Sequence[date], tenants: Iterable[str],
    visitors: dict[str, set[str]] | None = None, kinds: Sequence[str] = SUMMARY_KINDS,
) -> list[tuple[date, str, str, str, str, int, int]]:
    """Roll-up rows (day, tenant, visitor, kind, key, count, ms) of ``tenants`` on ``days``.

    With ``visitors`` (tenant → visitor ids) only those visitors' rows are kept. Each query names
    days and one tenant, so it is a few primary-key probes, whatever the store's size.
    """
    du = DailyUsage
    out: list[tuple[date, str, str, str, str, int, int]] = []
    columns = (du.day, du.tenant_id, du.visitor_id, du.kind, du.key, du.count, du.ms)
    every = sorted(set(tenants))
    for i in range(0, len(days), _CHUNK):
        base = select(*columns).where(du.app_id == app_id, du.day.in_(days[i:i + _CHUNK]), du.kind.in_(kinds))
        if visitors is None:  # (day, tenant) pairs: primary-key probes, a few tenants per statement
            for j in range(0, len(every), _TENANTS):
                out += (await session.execute(base.where(du.tenant_id.in_(every[j:j + _TENANTS])))).tuples().all()
            continue
        for tenant in every:
            wanted = sorted(visitors.get(tenant, ()))
            for j in range(0, len(wanted), _CHUNK):
                out += (await session.execute(base.where(
                    du.tenant_id == tenant, du.visitor_id.in_(wanted[j:j + _CHUNK])))).tuples().all()
    return out


async def _exact(session: AsyncSession, app_id: str, tenants: Iterable[str], visitors: dict[str, set[str]] | None,
                 start: date, end: date) -> Inputs:
    rows = await usage_rows(session, app_id, _days(start - timedelta(days=MONTH - 1), end), tenants, visitors)
    active: list[ActiveRow] = [(d, t, v, c, m) for d, t, v, kind, _, c, m in rows if kind == "active"]
    keyed: list[KeyRow] = [(d, v, kind, k, c, m) for d, _, v, kind, k, c, m in rows if kind != "active"]
    seen = await first_days(session, app_id, {r[2] for r in active})
    return exact_inputs(active, keyed, seen, start, end)


_COLUMNS = (AppDay.day, AppDay.kind, AppDay.key, AppDay.visitors, AppDay.count, AppDay.ms, AppDay.new_visitors,
            AppDay.sketch, AppDay.wau, AppDay.mau)


async def _summarised(session: AsyncSession, app_id: str, start: date, end: date) -> Inputs:
    """The day summaries of the range; the days before it and the tenants' rows only if the refresh has
    not stored the trailing figures (a range reaching past the data, or a refresh under way)."""
    rows: list[Any] = list((await session.execute(select(*_COLUMNS).where(
        AppDay.app_id == app_id, AppDay.day.in_(_days(start, end)), AppDay.kind.in_(SUMMARY_KINDS)
    ))).tuples().all())
    if not complete(rows, start, end):
        rows += (await session.execute(select(*_COLUMNS).where(
            AppDay.app_id == app_id, AppDay.day.in_(_days(start - timedelta(days=MONTH - 1), start - timedelta(1))),
            AppDay.kind == "active"))).tuples().all()
    rolled = (await session.execute(select(AppDay.days_hist, AppDay.bands).where(
        AppDay.app_id == app_id, AppDay.day == end, AppDay.kind == "active", AppDay.key == ""))).tuples().first()
    if rolled is not None and rolled[0] is not None and rolled[1] is not None:
        return summary_inputs(rows, (rolled[0], rolled[1]), [], start, end)
    ends = (await session.execute(select(TenantDay.active_days, TenantDay.days_hist).where(
        TenantDay.app_id == app_id, TenantDay.day == end))).tuples().all()
    return summary_inputs(rows, None, ends, start, end)


async def _publications(session: AsyncSession, app_id: str, start: date, end: date) -> list[Publication]:
    since = datetime(start.year, start.month, start.day, tzinfo=UTC)
    until = datetime(end.year, end.month, end.day, tzinfo=UTC) + timedelta(days=1)
    rows = (await session.execute(
        select(GuideVersion.guide_id, GuideVersion.version, GuideVersion.created_at, Guide.name)
        .join(Guide, (Guide.app_id == GuideVersion.app_id) & (Guide.id == GuideVersion.guide_id), isouter=True)
        .where(GuideVersion.app_id == app_id, GuideVersion.created_at >= since, GuideVersion.created_at < until)
        .order_by(GuideVersion.created_at, GuideVersion.guide_id)
    )).tuples().all()
    return [Publication(day=as_utc(at).date(), at=as_utc(at), guide=guide, name=name or guide, version=version)
            for guide, version, at, name in rows]


async def overview(session: AsyncSession, scope: Scope, start: date, end: date, segment: str | None = None) -> Overview:
    """The overview of ``scope`` (an app, or one tenant of it) over the UTC days ``start``..``end``.

    ``segment`` narrows it to the tenants or visitors it selects (SegmentError when unreadable).
    """
    app_id = scope.app_id
    members: SegmentMembers | None = await segment_members(session, scope, segment) if segment else None
    if members is None and scope.tenant_id is None:
        inputs = await _summarised(session, app_id, start, end)
    elif members is not None and members.subject == "visitor":
        by_tenant: dict[str, set[str]] = {}
        for visitor, tenant in members.tenant_of.items():
            by_tenant.setdefault(tenant or "", set()).add(visitor)
        inputs = await _exact(session, app_id, by_tenant, by_tenant, start, end)
    else:
        tenants = set(members.ids) if members is not None else {scope.tenant_id or ""}
        if scope.tenant_id is not None:
            tenants &= {scope.tenant_id}
        inputs = await _exact(session, app_id, tenants, None, start, end)
    pages = dict((await session.execute(
        select(PageDefinition.id, PageDefinition.name).where(PageDefinition.app_id == app_id))).tuples().all())
    features = dict((await session.execute(
        select(FeatureDefinition.id, FeatureDefinition.name).where(FeatureDefinition.app_id == app_id)
    )).tuples().all())
    return assemble(
        inputs, tenant=scope.tenant_id, segment=segment, page_names=pages, feature_names=features,
        publications=await _publications(session, app_id, start, end),
        pending_days=await pending_days(session, app_id),
    )


def overview_csv(report: Overview) -> list[list[object]]:
    """The report as one table: a ``section`` column says what each row is."""
    rows: list[list[object]] = [["section", "key", "name", "value", "visitors", "share", "ms"]]
    rows += [["summary", k, "", v, "", "", ""] for k, v in (
        ("active_visitors", report.active_visitors), ("new_visitors", report.new_visitors),
        ("returning_visitors", report.returning_visitors), ("average_dau", report.average_dau),
        ("wau", report.wau), ("mau", report.mau), ("stickiness_dau_mau", report.stickiness_dau_mau),
        ("stickiness_wau_mau", report.stickiness_wau_mau), ("events", report.events), ("ms", report.ms))]
    rows += [["day", d.day.isoformat(), "", d.events, d.dau, "", d.ms] for d in report.days]
    rows += [["days_active", str(k + 1), "", n, n, "", ""] for k, n in enumerate(report.days_active)]
    rows += [["band", b.band, "", b.tenants, "", "", ""] for b in report.bands]
    rows += [["page", p.id, p.name, p.views, p.visitors, "", p.ms] for p in report.pages]
    rows += [["feature", f.id, f.name, f.clicks, f.visitors, f.adoption, ""] for f in report.features]
    rows += [["browser", s.key, "", s.visitors, s.visitors, s.share, ""] for s in report.browsers]
    rows += [["language", s.key, "", s.visitors, s.visitors, s.share, ""] for s in report.languages]
    rows += [["publication", p.guide, p.name, p.version, "", "", ""] for p in report.publications]
    return rows
