"""The whole app's NPS and poll figures from the day tallies: a range reads a few rows per day, not every answer.

Used when a report covers every visitor of the app (no tenant, no segment). The figures are
those :mod:`waymark.surveys.reports` counts from the answers (each visitor's latest answer in the
range, or in each period of the trend) and come out the same; two differ in kind: the visitors
shown the survey are a union of the days' sketches (exact below 4,096 visitors, ~1.6 % error
above), and the tenant table and the free texts are read from the answers, by SQL that returns
only the rows shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import case, func, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.guides.schemas import PollStep
from waymark.guides.targeting import pick_locale
from waymark.guidestats.models import GuideDailyStat, GuideDaySketch
from waymark.guidestats.sketches import union_estimate
from waymark.surveys.arithmetic import NpsFigures, category, nps_of
from waymark.surveys.models import SurveyAnswer, SurveyDayTally
from waymark.surveys.schemas import NpsComment, PollOptionResult, PollQuestionResult, PollText

__all__ = ["DayTallies", "TenantFigures", "latest_in_range", "nps_comments_page", "nps_counts", "poll_questions",
           "read_tallies", "shown_count", "tenant_figures"]

_MAX_TEXTS = 1000
_CHUNK = 500


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def latest_in_range(start: date, end: date) -> list[Any]:
    """Answers that are their visitor's latest in ``start``..``end``: answered then, not replaced before it ended."""
    until = _midnight(end + timedelta(days=1))
    return [SurveyAnswer.ts >= _midnight(start), SurveyAnswer.ts < until,
            or_(SurveyAnswer.replaced_at.is_(None), SurveyAnswer.replaced_at >= until)]


class DayTallies:
    """One survey's tally rows of a range, summed over any window of it."""

    __slots__ = ("rows", "visitors")

    def __init__(self, rows: Sequence[tuple[str, date, date, str, int]], visitors: list[bytes | None]) -> None:
        self.rows = rows
        """(question, day, until, item, count)."""
        self.visitors = visitors
        """The days' sketches of who answered."""

    def counts(self, first: date, last: date) -> dict[tuple[str, str], int]:
        """(question, item) → answers of ``first``..``last`` that are their visitor's latest in that window."""
        out: dict[tuple[str, str], int] = {}
        for question, day, until, item, count in self.rows:
            if first <= day <= last and until > last and count:
                out[(question, item)] = out.get((question, item), 0) + count
        return out


async def read_tallies(session: AsyncSession, app_id: str, guide: str, start: date, end: date) -> DayTallies:
    t = SurveyDayTally
    rows = (await session.execute(
        select(t.question, t.day, t.until, t.item, t.count, t.sketch)
        .where(t.app_id == app_id, t.guide_id == guide, t.day >= start, t.day <= end)
    )).tuples().all()
    return DayTallies([(q, d, u, i, int(n)) for q, d, u, i, n, blob in rows if i != "visitors"],
                      [blob for _, _, _, i, _, blob in rows if i == "visitors"])


def nps_counts(counts: dict[tuple[str, str], int]) -> NpsFigures:
    """The NPS figures of score items counted for the NPS question (``""``)."""
    by_score = {int(item[6:]): n for (question, item), n in counts.items() if question == "" and
                item.startswith("score:")}
    return nps_of(sum(n for s, n in by_score.items() if s >= 9), sum(n for s, n in by_score.items() if 7 <= s <= 8),
                  sum(n for s, n in by_score.items() if s <= 6))


async def shown_count(session: AsyncSession, app_id: str, guide: str, start: date, end: date,
                      tallies: DayTallies) -> int:
    """Visitors shown the survey in the range, or who answered it then (shown before the range)."""
    k = GuideDaySketch
    seen = (await session.scalars(select(k.sketch).where(
        k.app_id == app_id, k.guide_id == guide, k.day >= start, k.day <= end, k.figure == "seen"))).all()
    return union_estimate([*seen, *tallies.visitors])


class TenantFigures:
    """One tenant's row of the NPS page."""

    __slots__ = ("detractors", "passives", "promoters", "responses", "shown", "tenant")

    def __init__(self, tenant: str, shown: int, responses: int, promoters: int, detractors: int) -> None:
        self.tenant, self.shown, self.responses = tenant, shown, responses
        self.promoters, self.detractors = promoters, detractors
        self.passives = responses - promoters - detractors


async def tenant_figures(session: AsyncSession, app_id: str, guide: str, start: date, end: date,
                         limit: int | None) -> tuple[list[TenantFigures], int]:
    """Per tenant: the latest answers by category and the visitors shown the survey (or who answered it), and how
    many tenants answered.

    With a ``limit``, the tenants with the most answers (then by id) and only their showings are
    read, so the page's table costs its rows, not the app's tenants; tenants shown it without
    answering fill it only when fewer answered. Without one, every tenant shown it or answering.
    """
    a = SurveyAnswer
    latest = [a.app_id == app_id, a.guide_id == guide, a.kind == "nps", *latest_in_range(start, end)]
    responses = func.count()
    query = (select(a.tenant_id, responses, func.sum(case((a.score >= 9, 1), else_=0)),
                    func.sum(case((a.score <= 6, 1), else_=0)), func.count().over())
             .where(*latest, a.score.is_not(None)).group_by(a.tenant_id).order_by(responses.desc(), a.tenant_id))
    if limit is not None:
        query = query.limit(limit)
    rows: Sequence[Any] = (await session.execute(query)).all()
    answered = {str(t): (int(n), int(p), int(d)) for t, n, p, d, _ in rows}
    how_many = int(rows[0][4]) if rows else 0
    if limit is not None and len(answered) >= limit:
        chosen = list(answered)
        shown = await _shown(session, app_id, guide, start, end, latest, chosen)
    else:
        shown = await _shown(session, app_id, guide, start, end, latest, None)
        others = sorted((t for t in shown if t not in answered), key=lambda t: (-shown[t], t))
        chosen = list(answered) + others[:None if limit is None else limit - len(answered)]
    return [TenantFigures(t, shown.get(t, 0), *answered.get(t, (0, 0, 0))) for t in chosen], how_many


async def _shown(session: AsyncSession, app_id: str, guide: str, start: date, end: date, latest: list[Any],
                 tenants: list[str] | None) -> dict[str, int]:
    """Visitors shown the survey in the range or answering it, per tenant (of ``tenants`` only, when given)."""
    a, g = SurveyAnswer, GuideDailyStat
    seen = [g.app_id == app_id, g.guide_id == guide, g.day >= start, g.day <= end, g.seen > 0]
    found: dict[str, int] = {}
    for start_at in range(0, len(tenants), _CHUNK) if tenants is not None else [0]:
        chunk = tenants[start_at:start_at + _CHUNK] if tenants is not None else None
        people = union(
            select(g.visitor_id, g.tenant_id).where(*seen, *([g.tenant_id.in_(chunk)] if chunk else [])),
            select(a.visitor_id, a.tenant_id).where(*latest, *([a.tenant_id.in_(chunk)] if chunk else [])),
        ).subquery()
        counted: Sequence[Any] = (await session.execute(
            select(people.c.tenant_id, func.count()).group_by(people.c.tenant_id))).all()
        found.update((str(t), int(n)) for t, n in counted)
    return found


async def nps_comments_page(session: AsyncSession, app_id: str, guide: str, start: date, end: date, offset: int,
                            limit: int) -> list[NpsComment]:
    """Answers with a comment in the range, newest first, ``limit`` of them from ``offset``."""
    a = SurveyAnswer
    rows = (await session.execute(
        select(a.ts, a.visitor_id, a.tenant_id, a.score, a.comment)
        .where(a.app_id == app_id, a.guide_id == guide, a.kind == "nps", a.ts >= _midnight(start),
               a.ts < _midnight(end + timedelta(days=1)), a.comment.is_not(None), a.comment != "",
               a.score.is_not(None))
        .order_by(a.ts.desc(), a.id.desc()).offset(offset).limit(limit)
    )).tuples().all()
    return [NpsComment(ts=ts, visitor=v, tenant=t, score=s, category=category(s), comment=c)
            for ts, v, t, s, c in rows if s is not None and c]


async def _texts(session: AsyncSession, app_id: str, guide: str, question: str, start: date, end: date
                 ) -> list[PollText]:
    a = SurveyAnswer
    rows = (await session.execute(
        select(a.ts, a.visitor_id, a.tenant_id, a.comment)
        .where(a.app_id == app_id, a.guide_id == guide, a.kind == "poll", a.question == question,
               *latest_in_range(start, end), a.comment.is_not(None), a.comment != "")
        .order_by(a.ts.desc(), a.id.desc()).limit(_MAX_TEXTS)
    )).tuples().all()
    return [PollText(ts=ts, visitor=v, tenant=t, text=c) for ts, v, t, c in rows if c]


def _share(count: int, n: int) -> float | None:
    return round(count / n, 4) if n else None


async def poll_questions(session: AsyncSession, app_id: str, guide: str, start: date, end: date,
                         steps: Sequence[PollStep], default: str | None) -> list[PollQuestionResult]:
    """Each question's results over the range: the published steps in order, then other questions answered."""
    counts = (await read_tallies(session, app_id, guide, start, end)).counts(start, end)
    answered = {q for (q, item), n in counts.items() if item == "answer" and n}
    known = {s.question: s for s in steps}
    results = []
    for question in [s.question for s in steps] + sorted(q for q in answered if q not in known):
        step = known.get(question)
        mine = {item: n for (q, item), n in counts.items() if q == question}
        n = mine.get("answer", 0)
        kind = step.input if step else ("rating" if any(i.startswith("score:") for i in mine) else
                                        "text" if mine.get("text") else "single")
        options: list[PollOptionResult] = []
        mean = None
        texts: list[PollText] = []
        if kind in ("single", "multiple"):
            labels = {o.id: pick_locale(o.label, None, default) for o in ((step.options if step else None) or ())}
            chosen = dict.fromkeys(labels, 0)
            for item in sorted(i for i in mine if i.startswith("choice:")):
                chosen[item[7:]] = chosen.get(item[7:], 0) + mine[item]
            options = [PollOptionResult(id=k, label=labels.get(k, k), count=c, share=_share(c, n))
                       for k, c in chosen.items()]
        elif kind == "rating":
            ratings = {r: mine.get(f"score:{r}", 0) for r in range(1, 6)}
            options = [PollOptionResult(id=str(r), label=str(r), count=c, share=_share(c, n))
                       for r, c in ratings.items()]
            rated = sum(c for i, c in mine.items() if i.startswith("score:"))
            total = sum(int(i[6:]) * c for i, c in mine.items() if i.startswith("score:"))
            mean = round(total / rated, 3) if rated else None
        else:
            texts = await _texts(session, app_id, guide, question, start, end)
        title = pick_locale(step.title, None, default) if step and step.title is not None else question
        results.append(PollQuestionResult(question=question, title=title, input=kind, responses=n, options=options,
                                          mean=mean, texts=texts))
    return results
