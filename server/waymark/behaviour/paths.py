"""Paths: the top paths of 3 to 5 steps from or to a page, feature or track event, or to a session's exit
(the rules are in :mod:`waymark.behaviour.path_math`).

A step is a page view named by the first of the app's pages its URL matches (by page id), a click by
the first feature it matches, or a track event by its name; page views and clicks no page or feature
names are not steps. Sessions are cut at 30 minutes idle between two steps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.analytics.segments import segment_members
from waymark.behaviour.collector import collector_paused
from waymark.behaviour.path_days import join_days, read_days
from waymark.behaviour.path_math import EXIT, PathCount, top_paths
from waymark.behaviour.refs import RefError, parse_ref
from waymark.behaviour.step_source import range_bounds
from waymark.db.scope import Scope

__all__ = [
    "DEFAULT_LENGTH",
    "DEFAULT_TOP",
    "MAX_TOP",
    "PathRow",
    "PathsQuery",
    "PathsReport",
    "paths_query",
    "paths_report",
]

MIN_LENGTH, MAX_LENGTH, DEFAULT_LENGTH = 3, 5, 4
DEFAULT_TOP, MAX_TOP = 10, 50


class PathRow(msgspec.Struct, frozen=True):
    steps: list[str]
    visitors: int
    """Visitors who took this path at least once in the range."""


class PathsReport(msgspec.Struct, frozen=True):
    paths: list[PathRow]
    start: date
    end: date
    length: int
    top: int
    from_step: str | None
    to_step: str | None
    visitors: int
    """Visitors with at least one step in the range."""
    tenant: str | None = None
    segment: str | None = None


@dataclass(frozen=True, slots=True)
class PathsQuery:
    length: int
    top: int
    from_step: str | None
    to_step: str | None


def _bounded(name: str, text: str | None, low: int, high: int, default: int) -> int:
    raw = (text or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise RefError(f"{name}={raw[:20]!r} is out of bounds: a whole number from {low} to {high}")
    return int(raw)


def _step(name: str, text: str | None) -> str | None:
    raw = (text or "").strip()
    if not raw:
        return None
    if raw == EXIT:
        if name == "from_step":
            raise RefError("from_step=exit: a path can end at the exit (to_step=exit), not start there")
        return EXIT
    ref = parse_ref(raw)
    if ref.kind == "guide" or ref.where:
        raise RefError(f"{name}={raw[:80]!r}: paths go through pages, features and track events by name "
                       "(page:ID, feature:ID, event:NAME)")
    return ref.text()


def paths_query(params: Mapping[str, str]) -> PathsQuery:
    """Read ``from_step`` or ``to_step`` (neither: ``to_step=exit``), ``length`` and ``top``; raises RefError."""
    start, end = _step("from_step", params.get("from_step")), _step("to_step", params.get("to_step"))
    if start is not None and end is not None:
        raise RefError("give from_step or to_step, not both")
    if start is None and end is None:
        end = EXIT
    return PathsQuery(_bounded("length", params.get("length"), MIN_LENGTH, MAX_LENGTH, DEFAULT_LENGTH),
                      _bounded("top", params.get("top"), 1, MAX_TOP, DEFAULT_TOP), start, end)


async def paths_report(session: AsyncSession, scope: Scope, query: PathsQuery, start: date, end: date,
                       segment: str | None) -> PathsReport:
    """The top paths of ``scope`` (an app, or one of its tenants) over ``[start, end]``."""
    members = await segment_members(session, scope, segment) if segment else None
    since, until = range_bounds(start, end)
    ids = members.ids if members is not None else None
    of_tenant = members is not None and members.subject == "tenant"
    with collector_paused():  # a list per session step: see waymark.behaviour.collector
        visits = join_days(await read_days(session, scope.app_id, since, until,
                                           visitors=None if of_tenant else ids, tenants=ids if of_tenant else None))
        found: list[PathCount] = top_paths(visits, query.length, query.from_step, query.to_step, query.top)
    return PathsReport([PathRow(list(p.steps), p.visitors) for p in found], start, end, query.length, query.top,
                       query.from_step, query.to_step, len(visits), scope.tenant_id, segment)
