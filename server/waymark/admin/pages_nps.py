"""The NPS and poll report pages, for the whole app and for one tenant (a tenant admin sees only their own)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.access.deps import requires
from waymark.access.principal import Action
from waymark.admin.feedback_charts import interval_chart
from waymark.admin.filters import ReportFilters
from waymark.admin.render import report_page
from waymark.analytics.segments import SegmentError, SegmentMembers, segment_members
from waymark.db.scope import Scope, scoped_session
from waymark.guides.targeting import Predicate
from waymark.surveys.overview import (
    NpsOverview,
    PollOverview,
    choose,
    interval_for,
    list_surveys,
    nps_overview,
    poll_overview,
)
from waymark.surveys.reports import Interval, ReportScope

__all__ = ["NpsPages", "segment_ids", "segment_predicate"]

COMMENTS_PER_PAGE = 25
TENANT_ROWS = 100
"""Tenants in the page's table at most, those with the most answers first (JSON and CSV hold every one)."""
MAX_EXPORTED_COMMENTS = 10_000
_Survey = Annotated[str | None, QueryParameter(max_length=64, description="The survey's guide id.")]
_Page = Annotated[int, QueryParameter(ge=1, le=1_000_000, description="The page of comments, newest first.")]
_Part = Annotated[Literal["summary", "comments"], QueryParameter(
    description="What ?format=json|csv exports: the figures, or every comment in the range.")]
_IntervalParam = Annotated[Literal["day", "week", "month"] | None, QueryParameter(
    description="The trend's period (default: by the length of the range).")]
_Scope = NamedDependency[Scope]
_Filters = NamedDependency[ReportFilters]


async def segment_ids(session: AsyncSession, scope: Scope, filters: ReportFilters) -> SegmentMembers | None:
    """Who the report filter's segment selects under the scope (``None``: no segment, everyone)."""
    if not filters.segment:
        return None
    try:
        return await segment_members(session, scope, filters.segment)
    except SegmentError as exc:
        raise ClientException(str(exc)) from exc


async def segment_predicate(session: AsyncSession, scope: Scope, filters: ReportFilters) -> Predicate | None:
    """The report filter's segment as the survey reports take it (``None``: everyone)."""
    members = await segment_ids(session, scope, filters)
    if members is None:
        return None
    ids = members.ids
    if members.subject == "tenant":
        return lambda _v, t: t.get("id") in ids
    return lambda v, _t: v.get("id") in ids


def _nps_rows(data: NpsOverview) -> list[list[Any]]:
    rows: list[list[Any]] = [["section", "key", "responses", "promoters", "passives", "detractors", "score",
                              "ci95_low", "ci95_high", "shown", "response_rate"]]
    report = data.report
    if report is None:
        return rows

    def low_high(ci: list[float] | None) -> list[Any]:
        return [ci[0], ci[1]] if ci else [None, None]

    rows.append(["total", report.tenant or "", report.responses, report.promoters, report.passives,
                 report.detractors, report.score, *low_high(report.ci95), report.shown, report.response_rate])
    rows += [["interval", p.start, p.responses, p.promoters, p.passives, p.detractors, p.score, *low_high(p.ci95),
              None, None] for p in report.series]
    rows += [["tenant", t.tenant, t.responses, None, None, None, t.score, *low_high(t.ci95), t.shown,
              t.response_rate] for t in data.tenants]
    rows += [["score", s.score, s.count, None, None, None, None, None, None, None, None] for s in data.distribution]
    return rows


def _comment_rows(data: NpsOverview) -> list[list[Any]]:
    return [["ts", "visitor", "tenant", "score", "category", "comment"]] + [
        [c.ts, c.visitor, c.tenant, c.score, c.category, c.comment] for c in data.comments]


def _poll_rows(data: PollOverview) -> list[list[Any]]:
    rows: list[list[Any]] = [["section", "tenant", "question", "input", "responses", "option", "label", "count",
                              "share", "mean"]]
    if data.report is None:
        return rows
    for tenant, questions in [("", data.report.questions)] + [(t.tenant, t.questions) for t in data.report.tenants]:
        section = "tenant" if tenant else "total"
        for q in questions:
            if not q.options:
                rows.append([section, tenant, q.question, q.input, q.responses, None, None, None, None, None])
            rows += [[section, tenant, q.question, q.input, q.responses, o.id, o.label, o.count, o.share, q.mean]
                     for o in q.options]
    return rows


def _stem(kind: str, scope: Scope, survey: str | None, filters: ReportFilters) -> str:
    return f"{kind}-{survey or 'none'}-{scope.tenant_id or 'all'}-{filters.start}-{filters.end}"


def _context(scope: Scope, filters: ReportFilters, extra: Mapping[str, Any]) -> dict[str, Any]:
    base = f"/admin/apps/{scope.app_id}" + (f"/tenants/{scope.tenant_id}" if scope.tenant_id is not None else "")
    return {"scope": scope, "base": base, "query": filters.query(), "query_string": urlencode(filters.query()),
            **extra}


class NpsPages(Controller):
    """``/nps`` and ``/polls``: app-wide (READ_APP) and per tenant (READ_TENANT, a tenant admin's own only)."""

    path = "/admin/apps/{app_id:str}"
    include_in_schema = False

    async def _nps(self, request: Request[Any, Any, Any], scope: Scope, filters: ReportFilters, survey: str | None,
                   page: int, part: str, interval: Interval | None) -> Response[Any]:
        exporting = part == "comments" and request.query_params.get("format") in ("json", "csv")
        async with scoped_session(request.app.state.sessionmaker, scope) as session:
            surveys = await list_surveys(session, scope.app_id, "nps")
            chosen = choose(surveys, survey)
            if survey is not None and chosen is None:
                raise NotFoundException(f"no NPS survey {survey!r} in this app")
            report_scope = None if chosen is None else ReportScope(
                guide=chosen, tenant=scope.tenant_id, start=filters.start, end=filters.end,
                segment=await segment_predicate(session, scope, filters))
            period = interval or interval_for(filters.start, filters.end)
            per_page = MAX_EXPORTED_COMMENTS if exporting else COMMENTS_PER_PAGE
            # The page's table shows the tenants with the most answers; an export holds every one.
            every_tenant = request.query_params.get("format") in ("json", "csv")
            data = await nps_overview(session, scope.app_id, report_scope, period, 1 if exporting else page,
                                      per_page, surveys, None if every_tenant else TENANT_ROWS)
        if exporting:
            return report_page(request, template="feedback/nps.html", data=data.comments, csv_rows=_comment_rows(data),
                               filename="nps-comments-" + _stem("nps", scope, chosen, filters)[4:])
        chart = interval_chart([(p.start.isoformat(), p.score, p.ci95, p.responses)
                                for p in (data.report.series if data.report else [])])
        return report_page(request, template="feedback/nps.html", data=data, csv_rows=_nps_rows(data),
                           filename=_stem("nps", scope, chosen, filters),
                           context=_context(scope, filters, {
                               "trend": chart, "interval": period, "survey": chosen,
                               "tenant_table": sorted(data.tenants, key=lambda t: (-t.responses, -t.shown, t.tenant))[
                                   :TENANT_ROWS]}))

    @get("/nps", guards=[requires(Action.READ_APP)], name="admin-nps")
    async def app_nps(self, request: Request[Any, Any, Any], access_scope: _Scope, filters: _Filters,
                      survey: _Survey = None, page: _Page = 1, part: _Part = "summary",
                      interval: _IntervalParam = None) -> Response[Any]:
        """NPS of every tenant: trend with intervals, distribution, response rate, tenants, comments."""
        return await self._nps(request, access_scope, filters, survey, page, part, interval)

    @get("/tenants/{tenant_id:str}/nps", guards=[requires(Action.READ_TENANT)], name="admin-tenant-nps")
    async def tenant_nps(self, request: Request[Any, Any, Any], access_scope: _Scope, filters: _Filters,
                         survey: _Survey = None, page: _Page = 1, part: _Part = "summary",
                         interval: _IntervalParam = None) -> Response[Any]:
        """One tenant's NPS: only its answers and comments."""
        return await self._nps(request, access_scope, filters, survey, page, part, interval)

    async def _polls(self, request: Request[Any, Any, Any], scope: Scope, filters: ReportFilters,
                     survey: str | None) -> Response[Any]:
        async with scoped_session(request.app.state.sessionmaker, scope) as session:
            surveys = await list_surveys(session, scope.app_id, "poll")
            chosen = choose(surveys, survey)
            if survey is not None and chosen is None:
                raise NotFoundException(f"no poll {survey!r} in this app")
            report_scope = None if chosen is None else ReportScope(
                guide=chosen, tenant=scope.tenant_id, start=filters.start, end=filters.end,
                segment=await segment_predicate(session, scope, filters))
            data = await poll_overview(session, scope.app_id, report_scope, surveys)
        return report_page(request, template="feedback/polls.html", data=data, csv_rows=_poll_rows(data),
                           filename=_stem("polls", scope, chosen, filters),
                           context=_context(scope, filters, {"survey": chosen}))

    @get("/polls", guards=[requires(Action.READ_APP)], name="admin-polls")
    async def app_polls(self, request: Request[Any, Any, Any], access_scope: _Scope, filters: _Filters,
                        survey: _Survey = None) -> Response[Any]:
        """Poll results per question: choices and ratings as bars and tables, free text listed."""
        return await self._polls(request, access_scope, filters, survey)

    @get("/tenants/{tenant_id:str}/polls", guards=[requires(Action.READ_TENANT)], name="admin-tenant-polls")
    async def tenant_polls(self, request: Request[Any, Any, Any], access_scope: _Scope, filters: _Filters,
                           survey: _Survey = None) -> Response[Any]:
        """One tenant's poll results."""
        return await self._polls(request, access_scope, filters, survey)

