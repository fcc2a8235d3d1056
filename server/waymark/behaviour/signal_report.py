"""The signal report: its options from query parameters, its answer (a msgspec Struct), and the reads behind it.

The population is every visitor (or tenant) first seen in the date range whose goal period has fully ended
before today; those first seen too recently to know are counted apart (``left_out_too_recent``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.analytics.segments import SegmentMembers
from waymark.behaviour.daily_facts import Who, first_days, goal_offsets, require_day_level, window_items
from waymark.behaviour.day_range import DayRange
from waymark.behaviour.options import OptionError, whole_number
from waymark.behaviour.refs import Ref, Unit, parse_ref, parse_unit
from waymark.behaviour.signal import SignalSettings, compute_signal
from waymark.db.scope import Scope

__all__ = ["ACTIVE_WEEK_4", "CAUTION", "SignalItem", "SignalOptions", "SignalReport", "parse_signal_options",
           "signal_csv_rows", "signal_report"]

ACTIVE_WEEK_4 = "active_week_4"
"""The default goal: any activity on days 21–27 after first seen (the fourth week)."""
ACTIVE = "active"
"""Any activity on the chosen goal days."""
CAUTION = "Correlation, not cause: visitors who do these things may differ in other ways from those who do not."
MAX_WINDOW_DAYS = 90
MAX_GOAL_DAY = 365
MAX_SUPPORT = 1_000_000


@dataclass(frozen=True, slots=True)
class SignalOptions:
    goal: Ref | None
    """None: any activity."""
    goal_text: str
    unit: Unit
    settings: SignalSettings


def parse_signal_options(params: Mapping[str, str | None]) -> SignalOptions:
    """``goal`` (active_week_4, active or a reference), ``goal_from_day``, ``goal_to_day``, ``window_days``,
    ``min_support``, ``count``; raises RefError (OptionError) naming the parameter."""
    goal_text = (params.get("goal") or "").strip() or ACTIVE_WEEK_4
    unit = parse_unit(params.get("count"))
    window = whole_number(params, "window_days", 7, 1, MAX_WINDOW_DAYS)
    fixed = goal_text == ACTIVE_WEEK_4
    if fixed and any((params.get(n) or "").strip() for n in ("goal_from_day", "goal_to_day")):
        raise OptionError("goal=active_week_4 is days 21 to 27; to choose the days, write goal=active (or a "
                          "reference) with goal_from_day and goal_to_day")
    goal_from = whole_number(params, "goal_from_day", 21, 0, MAX_GOAL_DAY)
    goal_to = whole_number(params, "goal_to_day", 27, 0, MAX_GOAL_DAY)
    if goal_from > goal_to:
        raise OptionError(f"goal_from_day ({goal_from}) is after goal_to_day ({goal_to})")
    if goal_from < window:
        raise OptionError(f"the goal must start after the window: goal_from_day ({goal_from}) must be at least "
                          f"window_days ({window}), or doing anything in the window would count as the goal")
    support = whole_number(params, "min_support", 5, 1, MAX_SUPPORT)
    goal = None if goal_text in (ACTIVE_WEEK_4, ACTIVE) else require_day_level(parse_ref(goal_text), "goal")
    label = goal_text if goal is None else goal.text()
    return SignalOptions(goal, label, unit, SignalSettings(window, goal_from, goal_to, support))


class SignalItem(msgspec.Struct, kw_only=True):
    item: str
    """``page:ID``, ``feature:ID``, ``event:NAME`` or ``guide:ID:seen``."""
    did_reached: int
    did_not_reached: int
    not_did_reached: int
    not_did_not_reached: int
    doers: int
    share: float
    """Of the population, the share that did it in its window."""
    phi: float | None
    """The phi coefficient between doing it and reaching the goal; null when a margin of the table is zero."""


class SignalReport(msgspec.Struct, kw_only=True):
    goal: str
    goal_from_day: int
    goal_to_day: int
    window_days: int
    min_support: int
    count: Unit
    start: date
    end: date
    tenant: str | None
    segment: str | None
    population: int
    """Units first seen in the range whose goal period has ended."""
    reached: int
    reached_share: float | None
    left_out_too_recent: int
    """Units first seen in the range whose goal period has not ended yet: not counted."""
    caution: str
    items: list[SignalItem]


async def signal_report(session: AsyncSession, scope: Scope, filters: DayRange, options: SignalOptions,
                        members: SegmentMembers | None, today: date) -> SignalReport:
    settings = options.settings
    who = Who(options.unit, members)
    # The last first day whose goal period has fully ended before today.
    last_complete = today - timedelta(days=settings.goal_to_day + 1)
    everyone = await first_days(session, scope.app_id, who, filters.start, filters.end)
    population = {unit: day for unit, day in everyone.items() if day <= last_complete.toordinal()}
    result = None
    items: list[SignalItem] = []
    reached = 0
    if population:
        new_to = min(filters.end, last_complete)
        done = await window_items(session, scope.app_id, who, filters.start, new_to, settings.window_days)
        goal = await goal_offsets(session, scope.app_id, who, options.goal, filters.start, new_to,
                                  settings.goal_from_day, settings.goal_to_day)
        result = compute_signal(population.keys(), done, goal, settings)
        reached = result.reached
        items = [SignalItem(item=r.item, did_reached=r.did_reached, did_not_reached=r.did_not_reached,
                            not_did_reached=r.not_did_reached, not_did_not_reached=r.not_did_not_reached,
                            doers=r.did_reached + r.did_not_reached, share=r.share, phi=r.phi)
                 for r in result.rows]
    return SignalReport(
        goal=options.goal_text, goal_from_day=settings.goal_from_day, goal_to_day=settings.goal_to_day,
        window_days=settings.window_days, min_support=settings.min_support, count=options.unit,
        start=filters.start, end=filters.end, tenant=scope.tenant_id, segment=filters.segment,
        population=len(population), reached=reached,
        reached_share=reached / len(population) if population else None,
        left_out_too_recent=len(everyone) - len(population), caution=CAUTION, items=items)


def signal_csv_rows(report: SignalReport) -> list[list[object]]:
    rows: list[list[object]] = [["item", "did_reached", "did_not_reached", "not_did_reached", "not_did_not_reached",
                                 "doers", "share", "phi"]]
    rows += [[i.item, i.did_reached, i.did_not_reached, i.not_did_reached, i.not_did_not_reached, i.doers,
              i.share, i.phi] for i in report.items]
    return rows
