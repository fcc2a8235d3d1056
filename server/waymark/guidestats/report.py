"""The guide reports, read from the day rows only (never raw events): the guides list and one guide's figures."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.db.models import Guide, GuideVersion
from waymark.db.scope import Scope
from waymark.guidestats.figures import every_day, median_of_runs, rate, step_reach
from waymark.guidestats.models import GuideDailyStat as S
from waymark.guidestats.schemas import GuideDay, GuideListRow, GuideReport, GuidesList

__all__ = ["NoGuideFigures", "Selection", "guide_report", "guides_list"]


class NoGuideFigures(LookupError):
    """The app has no guide by that id and no figures under it."""


class Selection:
    """Which rows a report reads: the scope's app (and tenant), a date range, and a segment's members."""

    __slots__ = ("end", "scope", "segment", "start", "tenants", "visitors")

    def __init__(self, scope: Scope, start: date, end: date, segment: str | None = None,
                 tenants: Collection[str] | None = None, visitors: Collection[str] | None = None) -> None:
        self.scope, self.start, self.end, self.segment = scope, start, end, segment
        self.tenants = tenants
        """The segment's tenants (``tenant.…`` segments), or None."""
        self.visitors = visitors
        """The segment's visitors (``visitor.…`` segments), or None."""

    def where(self) -> list[Any]:
        clauses: list[Any] = [S.app_id == self.scope.app_id, S.day >= self.start, S.day <= self.end]
        if self.scope.tenant_id is not None:
            clauses.append(S.tenant_id == self.scope.tenant_id)
        if self.tenants is not None:
            clauses.append(S.tenant_id.in_(sorted(self.tenants)))
        if self.visitors is not None:
            clauses.append(S.visitor_id.in_(sorted(self.visitors)))
        return clauses


def _flag(column: Any) -> Any:
    return case((column > 0, 1), else_=0)


async def guides_list(session: AsyncSession, selection: Selection) -> GuidesList:
    """Every guide of the app (published or not, and any id with figures): views, visitors, completion."""
    per_visitor = (
        select(S.guide_id, S.visitor_id, func.sum(S.seen).label("seen"), func.sum(S.completed).label("completed"))
        .where(*selection.where()).group_by(S.guide_id, S.visitor_id).subquery()
    )
    saw = per_visitor.c.seen > 0
    totals: Sequence[Any] = (await session.execute(
        select(per_visitor.c.guide_id, func.sum(per_visitor.c.seen), func.sum(_flag(per_visitor.c.seen)),
               func.sum(case((and_(saw, per_visitor.c.completed > 0), 1), else_=0)))
        .group_by(per_visitor.c.guide_id)
    )).all()
    found: dict[str, tuple[int, int, int]] = {
        guide: (int(views or 0), int(visitors or 0), int(completed or 0))
        for guide, views, visitors, completed in totals
    }
    known = {g.id: g for g in (await session.scalars(
        select(Guide).where(Guide.app_id == selection.scope.app_id))).all()}
    rows = []
    for guide_id in sorted(set(known) | set(found)):
        guide = known.get(guide_id)
        views, visitors, completed = found.get(guide_id, (0, 0, 0))
        rows.append(GuideListRow(
            guide=guide_id, name=guide.name if guide else guide_id, kind=guide.kind if guide else "",
            published=guide is not None and guide.published_version is not None, views=views, visitors=visitors,
            completed=completed, completion_rate=rate(completed, visitors),
        ))
    return GuidesList(start=selection.start, end=selection.end, segment=selection.segment, guides=rows)


async def _guide(session: AsyncSession, app_id: str, guide_id: str) -> tuple[str, str, list[str]] | None:
    """(name, kind, step titles) of the guide's published version, else of its newest one."""
    guide = await session.scalar(select(Guide).where(Guide.app_id == app_id, Guide.id == guide_id))
    if guide is None:
        return None
    version = guide.published_version
    query = select(GuideVersion.definition).where(GuideVersion.app_id == app_id, GuideVersion.guide_id == guide_id)
    query = (query.where(GuideVersion.version == version) if version is not None
             else query.order_by(GuideVersion.version.desc()).limit(1))
    definition: dict[str, Any] = (await session.scalars(query)).first() or {}
    locale = (definition.get("locales") or {}).get("default") or "en"
    steps = definition.get("steps") or []
    return guide.name, guide.kind, [_title(s, locale) if isinstance(s, dict) else "" for s in steps]


def _title(step: dict[str, Any], locale: str) -> str:
    """A step's title in the guide's default language (titles are text or text per locale), else its type."""
    title = step.get("title")
    if isinstance(title, dict):
        title = title.get(locale) or next(iter(title.values()), None)
    return str(title or step.get("type") or "")


async def guide_report(session: AsyncSession, selection: Selection, guide_id: str) -> GuideReport:
    """One guide's figures over the selection; raises :class:`NoGuideFigures` for an unknown guide."""
    where = [*selection.where(), S.guide_id == guide_id]
    meta = await _guide(session, selection.scope.app_id, guide_id)
    per_visitor = (
        select(S.visitor_id, func.sum(S.seen).label("seen"), func.max(S.top_step).label("top"),
               func.sum(S.completed).label("completed"), func.sum(S.dismissed).label("dismissed"),
               func.sum(S.snoozed).label("snoozed"), func.sum(S.anchor_missing).label("anchor"))
        .where(*where).group_by(S.visitor_id).subquery()
    )
    v = per_visitor.c
    saw = v.seen > 0
    # Each visitor as (top step, saw, completed, dismissed, snoozed, anchor missing), then counted by kind:
    # a few rows whatever the number of visitors (grouped by labelled columns, as PostgreSQL wants).
    kinds = select(
        v.top, _flag(v.seen).label("saw"),
        *(case((and_(saw, c > 0), 1), else_=0).label(n) for c, n in
          ((v.completed, "completed"), (v.dismissed, "dismissed"), (v.snoozed, "snoozed"))),
        _flag(v.anchor).label("anchored"), v.seen, v.anchor,
    ).subquery()
    k = kinds.c
    keys = (k.top, k.saw, k.completed, k.dismissed, k.snoozed, k.anchored)
    groups: Sequence[Any] = (await session.execute(
        select(*keys, func.count(), func.sum(k.seen), func.sum(k.anchor)).group_by(*keys)
    )).all()
    if meta is None and not groups:
        raise NoGuideFigures(f"no guide {guide_id!r} in this app")
    name, kind, titles = meta or (guide_id, "", [])
    totals = dict.fromkeys(("views", "visitors", "completed", "dismissed", "snoozed", "anchor", "anchor_v"), 0)
    tops: dict[int, int] = {}
    for top, seen, completed, dismissed, snoozed, anchored, n, views, anchor in groups:
        totals["views"] += int(views or 0)
        totals["anchor"] += int(anchor or 0)
        totals["anchor_v"] += n * anchored
        if seen:
            totals["visitors"] += n
            totals["completed"] += n * completed
            totals["dismissed"] += n * dismissed
            totals["snoozed"] += n * snoozed
        if top is not None and top >= 0:
            tops[int(top)] = tops.get(int(top), 0) + n
    distinct = [func.count(func.distinct(case((c > 0, S.visitor_id)))) for c in
                (S.seen, S.completed, S.dismissed, S.snoozed)]
    days: dict[date, GuideDay] = {}
    for row in (await session.execute(
        select(S.day, func.sum(S.seen), func.sum(S.anchor_missing), *distinct).where(*where).group_by(S.day)
    )).all():
        day, views, anchor, visitors, completed, dismissed, snoozed = tuple(row)
        days[day] = GuideDay(day=day, views=int(views or 0), visitors=visitors, completed=completed,
                             dismissed=dismissed, snoozed=snoozed, anchor_missing=int(anchor or 0))
    timed = [(int(n), int(ms)) for n, ms in (await session.execute(
        select(S.timed, S.timed_ms).where(*where, S.timed > 0))).all()]
    visitors = totals["visitors"]
    return GuideReport(
        guide=guide_id, name=name, kind=kind, start=selection.start, end=selection.end, segment=selection.segment,
        views=totals["views"], visitors=visitors, completed=totals["completed"], dismissed=totals["dismissed"],
        snoozed=totals["snoozed"], anchor_missing=totals["anchor"], anchor_missing_visitors=totals["anchor_v"],
        timed=sum(n for n, _ in timed), steps=step_reach(tops, titles),
        days=every_day(selection.start, selection.end, days),
        completion_rate=rate(totals["completed"], visitors), dismiss_rate=rate(totals["dismissed"], visitors),
        snooze_rate=rate(totals["snoozed"], visitors), median_ms=median_of_runs(timed),
    )
