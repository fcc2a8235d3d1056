"""The figure an alert rule watches, for one period: read from the daily roll-up, the survey answers, the
policy report or the funnel report (never by scanning events)."""

from __future__ import annotations

from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.alerts.rules import Period, funnel_target
from waymark.behaviour.funnels import funnel_report
from waymark.behaviour.refs import parse_ref
from waymark.db.models import DailyUsage
from waymark.db.scope import Scope
from waymark.policies.report import policy_tallies
from waymark.surveys.arithmetic import nps_figures
from waymark.surveys.reports import ReportScope, answers

__all__ = ["metric_value"]

_ROLLUP_KIND = {"page": "page", "feature": "feature", "event": "event", "guide": "guide"}
"""A reference's kind → the daily roll-up's kind (a guide's row counts it seen)."""


async def _active_visitors(session: AsyncSession, app_id: str, period: Period) -> float:
    found = await session.scalar(select(func.count(distinct(DailyUsage.visitor_id))).where(
        DailyUsage.app_id == app_id, DailyUsage.day >= period.start, DailyUsage.day <= period.end,
        DailyUsage.kind == "active", DailyUsage.key == ""))
    return float(found or 0)


async def _event_count(session: AsyncSession, app_id: str, target: str, period: Period) -> float:
    ref = parse_ref(target)
    found = await session.scalar(select(func.coalesce(func.sum(DailyUsage.count), 0)).where(
        DailyUsage.app_id == app_id, DailyUsage.day >= period.start, DailyUsage.day <= period.end,
        DailyUsage.kind == _ROLLUP_KIND[ref.kind], DailyUsage.key == ref.key))
    return float(found or 0)


async def _nps(session: AsyncSession, app_id: str, guide: str, period: Period) -> float | None:
    """The NPS of the period's answers, each visitor's latest once (as the NPS report counts); None without any."""
    rows = await answers(session, app_id, "nps", ReportScope(guide=guide, tenant=None, start=period.start,
                                                             end=period.end))
    latest = {r.visitor_id: r.score for r in rows}
    return nps_figures(s for s in latest.values() if s is not None).score


async def _policy_coverage(session: AsyncSession, app_id: str, policy: str, period: Period) -> float | None:
    """The share (0–100) of visitors active since the policy's latest version was published who have accepted it,
    at the end of the period, over every tenant; None when nobody was active."""
    tallies = await policy_tallies(session, app_id, policy, None, period.end, start=period.end)
    if not tallies:
        return None
    latest = max(t.version.version for t in tallies)
    active = accepted = 0
    for t in tallies:
        if t.version.version == latest and t.coverage:
            active += t.coverage[-1].active
            accepted += t.coverage[-1].accepted
    return round(accepted / active * 100, 4) if active else None


async def _funnel_conversion(session: AsyncSession, app_id: str, target: str, period: Period) -> float | None:
    """The funnel's overall conversion (0–100) of those who took its first step in the period; None without any."""
    report = await funnel_report(session, Scope(app_id), funnel_target(target)[0], period.start, period.end, None)
    overall = report.steps[-1].conversion
    return None if overall is None else round(overall * 100, 2)


async def metric_value(session: AsyncSession, app_id: str, metric: str, target: str, period: Period
                       ) -> float | None:
    """The rule's figure over ``period`` (inclusive days); None when there is nothing to judge."""
    if metric == "active_visitors":
        return await _active_visitors(session, app_id, period)
    if metric == "event_count":
        return await _event_count(session, app_id, target, period)
    if metric == "nps":
        return await _nps(session, app_id, target, period)
    if metric == "policy_coverage":
        return await _policy_coverage(session, app_id, target, period)
    if metric == "funnel_conversion":
        return await _funnel_conversion(session, app_id, target, period)
    raise ValueError(f"unknown metric {metric!r}")
