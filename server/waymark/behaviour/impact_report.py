"""The impact report: its options from query parameters, its answer (a msgspec Struct), and the reads behind it.

Adopters are the units that did the adoption reference in the date range, on the first day they did it there;
non-adopters are the units active in the range that never did. The metric is read over ±N days around the
range. Not a controlled experiment: a guide's holdout lift report is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.analytics.segments import SegmentMembers
from waymark.behaviour.daily_facts import Who, adopter_sums, adoption_days, non_adopter_sums, require_day_level
from waymark.behaviour.day_range import DayRange
from waymark.behaviour.impact import GroupRates, compute_impact, lower_median
from waymark.behaviour.options import OptionError, whole_number
from waymark.behaviour.refs import Ref, Unit, parse_ref, parse_unit
from waymark.db.scope import Scope

__all__ = ["CAUTION", "ImpactDay", "ImpactGroup", "ImpactOptions", "ImpactReport", "impact_csv_rows",
           "impact_report", "parse_impact_options"]

CAUTION = ("Not a controlled experiment: adopters chose to adopt and may differ from non-adopters in other ways. "
           "For a guide's causal effect, use its holdout lift report (GET /api/v1/guides/{guide_id}/lift).")
MAX_DAYS = 90
_ADOPTION_GUIDE_ACTIONS = ("seen", "completed")


@dataclass(frozen=True, slots=True)
class ImpactOptions:
    adoption: Ref
    metric: Ref | None
    """None: any activity (every event counts)."""
    metric_text: str
    days: int
    unit: Unit


def parse_impact_options(params: Mapping[str, str | None]) -> ImpactOptions:
    """``adoption`` (feature:ID, guide:ID:seen or guide:ID:completed), ``metric`` (any or a reference),
    ``days``, ``count``; raises RefError (OptionError) naming the parameter."""
    raw = (params.get("adoption") or "").strip()
    if not raw:
        raise OptionError("adoption is required: write feature:ID, guide:ID:seen or guide:ID:completed")
    adoption = parse_ref(raw)
    if adoption.kind not in ("feature", "guide") or (
            adoption.kind == "guide" and adoption.action not in _ADOPTION_GUIDE_ACTIONS):
        raise OptionError(f"adoption={raw[:80]!r}: adoption is of a feature or a guide launch; write feature:ID, "
                          "guide:ID:seen or guide:ID:completed")
    metric_text = (params.get("metric") or "").strip() or "any"
    metric = None if metric_text == "any" else require_day_level(parse_ref(metric_text), "metric")
    days = whole_number(params, "days", 14, 1, MAX_DAYS)
    return ImpactOptions(adoption, metric, "any" if metric is None else metric.text(), days,
                         parse_unit(params.get("count")))


class ImpactGroup(msgspec.Struct, kw_only=True):
    units: int
    before: float | None
    """The metric per unit per day over days -N..-1 (days not yet come left out); null when none."""
    after: float | None
    """The same over days 1..N."""
    change: float | None
    """after − before."""


class ImpactDay(msgspec.Struct, kw_only=True):
    day: int
    """Relative to adoption (0); for non-adopters, to the median adoption day."""
    adopters: float | None
    non_adopters: float | None


class ImpactReport(msgspec.Struct, kw_only=True):
    adoption: str
    metric: str
    days: int
    count: Unit
    start: date
    end: date
    tenant: str | None
    segment: str | None
    adopters: ImpactGroup
    non_adopters: ImpactGroup
    difference_in_differences: float | None
    """The adopters' change minus the non-adopters' change."""
    median_adoption_day: date | None
    """The non-adopters' day 0."""
    by_day: list[ImpactDay]
    caution: str


def _group(rates: GroupRates) -> ImpactGroup:
    return ImpactGroup(units=rates.units, before=rates.before, after=rates.after, change=rates.change)


async def impact_report(session: AsyncSession, scope: Scope, filters: DayRange, options: ImpactOptions,
                        members: SegmentMembers | None, today: date) -> ImpactReport:
    who = Who(options.unit, members)
    app_id, days = scope.app_id, options.days
    adopted = await adoption_days(session, app_id, who, options.adoption, filters.start, filters.end)
    anchor = lower_median(adopted.values())
    around = await adopter_sums(session, app_id, who, options.adoption, options.metric, filters.start, filters.end,
                                days, today, adopted)
    non_count, non_around = await non_adopter_sums(
        session, app_id, who, options.adoption, options.metric, filters.start, filters.end,
        None if anchor is None else date.fromordinal(anchor), days, today)
    result = compute_impact(adopted, around, non_count, non_around, days, today.toordinal())
    return ImpactReport(
        adoption=options.adoption.text(), metric=options.metric_text, days=days, count=options.unit,
        start=filters.start, end=filters.end, tenant=scope.tenant_id, segment=filters.segment,
        adopters=_group(result.adopters), non_adopters=_group(result.non_adopters),
        difference_in_differences=result.difference_in_differences,
        median_adoption_day=None if result.anchor_day is None else date.fromordinal(result.anchor_day),
        by_day=[ImpactDay(day=d, adopters=a, non_adopters=n) for d, a, n in zip(
            result.relative_days, result.adopters_by_day, result.non_adopters_by_day, strict=True)],
        caution=CAUTION)


def impact_csv_rows(report: ImpactReport) -> list[list[object]]:
    rows: list[list[object]] = [["section", "key", "adopters", "non_adopters"]]
    rows += [["units", "", report.adopters.units, report.non_adopters.units]]
    for name in ("before", "after", "change"):
        rows.append(["rate", name, getattr(report.adopters, name), getattr(report.non_adopters, name)])
    rows.append(["difference_in_differences", "", report.difference_in_differences, None])
    rows += [["relative_day", d.day, d.adopters, d.non_adopters] for d in report.by_day]
    return rows
