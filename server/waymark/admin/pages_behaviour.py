"""The funnel and paths pages: a form that GETs the same page, the chart, and the table (JSON and CSV alike).

The funnel's steps come as ``steps=a,b,c`` (what the API takes) or as the form's repeated ``step`` fields,
one step a field; empty fields are skipped. Without steps the page shows the form alone.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import ClientException

from waymark.access.deps import requires
from waymark.access.principal import Action
from waymark.admin.filters import ReportFilters
from waymark.admin.render import report_page
from waymark.admin.templating import principal_of
from waymark.alerts.rules import funnel_rule_target
from waymark.analytics.segments import SegmentError
from waymark.behaviour.funnels import MAX_STEPS, FunnelReport, FunnelStep, funnel_query, funnel_report
from waymark.behaviour.path_math import PathCount, sankey
from waymark.behaviour.paths import MAX_TOP, PathsReport, paths_query, paths_report
from waymark.behaviour.refs import RefError
from waymark.db.scope import Scope, scoped_session

__all__ = ["BehaviourPages"]

_Scope = NamedDependency[Scope]
_Filters = NamedDependency[ReportFilters]
_FORM_FIELDS = ("exclude", "window_days", "count", "compare_from", "compare_to", "breakdown")


def _percent(value: float | None) -> str | None:
    return None if value is None else f"{value * 100:.1f}%"


def _duration(seconds: int | None) -> str | None:
    if seconds is None:
        return None
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    if seconds < 172_800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86_400:.1f} d"


def _funnel_params(request: Request[Any, Any, Any]) -> dict[str, str]:
    params = {name: request.query_params[name] for name in ("steps", *_FORM_FIELDS) if name in request.query_params}
    if not (params.get("steps") or "").strip():
        fields = [s.strip() for s in request.query_params.getall("step", []) if s.strip()]
        if fields:
            params["steps"] = ",".join(fields)
    return params


def _step_rows(steps: list[FunnelStep]) -> list[list[Any]]:
    return [[s.ref, s.entered, s.converted, _percent(s.step_conversion), _percent(s.conversion),
             _duration(s.median_seconds), _duration(s.p90_seconds)] for s in steps]


def _funnel_csv(report: FunnelReport | None) -> list[list[Any]]:
    rows: list[list[Any]] = [["range", "value", "start", "end", "step", "ref", "entered", "converted",
                              "step_conversion", "conversion", "median_seconds", "p90_seconds"]]
    if report is None:
        return rows
    ranges = [("range", "", report.start, report.end, report.steps)]
    if report.compare is not None:
        ranges.append(("compare", "", report.compare.start, report.compare.end, report.compare.steps))
    ranges += [("breakdown", g.value, report.start, report.end, g.steps) for g in report.groups or []]
    for name, value, start, end, steps in ranges:
        rows += [[name, value, start, end, i + 1, s.ref, s.entered, s.converted, s.step_conversion, s.conversion,
                  s.median_seconds, s.p90_seconds] for i, s in enumerate(steps)]
    return rows


def _paths_csv(report: PathsReport) -> list[list[Any]]:
    return [["rank", "visitors", "path"]] + [[i + 1, p.visitors, " > ".join(p.steps)]
                                             for i, p in enumerate(report.paths)]


def _base(scope: Scope) -> str:
    return f"/admin/apps/{scope.app_id}"


def _watch_link(request: Request[Any, Any, Any], scope: Scope, report: FunnelReport | None, segment: str | None
                ) -> str | None:
    """The alerts page with a rule on this funnel's conversion filled in, for someone who may add rules; none
    for one tenant's funnel or a segment's (a rule watches the whole app)."""
    principal = principal_of(request)
    if (report is None or scope.tenant_id is not None or segment or principal is None
            or not principal.allows(Action.MANAGE, scope.app_id)):
        return None
    target = funnel_rule_target([s.ref for s in report.steps], report.window_days, report.count, report.exclude)
    return f"{_base(scope)}/alerts?{urlencode({'metric': 'funnel_conversion', 'target': target})}#rule-form"


class BehaviourPages(Controller):
    """``/funnels`` and ``/paths`` of an app (READ_APP)."""

    path = "/admin/apps/{app_id:str}"
    include_in_schema = False

    @get("/funnels", guards=[requires(Action.READ_APP)], name="admin-funnels")
    async def funnels(self, request: Request[Any, Any, Any], access_scope: _Scope, filters: _Filters
                      ) -> Response[Any]:
        """A funnel: conversion per step, times between steps, and a second range beside it."""
        params = _funnel_params(request)
        report: FunnelReport | None = None
        if params.get("steps"):
            try:
                query = funnel_query(params)
            except RefError as exc:
                raise ClientException(str(exc)) from exc
            async with scoped_session(request.app.state.sessionmaker, access_scope) as session:
                try:
                    report = await funnel_report(session, access_scope, query, filters.start, filters.end,
                                                 filters.segment)
                except SegmentError as exc:
                    raise ClientException(str(exc)) from exc
        steps = [s for s in (params.get("steps") or "").split(",") if s.strip()] if report is None else \
            [s.ref for s in report.steps]
        return report_page(
            request, template="behaviour/funnels.html", data=report, csv_rows=_funnel_csv(report),
            filename=f"funnel-{filters.start}-{filters.end}",
            context={
                "scope": access_scope, "form": params, "step_inputs": min(MAX_STEPS, max(3, len(steps) + 1)),
                "steps": steps, "rows": _step_rows(report.steps) if report else [],
                "compare_rows": _step_rows(report.compare.steps) if report and report.compare else [],
                "group_rows": [(g.value, _step_rows(g.steps)) for g in (report.groups or [])] if report else [],
                "bars": [(s.ref, round((s.conversion or 0) * 100, 1)) for s in report.steps] if report else [],
                "base": _base(access_scope),
                "watch": _watch_link(request, access_scope, report, filters.segment),
            })

    @get("/paths", guards=[requires(Action.READ_APP)], name="admin-paths")
    async def paths(self, request: Request[Any, Any, Any], access_scope: _Scope, filters: _Filters
                    ) -> Response[Any]:
        """The top paths from or to a step, or before leaving, as a Sankey diagram and a table."""
        params = {name: request.query_params[name] for name in ("from_step", "to_step", "length", "top")
                  if name in request.query_params}
        try:
            query = paths_query(params)
        except RefError as exc:
            raise ClientException(str(exc)) from exc
        async with scoped_session(request.app.state.sessionmaker, access_scope) as session:
            try:
                report = await paths_report(session, access_scope, query, filters.start, filters.end,
                                            filters.segment)
            except SegmentError as exc:
                raise ClientException(str(exc)) from exc
        layout = sankey([PathCount(tuple(p.steps), p.visitors) for p in report.paths])
        return report_page(
            request, template="behaviour/paths.html", data=report, csv_rows=_paths_csv(report),
            filename=f"paths-{filters.start}-{filters.end}",
            context={"scope": access_scope, "form": params, "layout": layout, "max_top": MAX_TOP,
                     "rows": [[i + 1, " → ".join(p.steps), p.visitors] for i, p in enumerate(report.paths)],
                     "base": _base(access_scope)})
