"""The trends page (insights): events per day, week or month, for the app or one tenant (a tenant admin's own)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import ClientException
from litestar.params import QueryParameter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.access.deps import requires
from waymark.access.principal import Action
from waymark.admin.filters import ReportFilters
from waymark.admin.render import report_page
from waymark.behaviour.exports import trends_rows
from waymark.behaviour.trends import QUERY_ERRORS, TrendsQuery, TrendsReport, trends_query, trends_report
from waymark.behaviour.trends_math import Measure
from waymark.db.models import PageDefinition
from waymark.db.scope import Scope, scoped_session

__all__ = ["DEFAULT_PAGES", "TrendsPages", "trend_lines"]

_Scope = NamedDependency[Scope]
_Filters = NamedDependency[ReportFilters]
_Events = Annotated[str | None, QueryParameter(max_length=2000, description="The series, comma-separated.")]
_Measure = Annotated[Measure, QueryParameter(description="total or unique.")]
_Count = Annotated[Literal["visitors", "tenants"], QueryParameter(description="What unique counts.")]
_Interval = Annotated[Literal["day", "week", "month"], QueryParameter(description="The period.")]
_Text = Annotated[str | None, QueryParameter(max_length=1000)]
DEFAULT_PAGES = 3


def trend_lines(data: TrendsReport) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(the series' lines, the formula's lines) as the line chart takes them."""
    def name(prefix: str, group: str | None) -> str:
        return prefix + (f" · {group}" if group is not None else "")

    lines = [{"label": name(f"{s.letter} · {s.ref}", s.group), "values": s.values} for s in data.series]
    formulas = [{"label": name(f"= {data.formula}", f.group), "values": f.values} for f in data.formula_series]
    return lines, formulas


async def _default_events(session: AsyncSession, app_id: str) -> str | None:
    """What the page shows before events are chosen: views of the app's first pages (by id), if it has any."""
    ids = (await session.scalars(select(PageDefinition.id).where(PageDefinition.app_id == app_id)
                                 .order_by(PageDefinition.id).limit(DEFAULT_PAGES))).all()
    return ",".join(f"page:{page_id}" for page_id in ids) or None


class TrendsPages(Controller):
    """``/trends``: app-wide (READ_APP) and per tenant (READ_TENANT)."""

    path = "/admin/apps/{app_id:str}"
    include_in_schema = False

    async def _trends(self, request: Request[Any, Any, Any], scope: Scope, filters: ReportFilters,
                      events: str | None, measure: Measure, count: Literal["visitors", "tenants"],
                      interval: Literal["day", "week", "month"], breakdown: str | None,
                      formula: str | None) -> Response[Any]:
        defaulted = not (events and events.strip())
        try:
            async with scoped_session(request.app.state.sessionmaker, scope) as session:
                events = await _default_events(session, scope.app_id) if defaulted else events
                query = trends_query(events, measure, count, interval, breakdown, formula) if events \
                    else TrendsQuery((), measure, count, interval)
                data = await trends_report(session, scope, query, filters.start, filters.end, filters.segment)
        except QUERY_ERRORS as exc:
            raise ClientException(str(exc)) from exc
        lines, formulas = trend_lines(data)
        base = f"/admin/apps/{scope.app_id}" + (f"/tenants/{scope.tenant_id}" if scope.tenant_id is not None else "")
        return report_page(
            request, template="behaviour/trends.html", data=data, csv_rows=trends_rows(data),
            filename=f"trends-{scope.tenant_id or 'all'}-{filters.start}-{filters.end}",
            context={"scope": scope, "base": base, "lines": lines, "formula_lines": formulas, "defaulted": defaulted,
                     "asked": {"events": events or "", "breakdown": breakdown or "", "formula": formula or ""}})

    @get("/trends", guards=[requires(Action.READ_APP)], name="admin-trends")
    async def app_trends(self, request: Request[Any, Any, Any], access_scope: _Scope, filters: _Filters,
                         events: _Events = None, measure: _Measure = "total", count: _Count = "visitors",
                         interval: _Interval = "day", breakdown: _Text = None, formula: _Text = None
                         ) -> Response[Any]:
        """Events counted per period over every tenant, with a breakdown and a formula."""
        return await self._trends(request, access_scope, filters, events, measure, count, interval, breakdown,
                                  formula)

    @get("/tenants/{tenant_id:str}/trends", guards=[requires(Action.READ_TENANT)], name="admin-tenant-trends")
    async def tenant_trends(self, request: Request[Any, Any, Any], access_scope: _Scope, filters: _Filters,
                            events: _Events = None, measure: _Measure = "total", count: _Count = "visitors",
                            interval: _Interval = "day", breakdown: _Text = None, formula: _Text = None
                            ) -> Response[Any]:
        """One tenant's trends: only its visitors' events."""
        return await self._trends(request, access_scope, filters, events, measure, count, interval, breakdown,
                                  formula)
