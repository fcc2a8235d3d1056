"""REST for survey results: the NPS report, NPS comments and poll results, in JSON or CSV. Secret key only."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ValidationException
from litestar.openapi.spec import Reference, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import QueryParameter

from waymark.apps.auth import secret_app_id
from waymark.db.scope import app_session
from waymark.guides.targeting import Predicate, RuleError, compile_rule
from waymark.openapi_docs import SECRET_KEY, documented
from waymark.surveys import models as _models  # noqa: F401  (registers the tally table on Base)
from waymark.surveys.exports import nps_comments_csv, nps_csv, poll_csv
from waymark.surveys.reports import Interval, ReportScope, nps_comments, nps_report, poll_report
from waymark.surveys.schemas import NpsComments, NpsReport, PollReport
from waymark.wire import day_problem, json_problem

__all__ = ["SurveyReportController"]

MAX_SURVEY_REPORT_DAYS = 731
_GUIDE = QueryParameter(min_length=1, max_length=64, description="The survey's guide id.")
_TENANT = QueryParameter(min_length=1, max_length=200, description="Only this tenant (default: every tenant).")
_FROM = QueryParameter(name="from", description="First UTC day (default: 89 days before `to`).")
_TO = QueryParameter(name="to", description="Last UTC day, included (default: today).")
_SEGMENT = QueryParameter(
    min_length=2, max_length=4096,
    description='Only visitors whose metadata matches this segment rule, as JSON, in the syntax of guide targeting '
                '(e.g. `{"field": "tenant.plan", "op": "eq", "value": "pro"}`).',
)
_FORMAT = QueryParameter(description="json or csv.")


def _problem(name: str, message: str) -> ValidationException:
    return ValidationException(detail=f"{name}: {message}", extra=[{"key": name, "message": message}])


def _scope(guide: str, tenant: str | None, start: date | None, end: date | None, segment: str | None) -> ReportScope:
    for name, day in (("from", start), ("to", end)):
        problem = day_problem(day) if day else None
        if problem:
            raise _problem(name, problem)
    end = end or datetime.now(UTC).date()
    start = start or end - timedelta(days=89)
    if start > end:
        raise ValidationException(detail=f"from ({start}) is after to ({end})")
    if (end - start).days + 1 > MAX_SURVEY_REPORT_DAYS:
        raise ValidationException(detail=f"at most {MAX_SURVEY_REPORT_DAYS} days per report "
                                         f"(asked for {(end - start).days + 1})")
    predicate: Predicate | None = None
    if segment is not None:
        try:
            rule = msgspec.json.decode(segment)
        except (msgspec.DecodeError, RecursionError) as exc:
            raise _problem("segment", f"not JSON ({exc})") from exc
        bounded = json_problem(rule, "segment")
        if bounded:
            raise _problem("segment", bounded)
        try:
            predicate = compile_rule(rule, "segment")
        except RuleError as exc:
            raise _problem(exc.field, exc.message) from exc
    return ReportScope(guide=guide, tenant=tenant, start=start, end=end, segment=predicate)


def _csv(body: str, stem: str, scope: ReportScope) -> Response[Any]:
    name = re.sub(r"[^A-Za-z0-9._-]", "_", f"{stem}-{scope.guide}-{scope.tenant or 'all'}-{scope.start}-{scope.end}")
    return Response(body, media_type="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


def _media(schema: str) -> dict[str, Schema | Reference]:
    return {"application/json": Reference(ref=f"#/components/schemas/{schema}"),
            "text/csv": Schema(type=OpenAPIType.STRING)}


class SurveyReportController(Controller):
    path = "/api/v1/reports"
    tags = ["reports"]
    dependencies = {"app_id": Provide(secret_app_id)}
    security = SECRET_KEY

    @get("/nps", operation_id="NpsReport", cache=False,
         operation_class=documented(400, 401, 403, 503, media=_media("NpsReport")))
    async def nps(
        self,
        request: Request[Any, Any, Any],
        app_id: NamedDependency[str],
        guide: Annotated[str, _GUIDE],
        tenant: Annotated[str | None, _TENANT] = None,
        start: Annotated[date | None, _FROM] = None,
        end: Annotated[date | None, _TO] = None,
        interval: Annotated[Literal["day", "week", "month"], QueryParameter(
            description="The length of each entry of `series`.")] = "week",
        segment: Annotated[str | None, _SEGMENT] = None,
        format: Annotated[Literal["json", "csv"], _FORMAT] = "json",
    ) -> Response[NpsReport | str]:
        """NPS over the range: promoters, passives, detractors, score with its 95% interval, the response rate,
        a series per interval and the figures per tenant. Each visitor's latest answer in the range counts once;
        dismissals are not answers. Read from the survey tallies, never from raw events."""
        scope = _scope(guide, tenant, start, end, segment)
        period: Interval = interval
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            report = await nps_report(session, app_id, scope, period)
        return _csv(nps_csv(report), "nps", scope) if format == "csv" else Response(report)

    @get("/nps/comments", operation_id="NpsComments", cache=False,
         operation_class=documented(400, 401, 403, 503, media=_media("NpsComments")))
    async def comments(
        self,
        request: Request[Any, Any, Any],
        app_id: NamedDependency[str],
        guide: Annotated[str, _GUIDE],
        tenant: Annotated[str | None, _TENANT] = None,
        start: Annotated[date | None, _FROM] = None,
        end: Annotated[date | None, _TO] = None,
        category: Annotated[Literal["promoter", "passive", "detractor"] | None, QueryParameter(
            description="Only comments of this category.")] = None,
        segment: Annotated[str | None, _SEGMENT] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=10_000, description="At most this many, newest first.")] = 1000,
        format: Annotated[Literal["json", "csv"], _FORMAT] = "json",
    ) -> Response[NpsComments | str]:
        """The comments left with NPS answers, newest first, each with its score and category. Plain text:
        never render a comment as HTML."""
        scope = _scope(guide, tenant, start, end, segment)
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            report = await nps_comments(session, app_id, scope, frozenset({category}) if category else None, limit)
        return _csv(nps_comments_csv(report), "nps-comments", scope) if format == "csv" else Response(report)

    @get("/polls", operation_id="PollReport", cache=False,
         operation_class=documented(400, 401, 403, 503, media=_media("PollReport")))
    async def polls(
        self,
        request: Request[Any, Any, Any],
        app_id: NamedDependency[str],
        guide: Annotated[str, _GUIDE],
        tenant: Annotated[str | None, _TENANT] = None,
        start: Annotated[date | None, _FROM] = None,
        end: Annotated[date | None, _TO] = None,
        segment: Annotated[str | None, _SEGMENT] = None,
        format: Annotated[Literal["json", "csv"], _FORMAT] = "json",
    ) -> Response[PollReport | str]:
        """Poll results per question, overall and per tenant: counts and shares of each choice or rating, the
        mean rating, and free-text answers (plain text). Each visitor's latest answer to a question counts once."""
        scope = _scope(guide, tenant, start, end, segment)
        async with app_session(request.app.state.sessionmaker, app_id) as session:
            report = await poll_report(session, app_id, scope)
        return _csv(poll_csv(report), "polls", scope) if format == "csv" else Response(report)
