"""The impact page: a metric per visitor (or tenant) and day before and after adopting a feature or seeing or
completing a guide, adopters against non-adopters. Not a controlled experiment. Same answer as
``GET /api/v1/reports/impact``; without ``adoption`` the page reads the app's first feature (by id)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from sqlalchemy import select

from waymark.access.deps import requires
from waymark.access.principal import Action
from waymark.admin.behaviour_charts import relative_lines
from waymark.admin.filters import ReportFilters
from waymark.admin.render import page, report_page
from waymark.behaviour.impact_report import CAUTION, impact_csv_rows, impact_report, parse_impact_options
from waymark.behaviour.signal_impact_api import read_options, segment_of
from waymark.clock import utcnow
from waymark.db.models import FeatureDefinition
from waymark.db.scope import Scope, scoped_session

__all__ = ["ImpactPage"]

_OPTIONS = ("adoption", "metric", "days", "count")


class ImpactPage(Controller):
    path = "/admin/apps/{app_id:str}"
    include_in_schema = False

    @get("/impact", guards=[requires(Action.READ_APP)], name="admin-impact")
    async def impact(self, request: Request[Any, Any, Any], access_scope: NamedDependency[Scope],
                     filters: NamedDependency[ReportFilters]) -> Response[Any]:
        """Adopters against non-adopters around adoption."""
        params = {name: request.query_params.get(name) for name in _OPTIONS}
        scope = access_scope
        async with scoped_session(request.app.state.sessionmaker, scope) as session:
            if not (params["adoption"] or "").strip():
                first = await session.scalar(select(FeatureDefinition.id).where(
                    FeatureDefinition.app_id == scope.app_id).order_by(FeatureDefinition.id).limit(1))
                if first is None:
                    return page(request, "behaviour/impact.html", {
                        "scope": scope, "form": {k: v or "" for k, v in params.items()}, "filters": filters,
                        "data": None, "caution": CAUTION, "chart": relative_lines([], [])})
                params["adoption"] = f"feature:{first}"
            options = read_options(filters, params, parse_impact_options)
            data = await impact_report(session, scope, filters, options, await segment_of(session, scope, filters),
                                       utcnow().date())
        days = [d.day for d in data.by_day]
        chart = relative_lines(days, [("Adopters", [d.adopters for d in data.by_day]),
                                      ("Non-adopters", [d.non_adopters for d in data.by_day])])
        return report_page(request, template="behaviour/impact.html", data=data, csv_rows=impact_csv_rows(data),
                           filename=f"impact-{scope.app_id}-{filters.start}-{filters.end}",
                           context={"scope": scope, "form": {k: v or "" for k, v in params.items()}, "chart": chart,
                                    "caution": CAUTION})
