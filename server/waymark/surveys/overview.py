"""What the admin's NPS and poll pages show: an app's surveys, and one survey's figures, distribution and comments."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.db.models import Guide, GuideVersion
from waymark.surveys.arithmetic import category, nps_of, response_rate, score_distribution
from waymark.surveys.day_reports import (
    nps_comments_page,
    nps_counts,
    poll_questions,
    read_tallies,
    shown_count,
    tenant_figures,
)
from waymark.surveys.reports import (
    Interval,
    ReportScope,
    answers,
    buckets,
    nps_fields,
    nps_report,
    poll_report,
    poll_steps,
    shown_pairs,
)
from waymark.surveys.schemas import NpsComment, NpsPeriod, NpsReport, NpsTenant, PollReport

__all__ = [
    "NpsOverview",
    "NpsTenantRow",
    "PollOverview",
    "ScoreCount",
    "SurveyRef",
    "choose",
    "interval_for",
    "list_surveys",
    "nps_overview",
    "poll_overview",
]


class SurveyRef(msgspec.Struct, kw_only=True):
    id: str
    name: str
    published: bool


class ScoreCount(msgspec.Struct, kw_only=True):
    score: int
    count: int
    category: str


class NpsTenantRow(msgspec.Struct, kw_only=True):
    """One tenant's NPS with its interval and response rate."""

    tenant: str
    responses: int
    score: float | None
    ci95: list[float] | None
    shown: int
    response_rate: float | None


class NpsOverview(msgspec.Struct, kw_only=True):
    surveys: list[SurveyRef]
    survey: str | None
    """The survey shown (``None``: the app has no NPS survey)."""
    report: NpsReport | None
    distribution: list[ScoreCount]
    """Each visitor's latest score in the range, counted per score 0–10."""
    tenants: list[NpsTenantRow]
    comments: list[NpsComment]
    """This page of the comments, newest first."""
    comments_total: int
    page: int
    pages: int
    tenants_answered: int = 0
    """Tenants that answered in the range (``tenants`` may hold only those with the most answers)."""
    estimated: bool = False
    """``shown`` is merged from the days' sketches (the whole app): exact to 4,096 visitors, ~1.6 % error beyond."""


class PollOverview(msgspec.Struct, kw_only=True):
    surveys: list[SurveyRef]
    survey: str | None
    report: PollReport | None


def interval_for(start: date, end: date) -> Interval:
    """Days up to two weeks, weeks up to half a year, months beyond: enough answers per point to mean something."""
    days = (end - start).days + 1
    return "day" if days <= 14 else "week" if days <= 183 else "month"


def _has_poll(definition: dict[str, Any]) -> bool:
    steps = definition.get("steps")
    return isinstance(steps, list) and any(isinstance(s, dict) and s.get("type") == "poll" for s in steps)


async def list_surveys(session: AsyncSession, app_id: str, kind: str) -> list[SurveyRef]:
    """The app's NPS surveys (``nps``) or guides holding poll steps (``poll``), by their latest version."""
    latest = select(GuideVersion.guide_id, func.max(GuideVersion.version).label("version")).where(
        GuideVersion.app_id == app_id).group_by(GuideVersion.guide_id).subquery()
    query = select(Guide.id, Guide.name, Guide.published_version, GuideVersion.definition).join(
        latest, latest.c.guide_id == Guide.id).join(
        GuideVersion, (GuideVersion.app_id == Guide.app_id) & (GuideVersion.guide_id == Guide.id)
        & (GuideVersion.version == latest.c.version)).where(Guide.app_id == app_id)
    if kind == "nps":
        query = query.where(Guide.kind == "nps")
    found = []
    for row in (await session.execute(query.order_by(Guide.id))).all():
        if kind == "poll" and not _has_poll(row.definition or {}):
            continue
        found.append(SurveyRef(id=row.id, name=row.name, published=row.published_version is not None))
    # Published surveys first: they are the ones being answered.
    return sorted(found, key=lambda s: (not s.published, s.id))


def choose(surveys: list[SurveyRef], wanted: str | None) -> str | None:
    """The survey to show: the one asked for if the app has it (else ``None``), or by default the first."""
    if wanted is not None:
        return wanted if any(s.id == wanted for s in surveys) else None
    return surveys[0].id if surveys else None


async def nps_overview(
    session: AsyncSession, app_id: str, scope: ReportScope | None, interval: Interval, page: int, per_page: int,
    surveys: list[SurveyRef], tenant_rows: int | None = None,
) -> NpsOverview:
    """The survey in ``scope.guide`` (``scope`` None: the app has none): trend, distribution, tenants, comments.

    The whole app's figures come from the day tallies (:mod:`waymark.surveys.day_reports`), its
    tenants limited to the ``tenant_rows`` with the most answers when given; a tenant's or a
    segment's are counted from their answers and showings, read once.
    """
    empty = NpsOverview(surveys=surveys, survey=None, report=None, distribution=[], tenants=[], comments=[],
                        comments_total=0, page=1, pages=1)
    if scope is None:
        return empty
    if scope.tenant is None and scope.segment is None:
        return await _whole_app_nps(session, app_id, scope, interval, page, per_page, surveys, tenant_rows)
    rows = await answers(session, app_id, "nps", scope)
    shown_to = await shown_pairs(session, app_id, scope)
    report = await nps_report(session, app_id, scope, interval, rows=rows, shown_to=shown_to)
    latest: dict[str, Any] = {}
    for row in rows:
        latest[row.visitor_id] = row
    scores = [r.score for r in latest.values() if r.score is not None]
    distribution = [ScoreCount(score=s, count=c, category=category(s))
                    for s, c in enumerate(score_distribution(scores))]
    shown_by_tenant: dict[str, set[str]] = {}
    for visitor, tenant in shown_to:
        shown_by_tenant.setdefault(tenant, set()).add(visitor)
    for row in latest.values():  # someone who answered was shown it, even before the range
        shown_by_tenant.setdefault(row.tenant_id, set()).add(row.visitor_id)
    answered = {t.tenant: t for t in report.tenants}
    tenants = []
    for tenant in sorted(shown_by_tenant):
        got = answered.get(tenant)
        shown = len(shown_by_tenant[tenant])
        responses = got.responses if got else 0
        tenants.append(NpsTenantRow(tenant=tenant, responses=responses, score=got.score if got else None,
                                    ci95=got.ci95 if got else None, shown=shown,
                                    response_rate=response_rate(responses, shown)))
    commented = [r for r in reversed(rows) if r.comment and r.score is not None]
    pages = max(1, math.ceil(len(commented) / per_page))
    page = min(max(page, 1), pages)
    comments = [NpsComment(ts=r.ts, visitor=r.visitor_id, tenant=r.tenant_id, score=r.score,
                           category=category(r.score), comment=r.comment)
                for r in commented[(page - 1) * per_page:page * per_page] if r.score is not None and r.comment]
    return NpsOverview(surveys=surveys, survey=scope.guide, report=report, distribution=distribution, tenants=tenants,
                       comments=comments, comments_total=len(commented), page=page, pages=pages,
                       tenants_answered=sum(1 for t in tenants if t.responses))


async def _whole_app_nps(session: AsyncSession, app_id: str, scope: ReportScope, interval: Interval, page: int,
                         per_page: int, surveys: list[SurveyRef], tenant_rows: int | None) -> NpsOverview:
    tallies = await read_tallies(session, app_id, scope.guide, scope.start, scope.end)
    counts = tallies.counts(scope.start, scope.end)
    total = nps_counts(counts)
    shown = await shown_count(session, app_id, scope.guide, scope.start, scope.end, tallies)
    series = [NpsPeriod(start=first, **nps_fields(nps_counts(tallies.counts(first, last))))
              for first, last in buckets(scope.start, scope.end, interval)]
    found, answered = await tenant_figures(session, app_id, scope.guide, scope.start, scope.end, tenant_rows)
    by_tenant = sorted(found, key=lambda t: t.tenant)
    figures = {t.tenant: nps_of(t.promoters, t.passives, t.detractors) for t in by_tenant}
    report = NpsReport(
        guide=scope.guide, tenant=None, from_=scope.start, to=scope.end, interval=interval, shown=shown,
        response_rate=response_rate(total.responses, shown), series=series,
        tenants=[NpsTenant(tenant=t.tenant, **nps_fields(figures[t.tenant])) for t in by_tenant if t.responses],
        **nps_fields(total),
    )
    distribution = [ScoreCount(score=s, count=counts.get(("", f"score:{s}"), 0), category=category(s))
                    for s in range(11)]
    tenants = [NpsTenantRow(tenant=t.tenant, responses=t.responses, score=figures[t.tenant].score,
                            ci95=list(figures[t.tenant].ci95 or ()) or None, shown=t.shown,
                            response_rate=response_rate(t.responses, t.shown)) for t in by_tenant]
    commented = counts.get(("", "commented"), 0)
    pages = max(1, math.ceil(commented / per_page))
    page = min(max(page, 1), pages)
    comments = await nps_comments_page(session, app_id, scope.guide, scope.start, scope.end, (page - 1) * per_page,
                                       per_page)
    return NpsOverview(surveys=surveys, survey=scope.guide, report=report, distribution=distribution, tenants=tenants,
                       comments=comments, comments_total=commented, page=page, pages=pages,
                       tenants_answered=answered, estimated=True)


async def poll_overview(session: AsyncSession, app_id: str, scope: ReportScope | None,
                        surveys: list[SurveyRef]) -> PollOverview:
    if scope is None:
        return PollOverview(surveys=surveys, survey=None, report=None)
    if scope.tenant is None and scope.segment is None:  # the whole app: from the day tallies
        steps, default = await poll_steps(session, app_id, scope.guide)
        return PollOverview(surveys=surveys, survey=scope.guide, report=PollReport(
            guide=scope.guide, tenant=None, from_=scope.start, to=scope.end, tenants=[],
            questions=await poll_questions(session, app_id, scope.guide, scope.start, scope.end, steps, default)))
    # Per tenant only on a tenant's own page: the whole app's page shows the questions (thousands of tenants
    # would each be a table of their own).
    report = await poll_report(session, app_id, scope, per_tenant=scope.tenant is not None)
    return PollOverview(surveys=surveys, survey=scope.guide, report=report)
