"""Trends (insights): one or more event references counted per day, week or month, with a breakdown and a formula.

Each reference is a series named by a letter (A for the first, B …). ``measure=total`` sums how many times
it was done; ``measure=unique`` counts the distinct visitors or tenants that did it in each period (a tenant
did it when any of its visitors did). The rows come from the daily roll-up wherever it holds the reference,
else from the stored events over the range (see :mod:`waymark.behaviour.ref_rows`); without a breakdown or a
segment the database counts roll-up series itself (:mod:`waymark.behaviour.rollup_figures`). A formula over the
letters (``A / B``) is evaluated per period, and per group when there is a breakdown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.analytics.segments import SegmentError
from waymark.behaviour.audience import audience, keep_rows
from waymark.behaviour.breakdown import Breakdown, BreakdownError, grouping, parse_breakdown
from waymark.behaviour.formula import Formula, FormulaError, parse_formula
from waymark.behaviour.periods import Interval, periods
from waymark.behaviour.ref_rows import reads_rollup, ref_rows
from waymark.behaviour.refs import Ref, RefError, Unit, parse_refs
from waymark.behaviour.rollup_figures import rollup_figures
from waymark.behaviour.trends_math import OTHER, Measure, Row, count_series, rank_groups
from waymark.db.scope import Scope

__all__ = [
    "MAX_SERIES",
    "QUERY_ERRORS",
    "FormulaSeries",
    "TrendPeriod",
    "TrendSeries",
    "TrendsQuery",
    "TrendsReport",
    "trends_query",
    "trends_report",
]

MAX_SERIES = 8
LETTERS = "ABCDEFGH"
QUERY_ERRORS = (RefError, FormulaError, BreakdownError, SegmentError)
"""What bad input to a trend raises (each message names the parameter and the fix): answer 400."""


class TrendPeriod(msgspec.Struct, frozen=True):
    start: date
    """The period's first day in the range (a week starts on Monday, a month on the 1st, unless the range
    starts later)."""
    end: date
    """Its last day in the range, included."""


class TrendSeries(msgspec.Struct, frozen=True):
    letter: str
    ref: str
    source: Literal["daily_usage", "events"]
    """Where its rows were read: the daily roll-up, or the stored events (property filters, guide actions)."""
    group: str | None
    """The breakdown's value (``(none)``, ``(other)``), or null without a breakdown."""
    values: list[int]
    """One figure per period."""
    total: int
    """The figure over the whole range (unique: the distinct units of the range, not a sum of periods)."""


class FormulaSeries(msgspec.Struct, frozen=True):
    group: str | None
    values: list[float | None]
    """Null where a letter's value is missing or a division is by zero."""


class TrendsReport(msgspec.Struct, frozen=True):
    start: date
    end: date
    tenant: str | None
    segment: str | None
    interval: Interval
    measure: Measure
    count: Unit
    breakdown: str | None
    formula: str | None
    periods: list[TrendPeriod]
    series: list[TrendSeries]
    formula_series: list[FormulaSeries]


@dataclass(frozen=True, slots=True)
class TrendsQuery:
    refs: tuple[Ref, ...]
    measure: Measure = "total"
    unit: Unit = "visitors"
    interval: Interval = "day"
    breakdown: Breakdown | None = None
    formula: Formula | None = None


def trends_query(events: str, measure: Measure, count: Unit, interval: Interval, breakdown: str | None,
                 formula: str | None) -> TrendsQuery:
    """The query parameters read strictly; raises one of :data:`QUERY_ERRORS`."""
    refs = parse_refs(events, at_least=1, at_most=MAX_SERIES, what="events")
    parsed = parse_formula(formula, LETTERS[:len(refs)]) if formula and formula.strip() else None
    return TrendsQuery(refs, measure, count, interval, parse_breakdown(breakdown), parsed)


def _top_only(raw: Callable[[Row], str], kept: frozenset[str]) -> Callable[[Row], str]:
    return lambda row: group if (group := raw(row)) in kept else OTHER


async def trends_report(session: AsyncSession, scope: Scope, query: TrendsQuery, start: date, end: date,
                        segment: str | None = None) -> TrendsReport:
    """The trend of ``query`` from ``start`` to ``end`` (UTC days, included) under ``scope`` and ``segment``."""
    who = await audience(session, scope, segment)
    spans = periods(start, end, query.interval)
    in_sql = [query.breakdown is None and who is None and reads_rollup(ref) for ref in query.refs]
    per_ref = [[] if counted_by_db else keep_rows(await ref_rows(session, scope.app_id, ref, start, end), who)
               for ref, counted_by_db in zip(query.refs, in_sql, strict=True)]
    groups: list[str] = [""]
    group_of: Callable[[Row], str] | None = None
    if query.breakdown is not None:
        raw = await grouping(session, scope.app_id, query.breakdown, start, end)
        groups = rank_groups(per_ref, raw, query.measure, query.unit)
        group_of = _top_only(raw, frozenset(groups))
    counted: list[dict[str, tuple[list[int], int]]] = []
    for ref, rows, counted_by_db in zip(query.refs, per_ref, in_sql, strict=True):
        if counted_by_db:
            counted.append({"": await rollup_figures(session, scope.app_id, ref, spans, query.interval, query.measure,
                                                     query.unit)})
        else:
            counted.append(count_series(rows, spans, query.measure, query.unit, group_of))
    if query.breakdown is not None and any(OTHER in c for c in counted):
        groups = [*groups, OTHER]
    zeros = ([0] * len(spans), 0)
    series: list[TrendSeries] = []
    formulas: list[FormulaSeries] = []
    for group in groups:
        row_group = group if query.breakdown is not None else None
        lines = [counted[i].get(group, zeros) for i in range(len(query.refs))]
        series += [TrendSeries(LETTERS[i], ref.text(), "daily_usage" if reads_rollup(ref) else "events", row_group,
                               list(values), total)
                   for i, (ref, (values, total)) in enumerate(zip(query.refs, lines, strict=True))]
        if query.formula is not None:
            formula = query.formula
            formulas.append(FormulaSeries(row_group, [
                formula.evaluate({LETTERS[i]: float(lines[i][0][at]) for i in range(len(lines))})
                for at in range(len(spans))]))
    return TrendsReport(
        start=start, end=end, tenant=scope.tenant_id, segment=segment, interval=query.interval,
        measure=query.measure, count=query.unit, breakdown=query.breakdown.text() if query.breakdown else None,
        formula=query.formula.text if query.formula else None,
        periods=[TrendPeriod(p.start, p.end) for p in spans], series=series, formula_series=formulas)
