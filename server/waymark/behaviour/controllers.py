"""REST for funnels and paths (``/api/v1/reports/funnel``, ``/api/v1/reports/paths``). Secret key only."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ValidationException
from litestar.openapi.spec import Reference
from litestar.params import QueryParameter

from waymark.analytics.segments import SegmentError
from waymark.apps.auth import secret_app_id
from waymark.behaviour.funnels import FunnelReport, funnel_query, funnel_report
from waymark.behaviour.paths import PathsReport, paths_query, paths_report
from waymark.behaviour.refs import RefError
from waymark.db.scope import Scope, scoped_session
from waymark.openapi_docs import SECRET_KEY, documented
from waymark.wire import day_problem

__all__ = ["BehaviourReportController", "report_range"]

MAX_RANGE_DAYS = 366
_TENANT = QueryParameter(min_length=1, max_length=200, description="Only this tenant (default: every tenant).")
_FROM = QueryParameter(name="from", description="First UTC day (default: 29 days before `to`).")
_TO = QueryParameter(name="to", description="Last UTC day, included (default: today).")
_SEGMENT = QueryParameter(max_length=300, description="Only `tenant.<field>=<value>` or `visitor.<field>=<value>`.")


def _problem(name: str, message: str) -> ValidationException:
    return ValidationException(detail=f"{name}: {message}", extra=[{"key": name, "message": message}])


def report_range(start: date | None, end: date | None) -> tuple[date, date]:
    """The range asked for (default: the 30 days up to today); a 400 naming what is wrong."""
    for name, day in (("from", start), ("to", end)):
        problem = day_problem(day) if day else None
        if problem:
            raise _problem(name, problem)
    end = end or datetime.now(UTC).date()
    start = start or end - timedelta(days=29)
    if start > end:
        raise ValidationException(detail=f"from ({start}) is after to ({end})")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise ValidationException(detail=f"at most {MAX_RANGE_DAYS} days per report (asked for "
                                         f"{(end - start).days + 1})")
    return start, end


def _params(**values: str | None) -> dict[str, str]:
    return {name: value for name, value in values.items() if value is not None}


class BehaviourReportController(Controller):
    path = "/api/v1/reports"
    tags = ["reports"]
    dependencies = {"app_id": Provide(secret_app_id)}
    security = SECRET_KEY

    @get("/funnel", operation_id="FunnelReport", cache=False, operation_class=documented(
        400, 401, 403, 503, media={"application/json": Reference(ref="#/components/schemas/FunnelReport")}))
    async def funnel(
        self,
        request: Request[Any, Any, Any],
        app_id: NamedDependency[str],
        steps: Annotated[str, QueryParameter(max_length=4000, description=(
            "2 to 10 comma-separated steps: `page:ID`, `feature:ID`, `event:NAME` (optionally "
            "`event:NAME[prop=value]`) or `guide:ID:completed`."))],
        exclude: Annotated[str | None, QueryParameter(max_length=4000, description=(
            "Up to 5 exclusion steps: an actor who does one between two consecutive steps is out from there."))
        ] = None,
        window_days: Annotated[str | None, QueryParameter(description="Days from the first step to convert "
                                                                      "(1 to 90, default 7).")] = None,
        count: Annotated[str | None, QueryParameter(description="`visitors` (default) or `tenants`.")] = None,
        tenant: Annotated[str | None, _TENANT] = None,
        start: Annotated[date | None, _FROM] = None,
        end: Annotated[date | None, _TO] = None,
        compare_from: Annotated[str | None, QueryParameter(description="First day of a range to compare.")] = None,
        compare_to: Annotated[str | None, QueryParameter(description="Last day of the range to compare.")] = None,
        segment: Annotated[str | None, _SEGMENT] = None,
        breakdown: Annotated[str | None, QueryParameter(max_length=80, description=(
            "The funnel per value of one property: `visitor.<field>`, `tenant.<field>`, `browser` or `language` "
            "(counting tenants: `tenant.<field>` only)."))] = None,
    ) -> FunnelReport:
        """Per step: entered (converted at the step before), converted, the step's and the overall conversion,
        the median and p90 seconds from the previous step; with `compare_from`/`compare_to`, the same funnel over
        a second range (time to complete, before and after). Event times to the second."""
        first, last = report_range(start, end)
        try:
            query = funnel_query(_params(steps=steps, exclude=exclude, window_days=window_days, count=count,
                                         compare_from=compare_from, compare_to=compare_to, breakdown=breakdown))
        except RefError as exc:
            raise ValidationException(detail=str(exc)) from exc
        async with scoped_session(request.app.state.sessionmaker, Scope(app_id, tenant)) as session:
            try:
                return await funnel_report(session, Scope(app_id, tenant), query, first, last, segment)
            except SegmentError as exc:
                raise _problem("segment", str(exc)) from exc

    @get("/paths", operation_id="PathsReport", cache=False, operation_class=documented(
        400, 401, 403, 503, media={"application/json": Reference(ref="#/components/schemas/PathsReport")}))
    async def paths(
        self,
        request: Request[Any, Any, Any],
        app_id: NamedDependency[str],
        from_step: Annotated[str | None, QueryParameter(max_length=300, description=(
            "Paths starting at this step (`page:ID`, `feature:ID` or `event:NAME`)."))] = None,
        to_step: Annotated[str | None, QueryParameter(max_length=300, description=(
            "Paths ending at this step, or `exit`: the last steps of each session (the default)."))] = None,
        length: Annotated[str | None, QueryParameter(description="Steps per path, 3 to 5 (default 4).")] = None,
        top: Annotated[str | None, QueryParameter(description="How many paths, 1 to 50 (default 10).")] = None,
        tenant: Annotated[str | None, _TENANT] = None,
        start: Annotated[date | None, _FROM] = None,
        end: Annotated[date | None, _TO] = None,
        segment: Annotated[str | None, _SEGMENT] = None,
    ) -> PathsReport:
        """The paths taken by the most visitors, with consecutive repeats collapsed and sessions cut at 30
        minutes idle; each path counts the visitors who took it."""
        first, last = report_range(start, end)
        try:
            query = paths_query(_params(from_step=from_step, to_step=to_step, length=length, top=top))
        except RefError as exc:
            raise ValidationException(detail=str(exc)) from exc
        async with scoped_session(request.app.state.sessionmaker, Scope(app_id, tenant)) as session:
            try:
                return await paths_report(session, Scope(app_id, tenant), query, first, last, segment)
            except SegmentError as exc:
                raise _problem("segment", str(exc)) from exc
