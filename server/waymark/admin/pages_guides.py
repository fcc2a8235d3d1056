"""The guide pages: the guides list, one guide's figures with its holdout lift, and the "why not shown?" form."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.access.deps import requires
from waymark.access.principal import Action
from waymark.admin.filters import ReportFilters
from waymark.admin.render import page, report_page
from waymark.analytics.segments import SegmentError, segment_members
from waymark.db.scope import Scope, app_session
from waymark.delivery.explain import Explanation, UnknownGuide, explain_guide
from waymark.guidestats.report import NoGuideFigures, Selection, guide_report, guides_list
from waymark.guidestats.schemas import GuideReport, GuidesList
from waymark.holdouts.schemas import LiftReport
from waymark.holdouts.services import LiftUnavailable, lift_report
from waymark.wire import CONTROL_CHARACTER

__all__ = ["ExplainForm", "GuidePages", "read_explain_form"]

_GuideId = Annotated[str, Parameter(max_length=64)]
_LIMITS = {"visitor": 200, "url": 4096, "tenant": 200, "locale": 35}
_LABELS = {"visitor": "Visitor id", "url": "Page URL", "tenant": "Tenant id", "locale": "Locale"}


class ExplainForm(msgspec.Struct):
    """The explainer's question, as the API takes it (``GET /api/v1/guides/{id}/explain``)."""

    visitor: str = ""
    url: str = ""
    tenant: str = ""
    locale: str = ""


def read_explain_form(params: Mapping[str, str]) -> tuple[ExplainForm, str | None]:
    """The form's values and what is wrong with them (None when it can be asked; nothing asked is no error)."""
    values = {name: (params.get(name) or "").strip() for name in _LIMITS}
    form = ExplainForm(**values)
    if not form.visitor and not form.url:
        return form, None
    for name, limit in _LIMITS.items():
        value = values[name]
        if name in ("visitor", "url") and not value:
            return form, f"{_LABELS[name]} is needed to explain what delivery does"
        if len(value) > limit:
            return form, f"{_LABELS[name]} is longer than {limit} characters"
        if CONTROL_CHARACTER.search(value):
            return form, f"{_LABELS[name]} holds a control character"
    if not form.url.startswith(("http://", "https://")):
        return form, "Page URL must be a full address, starting with http:// or https://"
    return form, None


def _percent(value: float | None) -> str | None:
    return None if value is None else f"{100 * value:.1f}%"


def _seconds(ms: int | None) -> str | None:
    if ms is None:
        return None
    seconds = ms / 1000
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def _list_bars(data: GuidesList) -> dict[str, list[tuple[str, float | None]]]:
    """The list's charts: guides someone saw in the range, by visitors and by completion rate (in %)."""
    shown = [g for g in data.guides if g.visitors]
    return {"visitors": [(g.name, g.visitors) for g in shown],
            "rates": [(g.name, None if g.completion_rate is None else 100 * g.completion_rate) for g in shown]}


def _list_rows(data: GuidesList) -> list[list[Any]]:
    return [["guide", "name", "kind", "published", "views", "visitors", "completed", "completion_rate"]] + [
        [g.guide, g.name, g.kind, g.published, g.views, g.visitors, g.completed, g.completion_rate]
        for g in data.guides
    ]


def _guide_rows(data: GuideReport, lift: LiftReport | None) -> list[list[Any]]:
    """One long table: section, key, metric, value (each section reads the same way in a spreadsheet)."""
    rows: list[list[Any]] = [["section", "key", "metric", "value"]]
    for metric in ("views", "visitors", "completed", "dismissed", "snoozed", "anchor_missing",
                   "anchor_missing_visitors", "completion_rate", "dismiss_rate", "snooze_rate", "median_ms", "timed"):
        rows.append(["total", "", metric, getattr(data, metric)])
    for step in data.steps:
        rows += [["step", step.step, "visitors", step.visitors], ["step", step.step, "share", step.share]]
    for day in data.days:
        rows += [["day", day.day, metric, getattr(day, metric)]
                 for metric in ("views", "visitors", "completed", "dismissed", "snoozed", "anchor_missing")]
    if lift is not None:
        for arm, figures in (("shown", lift.shown), ("held_out", lift.held_out)):
            rows += [["lift", arm, "n", figures.n], ["lift", arm, "reached", figures.reached],
                     ["lift", arm, "rate", figures.rate]]
        low, high = lift.ci95 or (None, None)
        rows += [["lift", "difference", "value", lift.difference], ["lift", "difference", "ci95_low", low],
                 ["lift", "difference", "ci95_high", high]]
    return rows


class GuideData(msgspec.Struct):
    """A guide page's JSON: the figures, and the lift report (or why there is none)."""

    figures: GuideReport
    lift: LiftReport | None
    lift_unavailable: str | None


def _guide_charts(data: GuideData) -> dict[str, Any]:
    """The guide page's bars and their tables: steps reached, how showings ended, goal rate per arm (in %)."""
    f, lift = data.figures, data.lift
    labelled = [(f"{s.step}. {s.title}" if s.title else f"Step {s.step}", s) for s in f.steps]
    return {
        "steps": [(label, s.visitors) for label, s in labelled],
        "day_rows": [[d.day, d.views, d.visitors, d.completed, d.dismissed, d.snoozed, d.anchor_missing]
                     for d in f.days],
        "step_rows": [[s.step, s.title or "–", s.visitors, _percent(s.share) or "–"] for _, s in labelled],
        "ends": [("Saw it", f.visitors), ("Completed", f.completed), ("Dismissed", f.dismissed),
                 ("Snoozed", f.snoozed)],
        "lift_bars": [] if lift is None else [
            (arm, None if figures.rate is None else 100 * figures.rate)
            for arm, figures in (("Shown", lift.shown), ("Held out", lift.held_out))],
    }


async def _selection(session: AsyncSession, scope: Scope, filters: ReportFilters) -> Selection:
    """The rows a page reads: its scope, range and segment (whose members are looked up once)."""
    if filters.segment is None:
        return Selection(scope, filters.start, filters.end)
    try:
        members = await segment_members(session, scope, filters.segment)
    except SegmentError as exc:
        raise ClientException(str(exc)) from exc
    return Selection(scope, filters.start, filters.end, filters.segment,
                     tenants=members.ids if members.subject == "tenant" else None,
                     visitors=members.ids if members.subject == "visitor" else None)


class GuidePages(Controller):
    """``/admin/apps/{app_id}/guides``: app-wide guide figures, read from the per-day guide rows (READ_APP)."""

    path = "/admin/apps/{app_id:str}/guides"
    include_in_schema = False
    guards = [requires(Action.READ_APP)]

    @get("/", name="admin-guides")
    async def guides(self, request: Request[Any, Any, Any], access_scope: Scope, filters: ReportFilters
                     ) -> Response[Any]:
        """Every guide: views, visitors and completion rate over the range."""
        async with app_session(request.app.state.sessionmaker, access_scope.app_id) as session:
            data = await guides_list(session, await _selection(session, access_scope, filters))
        return report_page(
            request, template="guides/list.html", data=data, csv_rows=_list_rows(data),
            filename=f"guides-{access_scope.app_id}-{filters.start}-{filters.end}",
            context={"scope": access_scope, "percent": _percent, "bars": _list_bars(data),
                     "base": f"/admin/apps/{access_scope.app_id}/guides"})

    @get("/{guide_id:str}", name="admin-guide")
    async def guide(self, request: Request[Any, Any, Any], access_scope: Scope, filters: ReportFilters,
                    guide_id: _GuideId) -> Response[Any]:
        """One guide: trend, step drop-off, ends, missing anchors, time on guide, holdout lift."""
        async with app_session(request.app.state.sessionmaker, access_scope.app_id) as session:
            try:
                figures = await guide_report(session, await _selection(session, access_scope, filters), guide_id)
            except NoGuideFigures as exc:
                raise NotFoundException(str(exc)) from exc
            lift: LiftReport | None = None
            unavailable: str | None = None
            try:
                lift = await lift_report(session, access_scope.app_id, guide_id)
            except LiftUnavailable as exc:
                unavailable = str(exc)
        data = GuideData(figures=figures, lift=lift, lift_unavailable=unavailable)
        base = f"/admin/apps/{access_scope.app_id}/guides"
        return report_page(
            request, template="guides/guide.html", data=data, csv_rows=_guide_rows(figures, lift),
            filename=f"guide-{guide_id}-{filters.start}-{filters.end}",
            context={"scope": access_scope, "percent": _percent, "seconds": _seconds, "base": base,
                     "form": ExplainForm(), "explain_url": f"{base}/{guide_id}/explain", **_guide_charts(data)})

    @get("/{guide_id:str}/explain", name="admin-guide-explain")
    async def explain(self, request: Request[Any, Any, Any], access_scope: Scope, guide_id: _GuideId
                      ) -> Response[Any]:
        """Why this guide is (not) shown to a visitor on a page: delivery's own checks, as the API answers them."""
        form, problem = read_explain_form(request.query_params)
        fmt = request.query_params.get("format", "html")
        answer: Explanation | None = None
        if problem is None and form.visitor:
            state = request.app.state
            try:
                answer = await explain_guide(state.sessionmaker, state.snapshots, state.state_reader,
                                             access_scope.app_id, guide_id, form.visitor, form.tenant or None,
                                             form.url, form.locale or None, datetime.now(UTC))
            except UnknownGuide as exc:
                raise NotFoundException(str(exc)) from exc
        if fmt in ("json", "csv"):
            if problem is not None or answer is None:
                raise ClientException(problem or "give visitor and url to explain")
            return report_page(
                request, template="guides/explain.html", data=answer,
                csv_rows=[["check", "status", "reason", "until", "by", "detail"]]
                + [[c.name, c.status, c.reason, c.until, c.by, c.detail] for c in answer.checks],
                filename=f"explain-{guide_id}-{form.visitor}")
        base = f"/admin/apps/{access_scope.app_id}/guides"
        return page(request, "guides/explain.html", {
            "scope": access_scope, "guide_id": guide_id, "form": form, "error": problem, "answer": answer,
            "explain_url": f"{base}/{guide_id}/explain", "guide_url": f"{base}/{guide_id}",
            "form_query": {k: v for k, v in msgspec.structs.asdict(form).items() if v},
        }, status_code=400 if problem else 200)
