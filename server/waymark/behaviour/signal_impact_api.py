"""``GET /api/v1/reports/signal`` and ``GET /api/v1/reports/impact``: JSON or CSV, secret key only."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, Literal, TypeVar

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ClientException
from litestar.openapi.spec import Reference, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import QueryParameter

from waymark.analytics.segments import SegmentError, SegmentMembers, segment_members
from waymark.apps.auth import secret_app_id
from waymark.behaviour.daily_facts import MAX_SEGMENT_MEMBERS
from waymark.behaviour.day_range import DayRange, Range, check_bounds, parse_range
from waymark.behaviour.impact_report import ImpactReport, impact_csv_rows, impact_report, parse_impact_options
from waymark.behaviour.refs import RefError
from waymark.behaviour.signal_report import SignalReport, parse_signal_options, signal_csv_rows, signal_report
from waymark.clock import utcnow
from waymark.csv_cells import csv_bytes
from waymark.db.scope import Scope, scoped_session
from waymark.openapi_docs import SECRET_KEY, documented

__all__ = ["SignalImpactController", "read_inputs", "read_options", "segment_of"]

T = TypeVar("T")
_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")
_Tenant = Annotated[str | None, QueryParameter(max_length=200, description="Only this tenant (default: every one).")]
_From = Annotated[str | None, QueryParameter(name="from", max_length=10, description="First UTC day, YYYY-MM-DD "
                                             "(default: 29 days before `to`).")]
_To = Annotated[str | None, QueryParameter(name="to", max_length=10, description="Last UTC day, included "
                                           "(default: today).")]
_Segment = Annotated[str | None, QueryParameter(max_length=300, description="tenant.<field>=<value> or "
                                                "visitor.<field>=<value>.")]
_Count = Annotated[str | None, QueryParameter(max_length=20, description="visitors (default) or tenants.")]
_Format = Annotated[Literal["json", "csv"], QueryParameter(description="json or csv.")]


def read_options(days: DayRange, params: Mapping[str, str | None], parse: Callable[[Mapping[str, str | None]], T]
                 ) -> T:
    """A report's options from query parameters, its range checked; any problem a 400 naming it."""
    try:
        check_bounds(days)
        return parse(params)
    except RefError as exc:
        raise ClientException(str(exc)) from exc


def read_inputs(params: Mapping[str, str | None], parse: Callable[[Mapping[str, str | None]], T]
                ) -> tuple[Range, T]:
    """The date range, segment and a report's options from query parameters; any problem a 400 naming it."""
    try:
        return parse_range(params, utcnow().date()), parse(params)
    except RefError as exc:
        raise ClientException(str(exc)) from exc


async def segment_of(session: Any, scope: Scope, filters: DayRange) -> SegmentMembers | None:
    """Who the filters' segment selects (None: everyone); 400 when it cannot be read or is too large to send."""
    if not filters.segment:
        return None
    try:
        members = await segment_members(session, scope, filters.segment)
    except SegmentError as exc:
        raise ClientException(str(exc)) from exc
    if len(members.ids) > MAX_SEGMENT_MEMBERS:
        raise ClientException(f"the segment holds {len(members.ids):,} {members.subject}s; signal and impact take "
                              f"segments of at most {MAX_SEGMENT_MEMBERS:,}")
    return members


def _answer(data: Any, rows: Sequence[Sequence[Any]], fmt: str, name: str) -> Response[Any]:
    if fmt == "csv":
        filename = _FILENAME.sub("-", name).strip("-.") or "report"
        return Response(csv_bytes(rows), media_type="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'})
    return Response(data)


class SignalImpactController(Controller):
    path = "/api/v1/reports"
    tags = ["reports"]
    dependencies = {"app_id": Provide(secret_app_id)}
    security = SECRET_KEY

    @get("/signal", operation_id="SignalReport", cache=False, operation_class=documented(
        400, 401, 403, 503, media={"application/json": Reference(ref="#/components/schemas/SignalReport"),
                                   "text/csv": Schema(type=OpenAPIType.STRING)}))
    async def signal(
        self,
        request: Request[Any, Any, Any],
        app_id: NamedDependency[str],
        goal: Annotated[str | None, QueryParameter(max_length=300, description=(
            "active_week_4 (default: any activity on days 21-27 after first seen), active (any activity on the "
            "goal days) or a reference: page:ID, feature:ID, event:NAME, guide:ID:ACTION."))] = None,
        goal_from_day: Annotated[str | None, QueryParameter(max_length=12, description=(
            "First day of the goal after first seen (default 21; not with active_week_4)."))] = None,
        goal_to_day: Annotated[str | None, QueryParameter(max_length=12, description=(
            "Last day of the goal after first seen (default 27; not with active_week_4)."))] = None,
        window_days: Annotated[str | None, QueryParameter(max_length=12, description=(
            "The window: a unit's first N days (default 7, at most 90)."))] = None,
        min_support: Annotated[str | None, QueryParameter(max_length=12, description=(
            "Fewest doers for an item to be listed (default 5)."))] = None,
        count: _Count = None,
        start: _From = None,
        end: _To = None,
        tenant: _Tenant = None,
        segment: _Segment = None,
        format: _Format = "json",
    ) -> Response[SignalReport | str]:
        """For visitors (or tenants) first seen in the range whose goal period has ended: each page, feature,
        track event and guide seen in their first days, with its 2×2 table against reaching the goal, its share
        and its phi coefficient, highest phi first. Correlation, not cause."""
        filters, options = read_inputs({
            "goal": goal, "goal_from_day": goal_from_day, "goal_to_day": goal_to_day, "window_days": window_days,
            "min_support": min_support, "count": count, "from": start, "to": end, "segment": segment,
        }, parse_signal_options)
        scope = Scope(app_id, tenant or None)
        async with scoped_session(request.app.state.sessionmaker, scope) as session:
            report = await signal_report(session, scope, filters, options, await segment_of(session, scope, filters),
                                         utcnow().date())
        return _answer(report, signal_csv_rows(report), format,
                       f"signal-{tenant or 'all'}-{filters.start}-{filters.end}")

    @get("/impact", operation_id="ImpactReport", cache=False, operation_class=documented(
        400, 401, 403, 503, media={"application/json": Reference(ref="#/components/schemas/ImpactReport"),
                                   "text/csv": Schema(type=OpenAPIType.STRING)}))
    async def impact(
        self,
        request: Request[Any, Any, Any],
        app_id: NamedDependency[str],
        adoption: Annotated[str | None, QueryParameter(max_length=300, description=(
            "feature:ID, guide:ID:seen or guide:ID:completed (required)."))] = None,
        metric: Annotated[str | None, QueryParameter(max_length=300, description=(
            "any (default: every event) or a reference: page:ID, feature:ID, event:NAME, guide:ID:ACTION."))] = None,
        days: Annotated[str | None, QueryParameter(max_length=12, description=(
            "Days before and after adoption (default 14, at most 90)."))] = None,
        count: _Count = None,
        start: _From = None,
        end: _To = None,
        tenant: _Tenant = None,
        segment: _Segment = None,
        format: _Format = "json",
    ) -> Response[ImpactReport | str]:
        """Adopters (first did it in the range) against non-adopters (active in the range, never did): the
        metric per unit per day before and after adoption, the changes and the difference in differences, and
        the adopters' average by day around adoption. Not a controlled experiment."""
        filters, options = read_inputs({
            "adoption": adoption, "metric": metric, "days": days, "count": count, "from": start, "to": end,
            "segment": segment,
        }, parse_impact_options)
        scope = Scope(app_id, tenant or None)
        async with scoped_session(request.app.state.sessionmaker, scope) as session:
            report = await impact_report(session, scope, filters, options, await segment_of(session, scope, filters),
                                         utcnow().date())
        return _answer(report, impact_csv_rows(report), format,
                       f"impact-{tenant or 'all'}-{filters.start}-{filters.end}")
