"""NPS, comment and poll reports, read from the survey tally projection and the guide figures, never from events."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, NamedTuple

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.db.models import Guide, GuideVersion, Tenant, Visitor
from waymark.guides.schemas import GuideFile, PollStep
from waymark.guides.targeting import Predicate, pick_locale
from waymark.guidestats.models import GuideDailyStat
from waymark.surveys.arithmetic import NpsFigures, category, nps_figures, response_rate
from waymark.surveys.models import SurveyAnswer
from waymark.surveys.schemas import (
    NpsComment,
    NpsComments,
    NpsPeriod,
    NpsReport,
    NpsTenant,
    PollOptionResult,
    PollQuestionResult,
    PollReport,
    PollTenant,
    PollText,
)

__all__ = [
    "Answer",
    "Interval",
    "ReportScope",
    "answers",
    "bucket",
    "buckets",
    "nps_comments",
    "nps_fields",
    "nps_report",
    "poll_report",
    "poll_steps",
    "shown_pairs",
]

Interval = Literal["day", "week", "month"]
_MAX_TEXTS = 1000


class ReportScope(msgspec.Struct, kw_only=True):
    """What a survey report covers: one guide, one tenant or all, UTC days from..to, an optional segment."""

    guide: str
    tenant: str | None
    start: date
    end: date
    segment: Predicate | None = None


def bucket(day: date, interval: Interval) -> date:
    """The first day of the interval ``day`` falls in (weeks start on Monday, as ISO weeks do)."""
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day


def _next(start: date, interval: Interval) -> date:
    return bucket(start + timedelta(days=32 if interval == "month" else 7 if interval == "week" else 1), interval)


def buckets(start: date, end: date, interval: Interval) -> list[tuple[date, date]]:
    """The intervals a range falls in: (first day of the interval, its last day within the range)."""
    out: list[tuple[date, date]] = []
    current = bucket(start, interval)
    while current <= end:
        following = _next(current, interval)
        out.append((current, min(following - timedelta(days=1), end)))
        current = following
    return out


def _day(ts: datetime) -> date:
    return (ts.astimezone(UTC) if ts.tzinfo else ts).date()


class Answer(NamedTuple):
    """An answer as the reports read it: a plain row (thousands of ORM objects would cost three times as much)."""

    visitor_id: str
    tenant_id: str
    ts: datetime
    score: int | None
    choices: list[Any] | None
    comment: str | None
    question: str


async def answers(session: AsyncSession, app_id: str, kind: str, scope: ReportScope) -> list[Answer]:
    """The answers of a kind (``nps``, ``poll``) in the scope, in time order, the segment applied."""
    since = datetime.combine(scope.start, time(), UTC)
    until = datetime.combine(scope.end + timedelta(days=1), time(), UTC)
    a = SurveyAnswer
    query = select(a.visitor_id, a.tenant_id, a.ts, a.score, a.choices, a.comment, a.question).where(
        SurveyAnswer.app_id == app_id, SurveyAnswer.kind == kind, SurveyAnswer.guide_id == scope.guide,
        SurveyAnswer.ts >= since, SurveyAnswer.ts < until,
    )
    if scope.tenant is not None:
        query = query.where(SurveyAnswer.tenant_id == scope.tenant)
    rows = [Answer._make(r) for r in (await session.execute(query.order_by(SurveyAnswer.ts, SurveyAnswer.id))).all()]
    keep = await _segment_filter(session, app_id, scope.segment, {(r.visitor_id, r.tenant_id) for r in rows})
    return [r for r in rows if (r.visitor_id, r.tenant_id) in keep]


async def _segment_filter(
    session: AsyncSession, app_id: str, segment: Predicate | None, people: set[tuple[str, str]]
) -> set[tuple[str, str]]:
    """The (visitor, tenant) pairs whose known metadata the segment admits (all of them without a segment)."""
    if segment is None or not people:
        return people
    visitors = sorted({v for v, _ in people})
    tenants = sorted({t for _, t in people if t})
    visitor_meta: dict[str, dict[str, Any]] = {}
    tenant_meta: dict[str, dict[str, Any]] = {}
    for i in range(0, len(visitors), 500):
        chunk = visitors[i:i + 500]
        visitor_meta.update((await session.execute(
            select(Visitor.id, Visitor.meta).where(Visitor.app_id == app_id, Visitor.id.in_(chunk))
        )).all())
    for i in range(0, len(tenants), 500):
        chunk = tenants[i:i + 500]
        tenant_meta.update((await session.execute(
            select(Tenant.id, Tenant.meta).where(Tenant.app_id == app_id, Tenant.id.in_(chunk))
        )).all())
    return {
        (v, t) for v, t in people
        if segment({**(visitor_meta.get(v) or {}), "id": v}, {**(tenant_meta.get(t) or {}), "id": t} if t else {})
    }


def _latest(rows: Iterable[Answer], key: Callable[[Answer], Any]) -> list[Answer]:
    """Each key's latest answer (rows come in time order): a visitor who answered twice counts once."""
    last: dict[Any, Answer] = {}
    for row in rows:
        last[key(row)] = row
    return list(last.values())


def _visitor(row: Answer) -> str:
    return row.visitor_id


def _share(count: int, n: int) -> float | None:
    return round(count / n, 4) if n else None


def _scores(rows: Iterable[Answer]) -> list[int]:
    return [r.score for r in rows if r.score is not None]


def nps_fields(fig: NpsFigures) -> dict[str, Any]:
    return {
        "responses": fig.responses, "promoters": fig.promoters, "passives": fig.passives,
        "detractors": fig.detractors, "score": fig.score, "ci95": list(fig.ci95) if fig.ci95 else None,
    }


async def shown_pairs(session: AsyncSession, app_id: str, scope: ReportScope) -> set[tuple[str, str]]:
    """(visitor, tenant) pairs shown the guide in the range (``guide_seen``, from the guide figures).

    The guide figures are keyed by guide first, so this reads the survey's own rows, not every visitor's day.
    """
    query = select(GuideDailyStat.visitor_id, GuideDailyStat.tenant_id).where(
        GuideDailyStat.app_id == app_id, GuideDailyStat.guide_id == scope.guide, GuideDailyStat.day >= scope.start,
        GuideDailyStat.day <= scope.end, GuideDailyStat.seen > 0,
    )
    if scope.tenant is not None:
        query = query.where(GuideDailyStat.tenant_id == scope.tenant)
    pairs = {(v, t) for v, t in (await session.execute(query.distinct())).all()}
    return await _segment_filter(session, app_id, scope.segment, pairs)


async def nps_report(
    session: AsyncSession, app_id: str, scope: ReportScope, interval: Interval,
    rows: list[Answer] | None = None, shown_to: set[tuple[str, str]] | None = None,
) -> NpsReport:
    """``rows`` (:func:`answers`) and ``shown_to`` (:func:`shown_pairs`) when the caller has read them already."""
    rows = await answers(session, app_id, "nps", scope) if rows is None else rows
    latest = _latest(rows, _visitor)
    # Someone who answered was shown it, even when the showing fell before the range.
    pairs = await shown_pairs(session, app_id, scope) if shown_to is None else shown_to
    shown = {v for v, _ in pairs} | {r.visitor_id for r in latest}
    by_period: dict[date, list[Answer]] = {}
    for row in rows:
        by_period.setdefault(bucket(_day(row.ts), interval), []).append(row)
    series = [
        NpsPeriod(start=start, **nps_fields(nps_figures(_scores(_latest(by_period.get(start, ()), _visitor)))))
        for start, _ in buckets(scope.start, scope.end, interval)
    ]
    by_tenant: dict[str, list[Answer]] = {}
    for row in latest:
        by_tenant.setdefault(row.tenant_id, []).append(row)
    tenants = [NpsTenant(tenant=t, **nps_fields(nps_figures(_scores(rs)))) for t, rs in sorted(by_tenant.items())]
    total = nps_figures(_scores(latest))
    return NpsReport(
        guide=scope.guide, tenant=scope.tenant, from_=scope.start, to=scope.end, interval=interval,
        shown=len(shown), response_rate=response_rate(total.responses, len(shown)), series=series,
        tenants=tenants, **nps_fields(total),
    )


async def nps_comments(
    session: AsyncSession, app_id: str, scope: ReportScope, categories: frozenset[str] | None, limit: int
) -> NpsComments:
    """Every answer with a comment in the range, newest first, with its score."""
    rows = [r for r in await answers(session, app_id, "nps", scope) if r.comment and r.score is not None]
    found = [
        NpsComment(ts=r.ts, visitor=r.visitor_id, tenant=r.tenant_id, score=r.score, category=category(r.score),
                   comment=r.comment)
        for r in reversed(rows) if r.score is not None and r.comment
        and (categories is None or category(r.score) in categories)
    ]
    return NpsComments(guide=scope.guide, tenant=scope.tenant, from_=scope.start, to=scope.end,
                       comments=found[:limit], truncated=len(found) > limit)


async def poll_steps(session: AsyncSession, app_id: str, guide_id: str) -> tuple[list[PollStep], str | None]:
    """The published guide's poll steps, in order, and its default locale."""
    definition = (await session.execute(
        select(GuideVersion.definition).join(
            Guide, (Guide.app_id == GuideVersion.app_id) & (Guide.id == GuideVersion.guide_id)
            & (Guide.published_version == GuideVersion.version)
        ).where(GuideVersion.app_id == app_id, GuideVersion.guide_id == guide_id)
    )).scalar_one_or_none()
    if definition is None:
        return [], None
    try:
        guide = msgspec.convert(definition, GuideFile)
    except msgspec.ValidationError:  # a stored definition an older release wrote: report the answers alone
        return [], None
    return [s for s in guide.steps if isinstance(s, PollStep)], guide.locales.default if guide.locales else None


def _question_results(steps: Sequence[PollStep], rows: Sequence[Answer], default: str | None) -> list[
        PollQuestionResult]:
    by_question: dict[str, list[Answer]] = {}
    for row in rows:
        by_question.setdefault(row.question, []).append(row)
    known = {s.question: s for s in steps}
    order = [s.question for s in steps] + sorted(q for q in by_question if q not in known)
    results = []
    for question in order:
        step = known.get(question)
        answers = by_question.get(question, [])
        n = len(answers)
        kind = step.input if step else ("rating" if any(a.score for a in answers) else
                                        "text" if any(a.comment for a in answers) else "single")
        options: list[PollOptionResult] = []
        mean = None
        texts: list[PollText] = []
        if kind in ("single", "multiple"):
            labels = {o.id: pick_locale(o.label, None, default) for o in ((step.options if step else None) or ())}
            counts = dict.fromkeys(labels, 0)
            for a in answers:
                for choice in dict.fromkeys(a.choices or ()):
                    counts[choice] = counts.get(choice, 0) + 1
            options = [PollOptionResult(id=k, label=labels.get(k, k), count=c, share=_share(c, n))
                       for k, c in counts.items()]
        elif kind == "rating":
            ratings = [a.score for a in answers if a.score is not None]
            options = [PollOptionResult(id=str(r), label=str(r), count=c, share=_share(c, n))
                       for r in range(1, 6) for c in [ratings.count(r)]]
            mean = round(sum(ratings) / len(ratings), 3) if ratings else None
        else:
            texts = [PollText(ts=a.ts, visitor=a.visitor_id, tenant=a.tenant_id, text=a.comment)
                     for a in reversed(answers) if a.comment][:_MAX_TEXTS]
        title = pick_locale(step.title, None, default) if step and step.title is not None else question
        results.append(PollQuestionResult(question=question, title=title, input=kind, responses=n, options=options,
                                          mean=mean, texts=texts))
    return results


async def poll_report(session: AsyncSession, app_id: str, scope: ReportScope, per_tenant: bool = True) -> PollReport:
    """Counts and shares per question, overall and (``per_tenant``) per tenant; each visitor's latest answer to a
    question counts."""
    steps, default = await poll_steps(session, app_id, scope.guide)
    latest = _latest(await answers(session, app_id, "poll", scope), lambda r: (r.visitor_id, r.question))
    by_tenant: dict[str, list[Answer]] = {}
    for row in latest if per_tenant else ():
        by_tenant.setdefault(row.tenant_id, []).append(row)
    return PollReport(
        guide=scope.guide, tenant=scope.tenant, from_=scope.start, to=scope.end,
        questions=_question_results(steps, latest, default),
        tenants=[PollTenant(tenant=t, questions=_question_results(steps, rs, default))
                 for t, rs in sorted(by_tenant.items())],
    )
