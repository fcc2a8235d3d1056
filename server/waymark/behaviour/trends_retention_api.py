"""REST for trends and retention, in JSON or CSV. Secret key only; ``?tenant=`` narrows to one tenant."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ValidationException
from litestar.openapi.spec import Reference, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import QueryParameter

from waymark.apps.auth import secret_app_id
from waymark.behaviour.exports import retention_rows, trends_rows
from waymark.behaviour.retention import MAX_BRACKETS, RetentionReport, retention_query, retention_report
from waymark.behaviour.retention_math import Mode, RetentionInterval
from waymark.behaviour.trends import QUERY_ERRORS, TrendsReport, trends_query, trends_report
from waymark.behaviour.trends_math import Measure
from waymark.csv_cells import csv_text
from waymark.db.scope import Scope, scoped_session
from waymark.openapi_docs import SECRET_KEY, documented
from waymark.wire import day_problem

__all__ = ["DEFAULT_DAYS", "MAX_DAYS", "TrendsRetentionController"]

DEFAULT_DAYS = 30
MAX_DAYS = 366
_TENANT = QueryParameter(min_length=1, max_length=200, description="Only this tenant (default: every tenant).")
_FROM = QueryParameter(name="from", description="First UTC day (default: 29 days before `to`).")
_TO = QueryParameter(name="to", description="Last UTC day, included (default: today).")
_SEGMENT = QueryParameter(min_length=1, max_length=300, description=(
    "Only members of this segment: `tenant.<field>=<value>` or `visitor.<field>=<value>`."))
_COUNT = QueryParameter(description="Count visitors, or tenants (a tenant did it when any of its visitors did).")
_FORMAT = QueryParameter(description="json or csv.")


def _range(start: date | None, end: date | None) -> tuple[date, date]:
    for name, day in (("from", start), ("to", end)):
        problem = day_problem(day) if day else None
        if problem:
            raise ValidationException(detail=f"{name}: {problem}", extra=[{"key": name, "message": problem}])
    end = end or datetime.now(UTC).date()
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise ValidationException(detail=f"from ({start}) is after to ({end})")
    if (end - start).days + 1 > MAX_DAYS:
        raise ValidationException(detail=f"the range covers {(end - start).days + 1} days; at most {MAX_DAYS} "
                                         "can be asked")
    return start, end


def _csv(rows: list[list[Any]], stem: str, scope: Scope, start: date, end: date) -> Response[Any]:
    name = f"{stem}-{scope.tenant_id or 'all'}-{start}-{end}"
    name = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
    return Response(csv_text(rows), media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


def _media(schema: str) -> dict[str, Schema | Reference]:
    return {"application/json": Reference(ref=f"#/components/schemas/{schema}"),
            "text/csv": Schema(type=OpenAPIType.STRING)}


class TrendsRetentionController(Controller):
    path = "/api/v1/reports"
    tags = ["reports"]
    dependencies = {"app_id": Provide(secret_app_id)}
    security = SECRET_KEY

    @get("/trends", operation_id="TrendsReport", cache=False,
         operation_class=documented(400, 401, 403, 503, media=_media("TrendsReport")))
    async def trends(
        self,
        request: Request[Any, Any, Any],
        app_id: NamedDependency[str],
        events: Annotated[str, QueryParameter(min_length=1, max_length=2000, description=(
            "The series, comma-separated (A, B … in this order): `page:ID`, `feature:ID`, `event:NAME` "
            "(optionally `event:NAME[prop=value]`) or `guide:ID:seen|advanced|completed|dismissed|snoozed`."))],
        measure: Annotated[Measure, QueryParameter(
            description="total: how many times; unique: distinct visitors or tenants per period.")] = "total",
        count: Annotated[Literal["visitors", "tenants"], _COUNT] = "visitors",
        interval: Annotated[Literal["day", "week", "month"], QueryParameter(
            description="Periods: days, ISO weeks (Monday first) or calendar months.")] = "day",
        breakdown: Annotated[str | None, QueryParameter(max_length=200, description=(
            "Split by `visitor.<field>`, `tenant.<field>`, `browser` or `language` (top 10 and `(other)`)."))] = None,
        formula: Annotated[str | None, QueryParameter(max_length=1000, description=(
            "Over the series letters, numbers, + - * / and parentheses, e.g. `A / B`; division by zero "
            "gives null."))] = None,
        tenant: Annotated[str | None, _TENANT] = None,
        start: Annotated[date | None, _FROM] = None,
        end: Annotated[date | None, _TO] = None,
        segment: Annotated[str | None, _SEGMENT] = None,
        format: Annotated[Literal["json", "csv"], _FORMAT] = "json",
    ) -> Response[TrendsReport | str]:
        """Each event's count per day, week or month, total or unique, with a breakdown and a formula. Read from
        the daily roll-up; track events with property filters and guide actions other than `seen` are read
        from the stored events of the range."""
        first, last = _range(start, end)
        scope = Scope(app_id, tenant)
        try:
            query = trends_query(events, measure, count, interval, breakdown, formula)
            async with scoped_session(request.app.state.sessionmaker, scope) as session:
                report = await trends_report(session, scope, query, first, last, segment)
        except QUERY_ERRORS as exc:
            raise ValidationException(detail=str(exc)) from exc
        return _csv(trends_rows(report), "trends", scope, first, last) if format == "csv" else Response(report)

    @get("/retention", operation_id="RetentionReport", cache=False,
         operation_class=documented(400, 401, 403, 503, media=_media("RetentionReport")))
    async def retention(
        self,
        request: Request[Any, Any, Any],
        app_id: NamedDependency[str],
        start_event: Annotated[str, QueryParameter(max_length=300, description=(
            "`first_seen` (cohorts by first visit) or a reference: the first day in the range a unit did it."
        ))] = "first_seen",
        return_event: Annotated[str, QueryParameter(max_length=300, description=(
            "`any` (any activity) or a reference."))] = "any",
        interval: Annotated[RetentionInterval, QueryParameter(
            description="Brackets of a day, or of 7 days from `from`.")] = "week",
        mode: Annotated[Mode, QueryParameter(
            description="on: returned in bracket N; on_or_after: in bracket N or later.")] = "on",
        brackets: Annotated[int, QueryParameter(ge=1, le=MAX_BRACKETS, description=(
            "How many brackets, bracket 0 (the cohort period itself) first."))] = 8,
        count: Annotated[Literal["visitors", "tenants"], _COUNT] = "visitors",
        tenant: Annotated[str | None, _TENANT] = None,
        start: Annotated[date | None, _FROM] = None,
        end: Annotated[date | None, _TO] = None,
        segment: Annotated[str | None, _SEGMENT] = None,
        format: Annotated[Literal["json", "csv"], _FORMAT] = "json",
    ) -> Response[RetentionReport | str]:
        """Cohorts by first seen or by a start event, the share of each that returned in each bracket, and an
        average row weighted by cohort size over complete brackets only."""
        first, last = _range(start, end)
        scope = Scope(app_id, tenant)
        try:
            query = retention_query(start_event, return_event, interval, mode, brackets, count)
            async with scoped_session(request.app.state.sessionmaker, scope) as session:
                report = await retention_report(session, scope, query, first, last, segment)
        except QUERY_ERRORS as exc:
            raise ValidationException(detail=str(exc)) from exc
        return _csv(retention_rows(report), "retention", scope, first, last) if format == "csv" else Response(report)
