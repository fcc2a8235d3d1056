"""The adoption pages: the app's overview, the tenants list, a tenant's profile and a visitor's profile."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import QueryParameter

from waymark.access.deps import requires, resolve_principal
from waymark.access.principal import Action
from waymark.admin.filters import ReportFilters
from waymark.admin.render import report_page
from waymark.analytics.overview import overview, overview_csv
from waymark.analytics.overview_schemas import Overview, TenantProfile, VisitorProfile
from waymark.analytics.segments import SegmentError
from waymark.analytics.stickiness import BANDS
from waymark.analytics.tenants_report import PER_PAGE, SORTS, tenant_profile, tenants_csv, tenants_report
from waymark.analytics.visitor_profile import visitor_profile
from waymark.behaviour.milestone_store import tenant_flags
from waymark.clock import utcnow
from waymark.db.scope import Scope, scoped_session

__all__ = ["OverviewPages", "overview_charts", "visitor_csv"]

_Scope = NamedDependency[Scope]
_Filters = NamedDependency[ReportFilters]
_Sort = Annotated[Literal["tenant", "active", "stickiness", "trend", "nps", "days"], QueryParameter(
    description="The column the tenants are sorted by.")]
_Order = Annotated[Literal["asc", "desc"], QueryParameter(description="Ascending or descending.")]
_Page = Annotated[int, QueryParameter(ge=1, le=1_000_000, description="The page of tenants.")]
assert set(SORTS) == {"tenant", "active", "stickiness", "trend", "nps", "days"}


def _pct(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def overview_charts(data: Overview) -> dict[str, Any]:
    """What the overview's charts draw (no I/O): series per day, bars per item."""
    days = [d.day for d in data.days]
    ratio = [(None if d.mau == 0 else round(100 * d.dau / d.mau, 1)) for d in data.days]
    weekly = [(None if d.mau == 0 else round(100 * d.wau / d.mau, 1)) for d in data.days]
    return {
        "days": days,
        "active": [("Daily active", [d.dau for d in data.days]), ("Weekly active", [d.wau for d in data.days]),
                   ("Monthly active", [d.mau for d in data.days])],
        "marks": [(p.day, f"{p.name} v{p.version} published") for p in data.publications],
        "stickiness": [("DAU/MAU %", ratio), ("WAU/MAU %", weekly)],
        "time": [("Minutes in the app", [round(d.ms / 60000, 1) for d in data.days])],
        "new": [("New visitors", [d.new_visitors for d in data.days])],
        "days_active": [(f"{k + 1} day{'s' if k else ''}", n) for k, n in enumerate(data.days_active) if n],
        "bands": [(f"{b.band} days", b.tenants) for b in data.bands],
        "pages_views": [(p.name, p.views) for p in data.pages],
        "pages_time": [(p.name, round(p.ms / 60000, 1)) for p in data.pages],
        "adoption": [(f.name, _pct(f.adoption)) for f in data.features],
        "visitors": [("New", data.new_visitors), ("Returning", data.returning_visitors)],
        "browsers": [(b.key, _pct(b.share)) for b in data.browsers],
        "languages": [(b.key, _pct(b.share)) for b in data.languages],
    }


def visitor_csv(data: VisitorProfile) -> list[list[Any]]:
    rows: list[list[Any]] = [["section", "at", "kind", "key", "detail", "value"]]
    rows += [["meta", "", "", k, "", v] for k, v in sorted(data.meta.items())]
    rows += [["event", e.at, e.type, e.name or e.guide or "", e.url, e.tenant] for e in data.timeline]
    rows += [["guide", g.last_seen_at, g.status, g.guide, g.name, g.step] for g in data.guides]
    rows += [["answer", a.at, a.kind, a.guide, a.question, a.score if a.answer is None else a.answer]
             for a in data.answers]
    rows += [["policy", "", p.status, p.policy, "", p.version] for p in data.policies]
    return rows


class OverviewPages(Controller):
    """``/`` (the app's overview), ``/tenants``, ``/tenants/{tenant_id}/`` and ``/visitors/{visitor_id}``."""

    path = "/admin/apps/{app_id:str}"
    include_in_schema = False

    async def _overview(self, request: Request[Any, Any, Any], scope: Scope, filters: ReportFilters) -> Overview:
        async with scoped_session(request.app.state.sessionmaker, scope) as session:
            try:
                return await overview(session, scope, filters.start, filters.end, filters.segment)
            except SegmentError as exc:
                raise ClientException(str(exc)) from exc

    @get("/", guards=[requires(Action.READ_APP)], name="admin-overview")
    async def app_overview(self, request: Request[Any, Any, Any], access_scope: _Scope,
                           filters: _Filters) -> Response[Any]:
        """Active visitors, stickiness, days active, time, pages, features, browsers and languages."""
        data = await self._overview(request, access_scope, filters)
        return report_page(request, template="overview/app.html", data=data, csv_rows=overview_csv(data),
                           filename=f"overview-{filters.start}-{filters.end}",
                           context={"scope": access_scope, "charts": overview_charts(data), "bands": BANDS})

    @get("/tenants", guards=[requires(Action.READ_APP)], name="admin-tenants")
    async def tenants(self, request: Request[Any, Any, Any], access_scope: _Scope, filters: _Filters,
                      sort: _Sort = "active", order: _Order = "desc", page: _Page = 1) -> Response[Any]:
        """Every tenant with its health over the range, sortable, a page at a time."""
        async with scoped_session(request.app.state.sessionmaker, access_scope) as session:
            try:
                data = await tenants_report(session, access_scope, filters.start, filters.end, filters.segment,
                                            sort, order, page, PER_PAGE)
            except SegmentError as exc:
                raise ClientException(str(exc)) from exc
            flags = await tenant_flags(session, access_scope.app_id, [t.tenant for t in data.tenants])
            for health in data.tenants:
                health.milestones = [f for f in flags.get(health.tenant, []) if f.active]
        return report_page(request, template="overview/tenants.html", data=data, csv_rows=tenants_csv(data),
                           filename=f"tenants-{filters.start}-{filters.end}-page-{data.page}",
                           context={"scope": access_scope, "query": filters.query(), "sorts": SORTS})

    @get("/tenants/{tenant_id:str}/", guards=[requires(Action.READ_TENANT)], name="admin-tenant")
    async def tenant(self, request: Request[Any, Any, Any], access_scope: _Scope, filters: _Filters) -> Response[Any]:
        """One tenant: its metadata, privacy state and overview, and the way to its other pages."""
        async with scoped_session(request.app.state.sessionmaker, access_scope) as session:
            try:
                data: TenantProfile | None = await tenant_profile(session, access_scope, filters.start, filters.end,
                                                                  filters.segment)
            except SegmentError as exc:
                raise ClientException(str(exc)) from exc
            if data is not None:
                data.milestones = (await tenant_flags(session, access_scope.app_id, [data.tenant])).get(data.tenant, [])
        if data is None:
            raise NotFoundException("not found")
        principal = await resolve_principal(request)
        grant = principal.grant(access_scope.app_id) if principal is not None else None
        return report_page(request, template="overview/tenant.html", data=data, csv_rows=overview_csv(data.overview),
                           filename=f"tenant-{data.tenant}-{filters.start}-{filters.end}",
                           context={"scope": access_scope, "charts": overview_charts(data.overview),
                                    "app_reader": grant is not None and grant.allows(Action.READ_APP),
                                    "base": f"/admin/apps/{access_scope.app_id}/tenants/{data.tenant}"})

    @get("/visitors/{visitor_id:str}", guards=[requires(Action.READ_APP)], name="admin-visitor")
    async def visitor(self, request: Request[Any, Any, Any], access_scope: _Scope) -> Response[Any]:
        """One visitor: metadata, latest events, guides seen, answers and policy status (not for tenant admins)."""
        visitor_id = str(request.path_params["visitor_id"])
        async with scoped_session(request.app.state.sessionmaker, access_scope) as session:
            data = await visitor_profile(session, access_scope.app_id, visitor_id, utcnow().date())
        if data is None:
            raise NotFoundException("not found")
        kinds: dict[str, int] = {}
        for e in data.timeline:
            kinds[e.type] = kinds.get(e.type, 0) + 1
        return report_page(request, template="overview/visitor.html", data=data, csv_rows=visitor_csv(data),
                           filename=f"visitor-{visitor_id}",
                           context={"scope": access_scope, "kinds": sorted(kinds.items(), key=lambda kv: -kv[1])})
