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
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from waymark.analytics.models import TenantDay
from waymark.analytics.overview import overview, usage_rows
from waymark.analytics.overview_schemas import TenantHealth, TenantProfile, TenantsReport, VisitorActivity
from waymark.analytics.segments import segment_members
from waymark.analytics.stickiness import MONTH, Cumulative, Trend, band, range_average, range_stickiness, trend
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


class _Point(NamedTuple):
    cum: Cumulative
    mau: int = 0
    active_days: int = 0


async def _points(session: AsyncSession, app_id: str, tenants: Sequence[str], days: Sequence[date]
                  ) -> dict[date, dict[str, _Point]]:
    """Each tenant's running sums at the end of each of ``days`` (its row that day, else its latest before)."""
    td = TenantDay
    found: dict[date, dict[str, _Point]] = {day: {} for day in days}
    for day, t, a, b, c, d, m, n in (await session.execute(
        select(td.day, td.tenant_id, td.cum_dau_mau, td.cum_wau_mau, td.cum_days, td.cum_dau, td.mau, td.active_days)
        .where(td.app_id == app_id, td.day.in_(list(days))))).tuples():
        found[day][t] = _Point(Cumulative(a, b, c, d), m, n)
    for day in days:
        # A tenant without a row that day had nobody active in the 30 days up to it: its sums are those of
        # its latest row before, found by one index seek per tenant (max() of (app, tenant, day)).
        missing = [t for t in tenants if t not in found[day]]
        before = aliased(TenantDay)
        latest = select(func.max(before.day)).where(
            before.app_id == Tenant.app_id, before.tenant_id == Tenant.id, before.day < day
        ).correlate(Tenant).scalar_subquery()
        for i in range(0, len(missing), _CHUNK):
            rows = (await session.execute(
                select(td.tenant_id, td.cum_dau_mau, td.cum_wau_mau, td.cum_days, td.cum_dau).select_from(Tenant)
                .join(td, and_(td.app_id == Tenant.app_id, td.day == latest, td.tenant_id == Tenant.id))
                .where(Tenant.app_id == app_id, Tenant.id.in_(missing[i:i + _CHUNK])))).tuples().all()
            found[day].update((t, _Point(Cumulative(a, b, c, d))) for t, a, b, c, d in rows)
    return found


async def _nps(session: AsyncSession, app_id: str, start: date, end: date) -> dict[str, tuple[float | None, int]]:
    """Per tenant: NPS of the range's answers (each visitor's latest per survey) and how many there are."""
    since = datetime(start.year, start.month, start.day, tzinfo=UTC)
    until = datetime(end.year, end.month, end.day, tzinfo=UTC) + timedelta(days=1)
    rows = (await session.execute(
        select(SurveyAnswer.tenant_id, SurveyAnswer.guide_id, SurveyAnswer.visitor_id, SurveyAnswer.score)
        .where(SurveyAnswer.app_id == app_id, SurveyAnswer.kind == "nps", SurveyAnswer.score.is_not(None),
               SurveyAnswer.ts >= since, SurveyAnswer.ts < until)
        .order_by(SurveyAnswer.ts, SurveyAnswer.id))).tuples().all()
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


@dataclass(slots=True)
class _Row:
    """One tenant's figures before rounding: every tenant gets one, only a page's become TenantHealth."""

    tenant: str
    opted_out: bool
    point: _Point
    stickiness: float | None
    stickiness_wau_mau: float | None
    now: float
    then: float
    trend: Trend
    nps: float | None
    answers: int

    def health(self, name: str | None, coverage: float | None) -> TenantHealth:
        def rounded(value: float | None, digits: int = 4) -> float | None:
            return None if value is None else round(value, digits)

        return TenantHealth(
            tenant=self.tenant, name=name, opted_out=self.opted_out, active_visitors=self.point.mau,
            stickiness=rounded(self.stickiness), stickiness_wau_mau=rounded(self.stickiness_wau_mau),
            average_dau=round(self.now, 2), previous_average_dau=round(self.then, 2), trend=self.trend.direction,
            trend_change=rounded(self.trend.change), active_days=self.point.active_days,
            band=band(self.point.active_days), nps=self.nps, nps_responses=self.answers, policy_coverage=coverage)


_VALUES: dict[str, Any] = {
    "tenant": lambda r: r.tenant,
    "active": lambda r: r.point.mau,
    "stickiness": lambda r: r.stickiness,
    "trend": lambda r: r.trend.change if r.trend.change is not None else (math.inf if r.trend.direction == "up"
                                                                            else None),
    "nps": lambda r: r.nps,
    "days": lambda r: r.point.active_days,
}


def _ordered(rows: list[_Row], sort: str, order: str) -> list[_Row]:
    """Sorted by ``sort``, ties by tenant id; tenants without that figure come last either way."""
    value = _VALUES[sort]
    known = [r for r in rows if value(r) is not None]  # rows come sorted by tenant id
    known.sort(key=value, reverse=order == "desc")  # stable: ties keep the tenant order
    return known + [r for r in rows if value(r) is None]


async def tenants_report(
    session: AsyncSession, scope: Scope, start: date, end: date, segment: str | None = None,
    sort: str = "active", order: str = "desc", page: int = 1, per_page: int = PER_PAGE,
) -> TenantsReport:
    """The app's tenants with their health over ``start``..``end`` (a visitor segment keeps the tenants of
    its visitors; figures stay the whole tenant's). Raises ValueError for an unknown sort or order."""
    if sort not in SORTS or order not in ("asc", "desc"):
        raise ValueError(f"sort must be one of {', '.join(SORTS)} and order asc or desc")
    app_id = scope.app_id
    tenants = dict((await session.execute(
        select(Tenant.id, Tenant.opted_out).where(Tenant.app_id == app_id))).tuples().all())
    if segment:
        members = await segment_members(session, scope, segment)
        keep = members.ids if members.subject == "tenant" else {t for t in members.tenant_of.values() if t}
        tenants = {t: v for t, v in tenants.items() if t in keep}
    ids = sorted(tenants)
    length = (end - start).days + 1
    ends = (end, start - timedelta(days=1), start - timedelta(days=length + 1))
    points = await _points(session, app_id, ids, ends)
    nps = await _nps(session, app_id, start, end)
    zero = _Point(Cumulative())
    rows: list[_Row] = []
    for t in ids:
        e, b, p = (points[day].get(t, zero) for day in ends)
        dau_mau, wau_mau = range_stickiness(e.cum, b.cum)
        now, then = range_average(e.cum, b.cum, length), range_average(b.cum, p.cum, length)
        score, answers = nps.get(t, (None, 0))
        rows.append(_Row(t, bool(tenants[t]), e, dau_mau, wau_mau, now, then, trend(now, then), score, answers))
    ordered = _ordered(rows, sort, order)
    pages = max(1, math.ceil(len(ordered) / per_page))
    page = min(max(page, 1), pages)
    shown = ordered[(page - 1) * per_page:page * per_page]
    metas: dict[str, Any] = dict((await session.execute(select(Tenant.id, Tenant.meta).where(
        Tenant.app_id == app_id, Tenant.id.in_([r.tenant for r in shown])))).tuples().all()) if shown else {}
    coverage = await _coverage(session, app_id, {r.tenant: r.point.mau for r in shown}, end)
    return TenantsReport(from_=start, to=end, segment=segment, sort=sort, order=order, page=page, pages=pages,
                         total=len(ordered),
                         tenants=[r.health(_name(metas.get(r.tenant)), coverage.get(r.tenant)) for r in shown])


def _name(meta: Any) -> str | None:
    name = meta.get("name") if isinstance(meta, dict) else None
    return None if name is None else str(name)


def tenants_csv(report: TenantsReport) -> list[list[Any]]:
    head = ["tenant", "name", "active_visitors", "stickiness_dau_mau", "stickiness_wau_mau", "average_dau",
            "previous_average_dau", "trend", "trend_change", "active_days", "band", "nps", "nps_responses",
            "policy_coverage", "opted_out"]
    return [head] + [[h.tenant, h.name, h.active_visitors, h.stickiness, h.stickiness_wau_mau, h.average_dau,
                      h.previous_average_dau, h.trend, h.trend_change, h.active_days, h.band, h.nps,
                      h.nps_responses, h.policy_coverage, h.opted_out] for h in report.tenants]


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
