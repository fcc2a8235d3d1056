"""The guide reports, read from the figures only (never raw events): the guides list and one guide's figures.

The whole app's figures come from each guide-day's sketches (:mod:`waymark.guidestats.sketches`),
a few rows per day whatever the number of visitors: distinct visitors are exact up to 4,096 and
estimated (~1.6 % error) above, the median time exact up to 200 timed visitor-days. A segment's
figures are counted exactly from the per-visitor day rows (a segment names its members).
"""

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
from waymark.guidestats.models import GuideDaySketch as K
from waymark.guidestats.schemas import GuideDay, GuideListRow, GuideReport, GuidesList
from waymark.guidestats.sketches import RangeFigures, read_range

__all__ = ["MEMBERS_A_QUERY", "NoGuideFigures", "Selection", "guide_report", "guides_list"]

MEMBERS_A_QUERY = 10_000
"""Segment members in one IN list: below SQLite's and asyncpg's limits on bound parameters."""


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

    def parts(self) -> list[list[Any]]:
        """The WHERE clauses of each query to run; their results add up (none: the segment is empty).

        A segment's members go in IN lists of at most :data:`MEMBERS_A_QUERY` ids. Visitor
        segments split by visitor, so counts of distinct visitors add up across parts.
        """
        base: list[Any] = [S.app_id == self.scope.app_id, S.day >= self.start, S.day <= self.end]
        if self.scope.tenant_id is not None:
            base.append(S.tenant_id == self.scope.tenant_id)
        column, members = ((S.tenant_id, self.tenants) if self.tenants is not None
                           else (S.visitor_id, self.visitors) if self.visitors is not None else (None, None))
        if column is None or members is None:
            return [base]
        ids = sorted(members)
        return [[*base, column.in_(ids[i:i + MEMBERS_A_QUERY])] for i in range(0, len(ids), MEMBERS_A_QUERY)]

    @property
    def whole_app(self) -> bool:
        """Every visitor of the app: the guide-days' sketches answer it."""
        return self.scope.tenant_id is None and self.tenants is None and self.visitors is None

    def sketch_rows(self) -> list[Any]:
        return [K.app_id == self.scope.app_id, K.day >= self.start, K.day <= self.end]


def _flag(column: Any) -> Any:
    return case((column > 0, 1), else_=0)


async def guides_list(session: AsyncSession, selection: Selection) -> GuidesList:
    """Every guide of the app (published or not, and any id with figures): views, visitors, completion."""
    found: dict[str, tuple[int, int, int]] = {}
    if selection.whole_app:
        by_guide: dict[str, list[tuple[str, int, bytes | None]]] = {}
        for guide_key, figure, count, blob in (await session.execute(
            select(K.guide_id, K.figure, K.count, K.sketch)
            .where(*selection.sketch_rows(), K.figure.in_(("views", "seen", "completed")))
        )).tuples().all():
            by_guide.setdefault(guide_key, []).append((figure, count, blob))
        for guide_key, figures in by_guide.items():
            got = read_range(figures, with_steps=False)
            found[guide_key] = (got.views, got.visitors, got.completed)
    for where in [] if selection.whole_app else selection.parts():
        per_visitor = (
            select(S.guide_id, S.visitor_id, func.sum(S.seen).label("seen"),
                   func.sum(S.completed).label("completed"))
            .where(*where).group_by(S.guide_id, S.visitor_id).subquery()
        )
        saw = per_visitor.c.seen > 0
        totals: Sequence[Any] = (await session.execute(
            select(per_visitor.c.guide_id, func.sum(per_visitor.c.seen), func.sum(_flag(per_visitor.c.seen)),
                   func.sum(case((and_(saw, per_visitor.c.completed > 0), 1), else_=0)))
            .group_by(per_visitor.c.guide_id)
        )).all()
        for guide, views, visitors, completed in totals:
            before = found.get(guide, (0, 0, 0))
            found[guide] = (before[0] + int(views or 0), before[1] + int(visitors or 0),
                            before[2] + int(completed or 0))
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
    return GuidesList(start=selection.start, end=selection.end, segment=selection.segment, guides=rows,
                      estimated=selection.whole_app)


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


async def _kinds(session: AsyncSession, where: list[Any]) -> Sequence[Any]:
    """Visitors counted by (top step, saw, completed, dismissed, snoozed, anchor missing), with views and misses.

    A few rows whatever the number of visitors (grouped by labelled columns, as PostgreSQL wants).
    """
    per_visitor = (
        select(S.visitor_id, func.sum(S.seen).label("seen"), func.max(S.top_step).label("top"),
               func.sum(S.completed).label("completed"), func.sum(S.dismissed).label("dismissed"),
               func.sum(S.snoozed).label("snoozed"), func.sum(S.anchor_missing).label("anchor"))
        .where(*where).group_by(S.visitor_id).subquery()
    )
    v = per_visitor.c
    saw = v.seen > 0
    kinds = select(
        v.top, _flag(v.seen).label("saw"),
        *(case((and_(saw, c > 0), 1), else_=0).label(n) for c, n in
          ((v.completed, "completed"), (v.dismissed, "dismissed"), (v.snoozed, "snoozed"))),
        _flag(v.anchor).label("anchored"), v.seen, v.anchor,
    ).subquery()
    k = kinds.c
    keys = (k.top, k.saw, k.completed, k.dismissed, k.snoozed, k.anchored)
    return (await session.execute(
        select(*keys, func.count(), func.sum(k.seen), func.sum(k.anchor)).group_by(*keys)
    )).all()


_DISTINCT = [func.count(func.distinct(case((c > 0, S.visitor_id)))) for c in
             (S.seen, S.completed, S.dismissed, S.snoozed)]


async def _add_days(session: AsyncSession, where: list[Any], days: dict[date, GuideDay]) -> None:
    """Per day: views, distinct visitors who saw, completed, dismissed, snoozed; missing anchors."""
    for row in (await session.execute(
        select(S.day, func.sum(S.seen), func.sum(S.anchor_missing), *_DISTINCT).where(*where).group_by(S.day)
    )).all():
        day, views, anchor, visitors, completed, dismissed, snoozed = tuple(row)
        known = days.get(day) or GuideDay(day=day, views=0, visitors=0, completed=0, dismissed=0, snoozed=0,
                                          anchor_missing=0)
        days[day] = GuideDay(day=day, views=known.views + int(views or 0), visitors=known.visitors + visitors,
                             completed=known.completed + completed, dismissed=known.dismissed + dismissed,
                             snoozed=known.snoozed + snoozed, anchor_missing=known.anchor_missing + int(anchor or 0))


async def guide_report(session: AsyncSession, selection: Selection, guide_id: str) -> GuideReport:
    """One guide's figures over the selection; raises :class:`NoGuideFigures` for an unknown guide."""
    meta = await _guide(session, selection.scope.app_id, guide_id)
    totals = dict.fromkeys(("views", "visitors", "completed", "dismissed", "snoozed", "anchor", "anchor_v"), 0)
    tops: dict[int, int] = {}
    days: dict[date, GuideDay] = {}
    timed: list[tuple[int, int]] = []
    found = False
    if selection.whole_app:
        found = await _from_sketches(session, selection, guide_id, totals, tops, days, timed)
    for part in [] if selection.whole_app else selection.parts():
        where = [*part, S.guide_id == guide_id]
        for top, seen, completed, dismissed, snoozed, anchored, n, views, anchor in await _kinds(session, where):
            found = True
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
        if meta is None and not found:
            continue
        await _add_days(session, where, days)
        timed += [(int(n), int(ms)) for n, ms in (await session.execute(
            select(S.timed, S.timed_ms).where(*where, S.timed > 0))).all()]
    if meta is None and not found:
        raise NoGuideFigures(f"no guide {guide_id!r} in this app")
    name, kind, titles = meta or (guide_id, "", [])
    visitors = totals["visitors"]
    return GuideReport(
        guide=guide_id, name=name, kind=kind, start=selection.start, end=selection.end, segment=selection.segment,
        views=totals["views"], visitors=visitors, completed=totals["completed"], dismissed=totals["dismissed"],
        snoozed=totals["snoozed"], anchor_missing=totals["anchor"], anchor_missing_visitors=totals["anchor_v"],
        timed=sum(n for n, _ in timed), steps=step_reach(tops, titles),
        days=every_day(selection.start, selection.end, days),
        completion_rate=rate(totals["completed"], visitors), dismiss_rate=rate(totals["dismissed"], visitors),
        snooze_rate=rate(totals["snoozed"], visitors), median_ms=median_of_runs(timed),
        estimated=selection.whole_app,
    )


_DAY_COUNTS = ("views", "seen", "completed", "dismissed", "snoozed", "anchor_events")


async def _from_sketches(session: AsyncSession, selection: Selection, guide_id: str, totals: dict[str, int],
                         tops: dict[int, int], days: dict[date, GuideDay], timed: list[tuple[int, int]]) -> bool:
    """The whole app's figures of one guide from its days' sketches, added to the report's parts; False if none."""
    rows = (await session.execute(
        select(K.day, K.figure, K.count, K.sketch).where(*selection.sketch_rows(), K.guide_id == guide_id)
    )).tuples().all()
    per_day: dict[date, dict[str, int]] = {}
    for day, figure, count, _ in rows:
        if figure in _DAY_COUNTS:
            per_day.setdefault(day, {})[figure] = int(count)
    for day, c in per_day.items():
        days[day] = GuideDay(day=day, views=c.get("views", 0), visitors=c.get("seen", 0),
                             completed=c.get("completed", 0), dismissed=c.get("dismissed", 0),
                             snoozed=c.get("snoozed", 0), anchor_missing=c.get("anchor_events", 0))
    got: RangeFigures = read_range((figure, count, blob) for _, figure, count, blob in rows)
    totals.update(views=got.views, visitors=got.visitors, completed=got.completed, dismissed=got.dismissed,
                  snoozed=got.snoozed, anchor=got.anchor_events, anchor_v=got.anchored)
    tops.update(got.reach)
    timed += got.lengths
    return got.found
