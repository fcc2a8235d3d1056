"""The tenants list: each tenant's health over a range (active visitors, stickiness, trend, NPS, policy
coverage), sortable and paginated, and one tenant's profile.

Every tenant's stickiness and trend come from two or three ``tenant_days`` rows (running sums on
the range's ends), so the list reads a few rows per tenant whatever the range or the store's
size. Active visitors and the frequency band are those of the 30 days up to the range's end.
Policy coverage needs each visitor's decisions, so it is computed for the page's rows only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.analytics.overview import overview, usage_rows
from waymark.analytics.overview_schemas import TenantHealth, TenantProfile, TenantsReport, VisitorActivity
from waymark.analytics.segments import segment_members
from waymark.analytics.stickiness import MONTH, band, trend
from waymark.analytics.tenant_sums import SQL_SORTS, Sums, tenant_sums
from waymark.db.models import Tenant
from waymark.db.scope import Scope
from waymark.policies.models import PolicyEvidence
from waymark.policies.services import list_policies
from waymark.surveys.arithmetic import nps_figures
from waymark.surveys.models import SurveyAnswer

__all__ = ["PER_PAGE", "SORTS", "TOP_VISITORS", "tenant_profile", "tenants_csv", "tenants_report"]

PER_PAGE = 50
TOP_VISITORS = 20
SORTS = ("tenant", "active", "stickiness", "trend", "nps", "days")
"""Columns the list sorts by (policy coverage is computed for the shown page only, so it is not one)."""
_CHUNK = 2000


async def _nps(session: AsyncSession, app_id: str, start: date, end: date, tenants: Sequence[str] | None = None
               ) -> dict[str, tuple[float | None, int]]:
    """Per tenant (of ``tenants``, or all): NPS of the range's answers (each visitor's latest per survey) and
    how many there are."""
    since = datetime(start.year, start.month, start.day, tzinfo=UTC)
    until = datetime(end.year, end.month, end.day, tzinfo=UTC) + timedelta(days=1)
    query = (select(SurveyAnswer.tenant_id, SurveyAnswer.guide_id, SurveyAnswer.visitor_id, SurveyAnswer.score)
             .where(SurveyAnswer.app_id == app_id, SurveyAnswer.kind == "nps", SurveyAnswer.score.is_not(None),
                    SurveyAnswer.ts >= since, SurveyAnswer.ts < until)
             .order_by(SurveyAnswer.ts, SurveyAnswer.id))
    if tenants is not None:
        query = query.where(SurveyAnswer.tenant_id.in_(list(tenants)))
    rows = (await session.execute(query)).tuples().all()
    latest: dict[str, dict[tuple[str, str], int]] = {}
    for tenant, guide, visitor, score in rows:
        if score is not None:
            latest.setdefault(tenant, {})[(guide, visitor)] = score
    out: dict[str, tuple[float | None, int]] = {}
    for tenant, scores in latest.items():
        figures = nps_figures(scores.values())
        out[tenant] = (figures.score, figures.responses)
    return out


async def _coverage(session: AsyncSession, app_id: str, monthly: dict[str, int], end: date) -> dict[str, float | None]:
    """Per tenant: of its visitors active in the 30 days up to ``end`` (``monthly``), the share whose latest
    decision on every current policy that applies to them is an acceptance; None without policies or visitors.

    Only the accepting visitors' days are looked up, so the cost follows the decisions, not the tenants' size.
    """
    policies = [p for p in await list_policies(session, app_id) if p.current_version is not None]
    tenants = [t for t, mau in monthly.items() if mau]
    if not tenants or not policies:
        return {}
    latest: dict[tuple[str, str], tuple[int, str, str]] = {}
    for policy, visitor, version, decision, tenant in (await session.execute(
        select(PolicyEvidence.policy_id, PolicyEvidence.visitor_id, PolicyEvidence.policy_version,
               PolicyEvidence.decision, PolicyEvidence.tenant_id)
        .where(PolicyEvidence.app_id == app_id, PolicyEvidence.tenant_id.in_(tenants),
               PolicyEvidence.policy_id.in_([p.id for p in policies]))
        .order_by(PolicyEvidence.seq))).tuples().all():
        latest[(policy, visitor)] = (version, decision, tenant or "")
    accepted: dict[str, set[str]] = {}
    for (_, visitor), (_, _, tenant) in latest.items():
        applies = [p for p in policies if p.tenant is None or p.tenant == tenant]
        if all(latest.get((p.id, visitor), (0, "", ""))[:2] == (p.current_version, "accepted") for p in applies):
            accepted.setdefault(tenant, set()).add(visitor)
    days = [end - timedelta(days=i) for i in range(MONTH)]
    active: dict[str, set[str]] = {}
    if accepted:
        for _, tenant, visitor, *_ in await usage_rows(session, app_id, days, accepted, accepted, kinds=("active",)):
            active.setdefault(tenant, set()).add(visitor)
    return {t: round(min(len(active.get(t, ())) / monthly[t], 1.0), 4) for t in tenants}


def _health(row: Sums, length: int, nps: tuple[float | None, int], name: str | None, coverage: float | None
            ) -> TenantHealth:
    def rounded(value: float | None, digits: int = 4) -> float | None:
        return None if value is None else round(value, digits)

    now, then = row.now / length, row.then / length
    direction = trend(now, then)
    return TenantHealth(
        tenant=row.tenant, name=name, opted_out=row.opted_out, active_visitors=row.mau,
        stickiness=rounded(row.dau_mau / row.days if row.days else None),
        stickiness_wau_mau=rounded(row.wau_mau / row.days if row.days else None),
        average_dau=round(now, 2), previous_average_dau=round(then, 2), trend=direction.direction,
        trend_change=rounded(direction.change), active_days=row.active_days, band=band(row.active_days),
        nps=nps[0], nps_responses=nps[1], policy_coverage=coverage)


async def tenants_report(
    session: AsyncSession, scope: Scope, start: date, end: date, segment: str | None = None,
    sort: str = "active", order: str = "desc", page: int = 1, per_page: int = PER_PAGE,
) -> TenantsReport:
    """The app's tenants with their health over ``start``..``end`` (a visitor segment keeps the tenants of
    its visitors; figures stay the whole tenant's). Raises ValueError for an unknown sort or order.

    Every sort but NPS is done by the database, which hands over one page; sorting by NPS reads every
    tenant's sums (a few rows of an index each) and sorts them here.
    """
    if sort not in SORTS or order not in ("asc", "desc"):
        raise ValueError(f"sort must be one of {', '.join(SORTS)} and order asc or desc")
    app_id = scope.app_id
    only: set[str] | None = None
    if segment:
        members = await segment_members(session, scope, segment)
        only = set(members.ids) if members.subject == "tenant" else {t for t in members.tenant_of.values() if t}
    length = (end - start).days + 1
    page = max(page, 1)
    if sort in SQL_SORTS:
        total, shown = await tenant_sums(session, app_id, start, end, only, sort, order, per_page,
                                         (page - 1) * per_page)
        pages = max(1, math.ceil(total / per_page))
        if page > pages:
            page = pages
            _, shown = await tenant_sums(session, app_id, start, end, only, sort, order, per_page,
                                         (page - 1) * per_page)
        nps = await _nps(session, app_id, start, end, [r.tenant for r in shown])
    else:
        total, every = await tenant_sums(session, app_id, start, end, only, None, order, None)
        nps = await _nps(session, app_id, start, end)
        known = [r for r in every if nps.get(r.tenant, (None, 0))[0] is not None]
        known.sort(key=lambda r: nps[r.tenant][0] or 0.0, reverse=order == "desc")  # stable: ties by id
        ordered = known + [r for r in every if nps.get(r.tenant, (None, 0))[0] is None]
        pages = max(1, math.ceil(total / per_page))
        page = min(page, pages)
        shown = ordered[(page - 1) * per_page:page * per_page]
    metas: dict[str, Any] = dict((await session.execute(select(Tenant.id, Tenant.meta).where(
        Tenant.app_id == app_id, Tenant.id.in_([r.tenant for r in shown])))).tuples().all()) if shown else {}
    coverage = await _coverage(session, app_id, {r.tenant: r.mau for r in shown}, end)
    return TenantsReport(
        from_=start, to=end, segment=segment, sort=sort, order=order, page=page, pages=pages, total=total,
        tenants=[_health(r, length, nps.get(r.tenant, (None, 0)), _name(metas.get(r.tenant)), coverage.get(r.tenant))
                 for r in shown])


def _name(meta: Any) -> str | None:
    name = meta.get("name") if isinstance(meta, dict) else None
    return None if name is None else str(name)


def tenants_csv(report: TenantsReport) -> list[list[Any]]:
    head = ["tenant", "name", "active_visitors", "stickiness_dau_mau", "stickiness_wau_mau", "average_dau",
            "previous_average_dau", "trend", "trend_change", "active_days", "band", "nps", "nps_responses",
            "policy_coverage", "opted_out", "milestones"]
    return [head] + [[h.tenant, h.name, h.active_visitors, h.stickiness, h.stickiness_wau_mau, h.average_dau,
                      h.previous_average_dau, h.trend, h.trend_change, h.active_days, h.band, h.nps,
                      h.nps_responses, h.policy_coverage, h.opted_out, " ".join(m.milestone for m in h.milestones)]
                     for h in report.tenants]


async def tenant_profile(session: AsyncSession, scope: Scope, start: date, end: date,
                         segment: str | None = None) -> TenantProfile | None:
    """One tenant (``scope.tenant_id``): metadata, privacy state and its overview; None if it is unknown."""
    assert scope.tenant_id is not None, "a tenant profile needs a tenant's scope"
    row = (await session.execute(select(Tenant).where(Tenant.app_id == scope.app_id, Tenant.id == scope.tenant_id))
           ).scalars().first()
    if row is None:
        return None
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    per_visitor: dict[str, list[int]] = {}
    for _, _, visitor, _, _, count, _ in await usage_rows(session, scope.app_id, days, [row.id], kinds=("active",)):
        figures = per_visitor.setdefault(visitor, [0, 0])
        figures[0] += 1
        figures[1] += count
    top = sorted(per_visitor.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))[:TOP_VISITORS]
    return TenantProfile(
        tenant=row.id, meta=dict(row.meta or {}), opted_out=row.opted_out, drop_fields=list(row.drop_fields or []),
        first_seen=row.first_seen, last_seen=row.last_seen,
        overview=await overview(session, scope, start, end, segment),
        visitors=[VisitorActivity(visitor=v, days_active=d, events=n) for v, (d, n) in top],
    )
