"""Funnels: ordered steps, a conversion window, exclusion steps, visitors or tenants, and two ranges side by
side (the rules of a conversion are in :mod:`waymark.behaviour.funnel_math`).

A step may complete after the range's last day, within the window of a first step taken in the range; a
tenant's events are the union of its visitors' in time order (a tenant converts when any of its visitors'
events, together, make the chain); events without a tenant count for no tenant.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.analytics.segments import SegmentMembers, segment_members
from waymark.behaviour.collector import collector_paused
from waymark.behaviour.funnel_math import Attempt, count_funnel, deepest_chain, nearest_rank
from waymark.behaviour.refs import Ref, RefError, Unit, parse_refs, parse_unit
from waymark.behaviour.step_source import StepKeys, range_bounds, read_step_keys, second_of
from waymark.db.models import DailyUsage, Tenant, Visitor
from waymark.db.scope import Scope

__all__ = [
    "DEFAULT_WINDOW_DAYS",
    "MAX_EXCLUSIONS",
    "MAX_STEPS",
    "MAX_WINDOW_DAYS",
    "FunnelGroup",
    "FunnelQuery",
    "FunnelRange",
    "FunnelReport",
    "FunnelStep",
    "breakdown_values",
    "funnel_attempts",
    "funnel_query",
    "funnel_report",
    "funnel_steps",
    "group_figures",
    "step_figures",
]

MIN_STEPS, MAX_STEPS = 2, 10
MAX_EXCLUSIONS = 5
DEFAULT_WINDOW_DAYS = 7
MAX_WINDOW_DAYS = 90
MAX_DAYS = 366
MAX_GROUPS = 20
NONE, OTHER = "(none)", "(other)"
_BREAKDOWN = re.compile(r"(visitor|tenant)\.[A-Za-z_][A-Za-z0-9_]{0,63}|browser|language")
_IN_CHUNK = 500
"""The longest comparison range, as long as a report's range may be."""


class FunnelStep(msgspec.Struct, frozen=True):
    ref: str
    entered: int
    """Actors who converted at the step before (step 1: those who did it)."""
    converted: int
    """Actors who did this step after the previous ones, in order and within the window."""
    step_conversion: float | None
    """``converted / entered``."""
    conversion: float | None
    """``converted`` over the first step's: the overall conversion."""
    median_seconds: int | None
    """From the previous step, over those who converted (nearest rank); None for step 1."""
    p90_seconds: int | None


class FunnelRange(msgspec.Struct, frozen=True):
    start: date
    end: date
    steps: list[FunnelStep]


class FunnelGroup(msgspec.Struct, frozen=True):
    value: str
    """The breakdown property's value (``(none)``: not set; ``(other)``: every value past the first 20)."""
    steps: list[FunnelStep]


class FunnelReport(msgspec.Struct, frozen=True):
    steps: list[FunnelStep]
    start: date
    end: date
    count: Unit
    window_days: int
    exclude: list[str]
    tenant: str | None = None
    segment: str | None = None
    compare: FunnelRange | None = None
    """The same funnel over the comparison range, when one was asked for."""
    breakdown: str | None = None
    groups: list[FunnelGroup] | None = None
    """With a breakdown: the funnel per value, the values whose first step had the most actors first."""


@dataclass(frozen=True, slots=True)
class FunnelQuery:
    steps: tuple[Ref, ...]
    exclude: tuple[Ref, ...]
    window_days: int
    unit: Unit
    compare: tuple[date, date] | None
    breakdown: str | None = None
    """``visitor.<field>``, ``tenant.<field>``, ``browser`` or ``language``."""


def _window(text: str | None) -> int:
    raw = (text or "").strip()
    if not raw:
        return DEFAULT_WINDOW_DAYS
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_WINDOW_DAYS:
        raise RefError(f"window_days={raw[:20]!r} is out of bounds: a whole number of days from 1 to "
                       f"{MAX_WINDOW_DAYS}")
    return int(raw)


def _compare(start: str | None, end: str | None) -> tuple[date, date] | None:
    first, last = (start or "").strip(), (end or "").strip()
    if not first and not last:
        return None
    if not first or not last:
        raise RefError("compare_from and compare_to go together: give both dates, or neither")
    try:
        days = date.fromisoformat(first), date.fromisoformat(last)
    except ValueError as exc:
        raise RefError(f"compare_from={first[:20]!r} or compare_to={last[:20]!r} is not a date: write YYYY-MM-DD"
                       ) from exc
    if days[0] > days[1]:
        raise RefError(f"compare_from ({days[0]}) is after compare_to ({days[1]})")
    if (days[1] - days[0]).days + 1 > MAX_DAYS:
        raise RefError(f"the comparison range covers {(days[1] - days[0]).days + 1} days; at most {MAX_DAYS}")
    return days


def funnel_query(params: Mapping[str, str]) -> FunnelQuery:
    """Read ``steps``, ``exclude``, ``window_days``, ``count``, ``compare_from`` and ``compare_to``; raises
    RefError (a 400) naming what is wrong."""
    text = params.get("steps")
    if not (text or "").strip():
        raise RefError(f"steps: give {MIN_STEPS} to {MAX_STEPS} steps, comma-separated "
                       "(for example steps=event:Signup,page:billing)")
    steps = parse_refs(text or "", at_least=MIN_STEPS, at_most=MAX_STEPS, what="steps")
    exclude = parse_refs(params.get("exclude") or "", at_least=0, at_most=MAX_EXCLUSIONS, what="exclude") \
        if (params.get("exclude") or "").strip() else ()
    unit = parse_unit(params.get("count"))
    return FunnelQuery(steps, exclude, _window(params.get("window_days")), unit,
                       _compare(params.get("compare_from"), params.get("compare_to")),
                       _breakdown(params.get("breakdown"), unit))


def _breakdown(text: str | None, unit: Unit) -> str | None:
    raw = (text or "").strip()
    if not raw:
        return None
    if not _BREAKDOWN.fullmatch(raw):
        raise RefError(f"breakdown={raw[:40]!r} is not offered: visitor.<field>, tenant.<field>, browser or language")
    if unit == "tenants" and not raw.startswith("tenant."):
        raise RefError(f"breakdown={raw!r}: counting tenants, break down by a tenant.<field> only")
    return raw


def funnel_steps(query: FunnelQuery, found: StepKeys, start: date, end: date,
                 members: SegmentMembers | None) -> list[FunnelStep]:
    """The funnel over the step keys read for ``[start, end]`` (and the window after it)."""
    return step_figures(query, funnel_attempts(query, found, start, end, members)[0].values())


def funnel_attempts(query: FunnelQuery, found: StepKeys, start: date, end: date,
                    members: SegmentMembers | None) -> tuple[dict[str, Attempt], dict[str, str | None]]:
    """Each actor's attempt, and each actor's tenant (a visitor's latest; a tenant's own id), for every actor
    that did the first step in the range.

    An event that matched several steps has one key in each step's list: its matches count together, as one
    event's (a chain's events have increasing keys).
    """
    n = len(query.steps)
    by_visitor = query.unit == "visitors"
    ids = members.ids if members is not None else None
    of_tenant = members is not None and members.subject == "tenant"
    actors: dict[str, dict[int, list[int]]] = {}
    latest: dict[str, tuple[int, str | None]] = {}
    for (visitor, tenant), by_step in found.groups.items():
        if ids is not None and (tenant if of_tenant else visitor) not in ids:
            continue
        actor = visitor if by_visitor else tenant
        if not actor:
            continue
        last = max(max(keys) for keys in by_step.values())
        if last > latest.get(actor, (-1, None))[0]:
            latest[actor] = (last, tenant)
        mine = actors.setdefault(actor, {})
        for step, keys in by_step.items():
            mine.setdefault(step, []).extend(keys)
    starts_before = found.key(second_of(range_bounds(start, end)[1]), 0)  # only an event in the range starts
    window = query.window_days * 86_400
    attempts: dict[str, Attempt] = {}
    tenant_of: dict[str, str | None] = {}
    for actor, by_step in actors.items():
        first = sorted(by_step.get(0, ()))
        first = first[:bisect_left(first, starts_before)]
        if not first:
            continue
        positions = [first, *(sorted(by_step.get(step, ())) for step in range(1, n))]
        excluded = [keys for step, keys in by_step.items() if step >= n]
        exclusions = sorted(excluded[0] if len(excluded) == 1 else {k for keys in excluded for k in keys})
        attempts[actor] = deepest_chain(found.second, positions, exclusions, window)
        tenant_of[actor] = latest[actor][1]
    return attempts, tenant_of


def step_figures(query: FunnelQuery, attempts: Iterable[Attempt]) -> list[FunnelStep]:
    """Entered, converted, conversions and times per step, from the actors' attempts."""
    counts = count_funnel(attempts, len(query.steps))
    first = counts.reached[0]
    out: list[FunnelStep] = []
    for index, ref in enumerate(query.steps):
        converted = counts.reached[index]
        entered = counts.reached[index - 1] if index else converted
        durations = counts.durations[index]
        out.append(FunnelStep(
            ref.text(), entered, converted,
            round(converted / entered, 4) if entered else None,
            round(converted / first, 4) if first else None,
            nearest_rank(durations, 0.5) if index else None,
            nearest_rank(durations, 0.9) if index else None,
        ))
    return out


def group_figures(query: FunnelQuery, attempts: Mapping[str, Attempt], values: Mapping[str, str]
                  ) -> list[FunnelGroup]:
    """The funnel per breakdown value: the :data:`MAX_GROUPS` values with the most actors at step 1, then the rest
    together as ``(other)``."""
    by_value: dict[str, list[Attempt]] = defaultdict(list)
    for actor, attempt in attempts.items():
        if attempt.seconds:
            by_value[values.get(actor, NONE)].append(attempt)
    ranked = sorted(by_value.items(), key=lambda item: (-len(item[1]), item[0]))
    groups = [FunnelGroup(value, step_figures(query, found)) for value, found in ranked[:MAX_GROUPS]]
    rest = [a for _, found in ranked[MAX_GROUPS:] for a in found]
    if rest:
        groups.append(FunnelGroup(OTHER, step_figures(query, rest)))
    return groups


def _text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)[:200]
    return None


async def breakdown_values(session: AsyncSession, breakdown: str, actors: Mapping[str, str | None], start: date,
                           end: date) -> dict[str, str]:
    """Each actor's value of the breakdown property (an actor without one is left out: ``(none)``).

    ``actors`` maps each actor to its tenant. Browser and language are the visitor's most frequent in the range.
    """
    out: dict[str, str] = {}
    if breakdown.startswith(("visitor.", "tenant.")):
        subject, field = breakdown.split(".", 1)
        model: Any = Visitor if subject == "visitor" else Tenant
        ids = sorted(set(actors) if subject == "visitor" else {t for t in actors.values() if t})
        meta: dict[str, str] = {}
        for at in range(0, len(ids), _IN_CHUNK):
            found = await session.execute(select(model.id, model.meta).where(model.id.in_(ids[at:at + _IN_CHUNK])))
            for key, data in found.tuples():
                value = _text(data.get(field)) if isinstance(data, dict) else None
                if value is not None:
                    meta[key] = value
        for actor, tenant in actors.items():
            value = meta.get(actor if subject == "visitor" else (tenant or ""))
            if value is not None:
                out[actor] = value
        return out
    visitors = sorted(actors)
    best: dict[str, tuple[int, str]] = {}
    for at in range(0, len(visitors), _IN_CHUNK):
        found = await session.execute(
            select(DailyUsage.visitor_id, DailyUsage.key, func.sum(DailyUsage.count))
            .where(DailyUsage.kind == breakdown, DailyUsage.day >= start, DailyUsage.day <= end,
                   DailyUsage.visitor_id.in_(visitors[at:at + _IN_CHUNK]))
            .group_by(DailyUsage.visitor_id, DailyUsage.key))
        for visitor, key, count in found.tuples():
            if (int(count or 0), key) > best.get(visitor, (0, "")):
                best[visitor] = (int(count or 0), key)
    return {visitor: key for visitor, (_, key) in best.items()}


async def _one_range(session: AsyncSession, scope: Scope, query: FunnelQuery, start: date, end: date,
                     members: SegmentMembers | None) -> tuple[list[FunnelStep], list[FunnelGroup] | None]:
    since, until = range_bounds(start, end, timedelta(days=query.window_days))
    tenants = (query.unit == "tenants" or (members is not None and members.subject == "tenant")
               or (query.breakdown or "").startswith("tenant."))  # otherwise the tenant is never looked at
    visitors = query.unit == "visitors" or (members is not None and members.subject == "visitor")
    with collector_paused():  # a list of keys per actor and step: see waymark.behaviour.collector
        found = await read_step_keys(session, scope.app_id, (*query.steps, *query.exclude), since, until,
                                     visitors=visitors, tenants=tenants)
        attempts, tenant_of = funnel_attempts(query, found, start, end, members)
    groups = None
    if query.breakdown is not None:
        values = await breakdown_values(session, query.breakdown, tenant_of, start, end)
        groups = group_figures(query, attempts, values)
    return step_figures(query, attempts.values()), groups


async def funnel_report(session: AsyncSession, scope: Scope, query: FunnelQuery, start: date, end: date,
                        segment: str | None) -> FunnelReport:
    """The funnel for ``scope`` (an app, or one of its tenants) over ``[start, end]``, and the comparison range."""
    members = await segment_members(session, scope, segment) if segment else None
    steps, groups = await _one_range(session, scope, query, start, end, members)
    compare = None
    if query.compare is not None:
        first, last = query.compare
        compare = FunnelRange(first, last, (await _one_range(session, scope, query, first, last, members))[0])
    return FunnelReport(steps, start, end, query.unit, query.window_days, [r.text() for r in query.exclude],
                        scope.tenant_id, segment, compare, query.breakdown, groups)
