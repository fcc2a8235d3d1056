"""The retention page: a triangle table shaded by value and the average curve, for the app or one tenant."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import ClientException
from litestar.params import QueryParameter

from waymark.access.deps import requires
from waymark.access.principal import Action
from waymark.admin.filters import ReportFilters
from waymark.admin.render import report_page
from waymark.behaviour.exports import retention_rows
from waymark.behaviour.retention import MAX_BRACKETS, RetentionReport, retention_query, retention_report
from waymark.behaviour.retention_math import Mode, RetentionInterval
from waymark.behaviour.trends import QUERY_ERRORS
from waymark.db.scope import Scope, scoped_session

__all__ = ["Cell", "RetentionPages", "shade", "triangle"]

_Scope = NamedDependency[Scope]
_Filters = NamedDependency[ReportFilters]
_Event = Annotated[str, QueryParameter(max_length=300)]
_IntervalParam = Annotated[RetentionInterval, QueryParameter(description="day or week.")]
_ModeParam = Annotated[Mode, QueryParameter(description="on or on_or_after.")]
_Brackets = Annotated[int, QueryParameter(ge=1, le=MAX_BRACKETS)]
_Count = Annotated[Literal["visitors", "tenants"], QueryParameter(description="Count visitors or tenants.")]


@dataclass(frozen=True, slots=True)
class Cell:
    text: str
    css: str
    """``ret ret-<tenths>`` (plus ``ret-incomplete``), or ``ret-none`` for a bracket after the range."""
    title: str = ""


def shade(rate: float) -> str:
    """The CSS class of a share returned: its tenth, 0 to 10 (no inline style under the strict CSP)."""
    return f"ret-{min(10, max(0, int(rate * 10)))}"


def _percent(rate: float) -> str:
    return f"{rate * 100:.1f}%"


def triangle(data: RetentionReport) -> list[tuple[str, int, list[Cell]]]:
    """Each cohort's label, size and cells; the average row last (label ``Average``)."""
    rows: list[tuple[str, int, list[Cell]]] = []
    for cohort in data.cohorts:
        label = cohort.start.isoformat() + ("" if cohort.start == cohort.end else f" – {cohort.end.isoformat()}")
        cells = []
        for n, (returned, rate, complete) in enumerate(zip(cohort.returned, cohort.rates, cohort.complete,
                                                            strict=True)):
            if returned is None:
                cells.append(Cell("", "ret-none"))
            elif rate is None:
                cells.append(Cell("–", "ret ret-0"))
            else:
                incomplete = "" if complete else " ret-incomplete"
                cells.append(Cell(_percent(rate), f"ret {shade(rate)}{incomplete}",
                                  f"bracket {n}: {returned} of {cohort.size}" + ("" if complete else ", not ended")))
        rows.append((label, cohort.size, cells))
    average = [Cell("–", "ret ret-0") if rate is None else Cell(_percent(rate), f"ret {shade(rate)}",
                                                                  f"bracket {n}: over {size}")
               for n, (rate, size) in enumerate(zip(data.average, data.average_size, strict=True))]
    rows.append(("Average", sum(c.size for c in data.cohorts), average))
    return rows


class RetentionPages(Controller):
    """``/retention``: app-wide (READ_APP) and per tenant (READ_TENANT)."""

    path = "/admin/apps/{app_id:str}"
    include_in_schema = False

    async def _retention(self, request: Request[Any, Any, Any], scope: Scope, filters: ReportFilters,
                         start_event: str, return_event: str, interval: RetentionInterval, mode: Mode,
                         brackets: int, count: Literal["visitors", "tenants"]) -> Response[Any]:
        try:
            query = retention_query(start_event, return_event, interval, mode, brackets, count)
            async with scoped_session(request.app.state.sessionmaker, scope) as session:
                data = await retention_report(session, scope, query, filters.start, filters.end, filters.segment)
        except QUERY_ERRORS as exc:
            raise ClientException(str(exc)) from exc
        base = f"/admin/apps/{scope.app_id}" + (f"/tenants/{scope.tenant_id}" if scope.tenant_id is not None else "")
        curve = [None if rate is None else round(rate * 100, 2) for rate in data.average]
        return report_page(
            request, template="behaviour/retention.html", data=data, csv_rows=retention_rows(data),
            filename=f"retention-{scope.tenant_id or 'all'}-{filters.start}-{filters.end}",
            context={"scope": scope, "base": base, "rows": triangle(data), "curve": curve,
                     "max_brackets": MAX_BRACKETS})

    @get("/retention", guards=[requires(Action.READ_APP)], name="admin-retention")
    async def app_retention(self, request: Request[Any, Any, Any], access_scope: _Scope, filters: _Filters,
                            start_event: _Event = "first_seen", return_event: _Event = "any",
                            interval: _IntervalParam = "week", mode: _ModeParam = "on", brackets: _Brackets = 8,
                            count: _Count = "visitors") -> Response[Any]:
        """Cohorts by first seen or a start event, and who came back in each bracket."""
        return await self._retention(request, access_scope, filters, start_event, return_event, interval, mode,
                                     brackets, count)

    @get("/tenants/{tenant_id:str}/retention", guards=[requires(Action.READ_TENANT)], name="admin-tenant-retention")
    async def tenant_retention(self, request: Request[Any, Any, Any], access_scope: _Scope, filters: _Filters,
                               start_event: _Event = "first_seen", return_event: _Event = "any",
                               interval: _IntervalParam = "week", mode: _ModeParam = "on",
                               brackets: _Brackets = 8, count: _Count = "visitors") -> Response[Any]:
        """One tenant's retention: only its visitors."""
        return await self._retention(request, access_scope, filters, start_event, return_event, interval, mode,
                                     brackets, count)
