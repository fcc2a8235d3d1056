"""A version's decisions over the whole app, aggregated by the database: latest decision counts and acceptances per day.

Reading every record of a version into Python costs tens of microseconds apiece (a date to parse,
a tuple to build); at tens of thousands of decisions that is most of a page's budget. The
database orders each visitor's records once (window functions, on SQLite and PostgreSQL alike)
and hands back a handful of counts and one row per day.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Date, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.policies.models import PolicyChainHead, PolicyEvidence

__all__ = ["VersionFigures", "current_figures", "version_figures"]

_DECISIONS = ("accepted", "declined", "withdrawn")
VersionFigures = tuple[dict[str, int], dict[date, int]]
"""(visitors per latest decision, the change in accepted visitors per day)."""


def _day(session: AsyncSession) -> Any:
    """The UTC day of ``recorded_at`` in the session's dialect."""
    column = PolicyEvidence.recorded_at
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)  # SQLite keeps the UTC moment as text; date() takes its day


async def version_figures(session: AsyncSession, app_id: str, policy: str, version: int) -> VersionFigures:
    """How many visitors' latest decision on the version is each decision, and per day how many more (or fewer)
    visitors stand accepted at its end: a visitor enters on an acceptance and leaves on a later other decision."""
    e = PolicyEvidence
    ordered = select(
        e.decision.label("decision"), _day(session).label("day"),
        func.lag(e.decision).over(partition_by=e.visitor_id, order_by=e.seq).label("before"),
        func.row_number().over(partition_by=e.visitor_id, order_by=e.seq.desc()).label("rank"),
    ).where(e.app_id == app_id, e.policy_id == policy, e.policy_version == version).subquery()
    accepted_now, accepted_before = ordered.c.decision == "accepted", ordered.c.before == "accepted"
    change = case((accepted_now & ~func.coalesce(accepted_before, False), 1),
                  (~accepted_now & func.coalesce(accepted_before, False), -1), else_=0)
    last = ordered.c.rank == 1
    query = select(ordered.c.day, func.sum(change), *(
        func.sum(case((last & (ordered.c.decision == d), 1), else_=0)) for d in _DECISIONS)).group_by(ordered.c.day)
    latest = dict.fromkeys(_DECISIONS, 0)
    per_day: dict[date, int] = {}
    for day, delta, *counts in (await session.execute(query)).tuples().all():
        key = date.fromisoformat(day) if isinstance(day, str) else day
        per_day[key] = per_day.get(key, 0) + int(delta or 0)
        for decision, count in zip(_DECISIONS, counts, strict=True):
            latest[decision] += int(count or 0)
    return latest, per_day


_figures: dict[tuple[str, str, int], tuple[int, VersionFigures]] = {}


async def current_figures(session: AsyncSession, app_id: str, policy: str, version: int) -> VersionFigures:
    """:func:`version_figures`, kept until the app's chain grows: evidence is only ever appended, so the same
    chain head means the same records (a record changed in place is the chain check's to find, not this)."""
    head = await session.scalar(select(PolicyChainHead.seq).where(PolicyChainHead.app_id == app_id)) or 0
    kept = _figures.get((app_id, policy, version))
    if kept is not None and kept[0] == head:
        return kept[1]
    figures = await version_figures(session, app_id, policy, version)
    _figures[app_id, policy, version] = (head, figures)
    return figures
