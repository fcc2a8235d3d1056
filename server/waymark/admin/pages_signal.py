"""The signal page: which things done in a visitor's (or tenant's) first days go with reaching a goal, ranked by
phi, with each 2×2 table. Correlation, not cause. Same answer as ``GET /api/v1/reports/signal``."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency

from waymark.access.deps import requires
from waymark.access.principal import Action
from waymark.admin.behaviour_charts import phi_bars
from waymark.admin.filters import ReportFilters
from waymark.admin.render import report_page
from waymark.behaviour.signal_impact_api import read_options, segment_of
from waymark.behaviour.signal_report import parse_signal_options, signal_csv_rows, signal_report
from waymark.clock import utcnow
from waymark.db.scope import Scope, scoped_session

__all__ = ["SignalPage"]

CHART_ROWS = 25
"""Bars in the chart at most (the strongest by phi, both ways); the table lists every item."""
_OPTIONS = ("goal", "goal_from_day", "goal_to_day", "window_days", "min_support", "count")


class SignalPage(Controller):
    path = "/admin/apps/{app_id:str}"
    include_in_schema = False

    @get("/signal", guards=[requires(Action.READ_APP)], name="admin-signal")
    async def signal(self, request: Request[Any, Any, Any], access_scope: NamedDependency[Scope],
                     filters: NamedDependency[ReportFilters]) -> Response[Any]:
        """Phi of every page, feature, track event and guide seen in the first days against the goal."""
        params = {name: request.query_params.get(name) for name in _OPTIONS}
        options = read_options(filters, params, parse_signal_options)
        scope = access_scope
        async with scoped_session(request.app.state.sessionmaker, scope) as session:
            data = await signal_report(session, scope, filters, options, await segment_of(session, scope, filters),
                                       utcnow().date())
        ranked = sorted((i for i in data.items if i.phi is not None), key=lambda i: -abs(i.phi or 0.0))[:CHART_ROWS]
        ranked.sort(key=lambda i: -(i.phi or 0.0))
        return report_page(request, template="behaviour/signal.html", data=data, csv_rows=signal_csv_rows(data),
                           filename=f"signal-{scope.app_id}-{filters.start}-{filters.end}",
                           context={"scope": scope, "form": {k: v or "" for k, v in params.items()},
                                    "bars": phi_bars([(i.item, i.phi) for i in ranked])})
