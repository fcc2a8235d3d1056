"""A version's decisions over the whole app: latest decision counts and the change in accepted visitors per day.

Read from the day figures the ledger keeps (:mod:`waymark.policies.decision_days`): one row per day with
a decision, whatever the number of decisions. An app whose figures are not complete yet (evidence stored
before they existed, until its recount) has them counted from the evidence by the database instead,
kept until the chain grows.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.policies.decision_days import DECISIONS, Change, day_changes, stored_changes
from waymark.policies.models import PolicyChainHead

__all__ = ["VersionFigures", "current_figures", "figures_of"]

VersionFigures = tuple[dict[str, int], dict[date, int]]
"""(visitors per latest decision, the change in accepted visitors per day)."""


def figures_of(changes: dict[date, Change]) -> VersionFigures:
    """How many visitors' latest decision on the version is each decision, and per day how many more (or fewer)
    visitors stand accepted at its end: a visitor enters on an acceptance and leaves on a later other decision."""
    latest = {d: sum(c[i] for c in changes.values()) for i, d in enumerate(DECISIONS)}
    return latest, {day: c.accepted for day, c in changes.items()}


_figures: dict[tuple[str, str, int], tuple[int, VersionFigures]] = {}


async def current_figures(session: AsyncSession, app_id: str, policy: str, version: int) -> VersionFigures:
    """The version's figures now: from the kept day figures when they cover the whole chain, else counted from
    the evidence and kept until the chain grows (evidence is only ever appended, so the same chain head means the
    same records; a record changed in place is the chain check's to find, not this)."""
    head = (await session.execute(select(PolicyChainHead.seq, PolicyChainHead.tallied_seq).where(
        PolicyChainHead.app_id == app_id))).one_or_none()
    length, tallied = head or (0, 0)
    if length == tallied:
        return figures_of(await stored_changes(session, app_id, (policy, version)))
    kept = _figures.get((app_id, policy, version))
    if kept is not None and kept[0] == length:
        return kept[1]
    figures = figures_of((await day_changes(session, app_id, (policy, version))).get((policy, version), {}))
    _figures[app_id, policy, version] = (length, figures)
    return figures
