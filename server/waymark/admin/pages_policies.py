"""The policy acceptance pages and the evidence export, for the whole app and for one tenant."""

from __future__ import annotations

import functools
from datetime import date
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.access.deps import audit, requires
from waymark.access.principal import Action
from waymark.admin.filters import ReportFilters
from waymark.admin.pages_nps import segment_ids
from waymark.admin.render import report_page
from waymark.analytics.reach import active_since
from waymark.db.scope import Scope, scoped_session
from waymark.policies.chain_status import chain_status
from waymark.policies.evidence_export import evidence_records, latest_evidence
from waymark.policies.overview import PolicyOverview, policy_overview, tenant_page_of
from waymark.policies.report import Keep
from waymark.policies.services import evidence_csv

__all__ = ["PolicyPages", "coverage_chart"]

TENANTS_PER_PAGE = 50
"""Tenants per page of the whole app's table (each is read exactly, a few index seeks apiece)."""
TABLE_ROWS = 300
"""Rows per table on a page at most (the CSV has them all)."""
EVIDENCE_ON_PAGE = 100

_Check = Annotated[Literal["now"] | None, QueryParameter(
    description="`now`: verify the evidence chain again instead of using the last check.")]
_PolicyPart = Annotated[Literal["summary", "people", "coverage"] | None, QueryParameter(
    description="What ?format=csv exports: rows per version and tenant (an app's default), each visitor's standing "
                "(a tenant's default) or coverage per day.")]
_TenantsPage = Annotated[int, QueryParameter(ge=1, le=1_000_000, description="The page of the tenants' rows.")]
_Scope = NamedDependency[Scope]
_Filters = NamedDependency[ReportFilters]


async def _narrowed(session: AsyncSession, scope: Scope, filters: ReportFilters
                   ) -> tuple[list[str] | None, Keep | None, bool]:
    """The tenants to read (None: as the scope says) and the visitors to keep for the filter's segment, and
    whether there is a segment at all."""
    members = await segment_ids(session, scope, filters)
    if members is None:
        return None, None, False
    ids = members.ids
    if members.subject == "tenant":
        return sorted(ids), (lambda tenant, _visitor: tenant in ids), True
    tenants = sorted({t or "" for t in members.tenant_of.values()})
    return tenants, (lambda _tenant, visitor: visitor in ids), True


def coverage_chart(data: PolicyOverview, days: list[date]) -> list[dict[str, Any]]:
    """One series per version, coverage in percent per day of the range (a gap before its publication)."""
    series = []
    for v in data.versions:
        by_day = {p.day: round(100 * p.coverage, 2) for p in v.coverage}
        series.append({"label": f"{v.policy} v{v.version}", "values": [by_day.get(d) for d in days]})
    return series


def _rows(data: PolicyOverview, part: str) -> list[list[Any]]:
    if part == "people":
        return [["policy", "version", "tenant", "visitor", "name", "email", "status", "decided_on"]] + [
            [p.policy, p.version, p.tenant, p.visitor, p.name, p.email, p.status, p.decided_on] for p in data.people]
    if part == "coverage":
        return [["policy", "version", "day", "active", "accepted", "coverage"]] + [
            [v.policy, v.version, p.day, p.active, p.accepted, p.coverage] for v in data.versions for p in v.coverage]
    return [["policy", "version", "tenant", "published_at", "accepted", "declined", "withdrawn", "pending",
             "coverage"]] + [
        [r.policy, r.version, r.tenant, r.published_at, r.accepted, r.declined, r.withdrawn, r.pending,
         r.coverage[-1].coverage if r.coverage else None] for r in data.rows]


def _base(scope: Scope) -> str:
    return f"/admin/apps/{scope.app_id}" + (f"/tenants/{scope.tenant_id}" if scope.tenant_id is not None else "")


def _explicit_range(request: Request[Any, Any, Any], filters: ReportFilters) -> tuple[date | None, date | None]:
    """Evidence is exported whole unless a range was asked for (the filters' default is the last 30 days)."""
    asked = request.query_params
    return (filters.start if asked.get("from") else None), (filters.end if asked.get("to") else None)


class PolicyPages(Controller):
    """``/policies`` and ``/evidence``: app-wide (READ_APP) and per tenant (READ_TENANT, a tenant admin's own)."""

    path = "/admin/apps/{app_id:str}"
    include_in_schema = False

    async def _policies(self, request: Request[Any, Any, Any], scope: Scope, filters: ReportFilters,
                        check: str | None, part: str | None, tenants_page: int = 1) -> Response[Any]:
        part = part or ("people" if scope.tenant_id is not None else "summary")
        maker = request.app.state.sessionmaker
        # The chain is one per app: checked as a whole, whoever asks (a tenant then sees only its own count).
        chain = await chain_status(maker, scope.app_id, check=check == "now")
        async with scoped_session(maker, scope) as session:
            tenants, keep, segmented = await _narrowed(session, scope, filters)
            if scope.tenant_id is not None:
                data = await policy_overview(session, scope.app_id, scope.tenant_id, filters.start, filters.end,
                                             chain, keep)
            elif segmented:  # a segment's tenants or visitors, counted exactly
                data = await policy_overview(session, scope.app_id, None, filters.start, filters.end, chain, keep,
                                             tenants=tenants or [])
            else:  # the whole app from the day summaries; the rows for one page of tenants
                page, number, pages = await tenant_page_of(session, scope.app_id, tenants_page, TENANTS_PER_PAGE)
                data = await policy_overview(
                    session, scope.app_id, None, filters.start, filters.end, chain, tenants=page,
                    active_since=functools.partial(active_since, session, scope.app_id), tenant_page=number,
                    tenant_pages=pages)
        stem = f"policies-{part}-{scope.tenant_id or 'all'}-{filters.start}-{filters.end}"
        return report_page(request, template="feedback/policies.html", data=data, csv_rows=_rows(data, part),
                           filename=stem, context={
                               "scope": scope, "base": _base(scope), "query": filters.query(),
                               "days": filters.days, "coverage_series": coverage_chart(data, filters.days),
                               "table_rows": TABLE_ROWS})

    @get("/policies", guards=[requires(Action.READ_APP)], name="admin-policies")
    async def app_policies(self, request: Request[Any, Any, Any], access_scope: _Scope, filters: _Filters,
                           check: _Check = None, part: _PolicyPart = None,
                           tenants_page: _TenantsPage = 1) -> Response[Any]:
        """Acceptance per policy version and tenant, coverage over time, the chain's status."""
        return await self._policies(request, access_scope, filters, check, part, tenants_page)

    @get("/tenants/{tenant_id:str}/policies", guards=[requires(Action.READ_TENANT)], name="admin-tenant-policies")
    async def tenant_policies(self, request: Request[Any, Any, Any], access_scope: _Scope, filters: _Filters,
                              check: _Check = None, part: _PolicyPart = None) -> Response[Any]:
        """One tenant's acceptance, with where each of its visitors stands, by name."""
        return await self._policies(request, access_scope, filters, check, part)

    async def _evidence(self, request: Request[Any, Any, Any], scope: Scope, filters: ReportFilters) -> Response[Any]:
        start, end = _explicit_range(request, filters)
        fmt = request.query_params.get("format", "html")
        stem = f"evidence-{scope.tenant_id or 'all'}" + (f"-{start or 'start'}-{end or 'now'}" if start or end else "")
        if fmt not in ("csv", "json"):  # the page: how many, and the newest; the exports hold everything
            async with scoped_session(request.app.state.sessionmaker, scope) as session:
                total, latest = await latest_evidence(session, scope.app_id, scope.tenant_id, start, end,
                                                      EVIDENCE_ON_PAGE)
            return report_page(request, template="feedback/evidence.html", data=latest, csv_rows=[], filename=stem,
                               context={"scope": scope, "base": _base(scope), "latest": latest, "total": total,
                                        "start": start, "end": end})
        async with scoped_session(request.app.state.sessionmaker, scope) as session:
            records = await evidence_records(session, scope.app_id, scope.tenant_id, start, end)
        await audit(request, "evidence.export", f"{fmt} of {scope.tenant_id or 'every tenant'} "
                                                 f"({len(records)} records)", scope.app_id)
        if fmt == "csv":  # the very file the evidence API exports, columns and quoting alike
            return Response(evidence_csv(records).encode(), media_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition": f'attachment; filename="{stem}.csv"'})
        return report_page(request, template="feedback/evidence.html", data=records, csv_rows=[], filename=stem)

    @get("/evidence", guards=[requires(Action.READ_APP)], name="admin-evidence")
    async def app_evidence(self, request: Request[Any, Any, Any], access_scope: _Scope,
                           filters: _Filters) -> Response[Any]:
        """Every tenant's evidence, in chain order, with the hashes to recheck it (CSV or JSON)."""
        return await self._evidence(request, access_scope, filters)

    @get("/tenants/{tenant_id:str}/evidence", guards=[requires(Action.READ_TENANT)], name="admin-tenant-evidence")
    async def tenant_evidence(self, request: Request[Any, Any, Any], access_scope: _Scope,
                              filters: _Filters) -> Response[Any]:
        """One tenant's evidence only."""
        return await self._evidence(request, access_scope, filters)
