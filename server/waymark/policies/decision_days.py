"""Each policy version's decisions counted per UTC day (:class:`~waymark.policies.models.PolicyDecisionDay`).

A decision moves its visitor's latest decision on the version from their previous record's (if any) to
its own: one more for the new decision, one fewer for the old, on the day it was recorded. Summed over
every day these changes give how many visitors' latest decision is each decision; summed up to a day,
how many stood accepted at its end. So the whole app's figures for a version read one row per day with a
decision, however many decisions there are.

Evidence is only ever appended (never changed, erased, rewritten by an alias or purged), so the ledger's
append is the only place they change (:func:`add_decision`, under the chain lock). The chain head's
``tallied_seq`` says up to where they are complete; :func:`rebuild_decision_days` recounts an app from its
evidence (the back-fill for evidence stored before the figures existed), and :func:`day_changes` is the same
count read straight from the evidence, for an app not yet recounted.
"""

from __future__ import annotations

import typing
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import Date, Table, case, cast, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.clock import as_utc
from waymark.db.upsert import insert_for
from waymark.policies.models import PolicyChainHead, PolicyDecisionDay, PolicyEvidence

__all__ = ["DECISIONS", "Change", "add_decision", "day_changes", "rebuild_decision_days", "stored_changes"]

DECISIONS = ("accepted", "declined", "withdrawn")
_DAYS: Table = PolicyDecisionDay.__table__  # type: ignore[assignment]  # declarative maps a Table
_HEADS: Table = PolicyChainHead.__table__  # type: ignore[assignment]  # as above
_BATCH = 1000


class Change(NamedTuple):
    """The change in visitors whose latest decision on a version is each decision, on one day."""

    accepted: int
    declined: int
    withdrawn: int


VersionKey = tuple[str, int]
"""(policy, version)."""
Changes = dict[VersionKey, dict[date, Change]]


def _change(decision: str, before: str | None) -> Change:
    return Change(*(int(decision == d) - int(before == d) for d in DECISIONS))


async def add_decision(session: AsyncSession, app_id: str, row: PolicyEvidence) -> None:
    """Count ``row``, just appended, on its day; the caller holds the chain lock."""
    e = PolicyEvidence
    before = await session.scalar(select(e.decision).where(
        e.app_id == app_id, e.policy_id == row.policy_id, e.visitor_id == row.visitor_id,
        e.policy_version == row.policy_version, e.seq < row.seq).order_by(e.seq.desc()).limit(1))
    change = _change(row.decision, before)
    if not any(change):
        return
    insert = insert_for(session, PolicyDecisionDay).values(
        app_id=app_id, policy_id=row.policy_id, policy_version=row.policy_version,
        day=as_utc(row.recorded_at).date(), **change._asdict())
    await session.execute(insert.on_conflict_do_update(
        index_elements=["app_id", "policy_id", "policy_version", "day"],
        set_={d: _DAYS.c[d] + insert.excluded[d] for d in DECISIONS}))


def _day(session: AsyncSession) -> Any:
    """The UTC day of ``recorded_at`` in the session's dialect."""
    column = PolicyEvidence.recorded_at
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)  # SQLite keeps the UTC moment as text; date() takes its day


async def day_changes(session: AsyncSession, app_id: str, key: VersionKey | None = None) -> Changes:
    """The changes per version and day counted from the evidence itself (``key``: one version only), the
    database ordering each visitor's records (window functions, on SQLite and PostgreSQL alike)."""
    e = PolicyEvidence
    ordered = select(
        e.policy_id.label("policy"), e.policy_version.label("version"), e.decision.label("decision"),
        _day(session).label("day"),
        func.lag(e.decision).over(partition_by=(e.policy_id, e.policy_version, e.visitor_id), order_by=e.seq)
        .label("before"),
    ).where(e.app_id == app_id)
    if key is not None:
        ordered = ordered.where(e.policy_id == key[0], e.policy_version == key[1])
    o = ordered.subquery()
    sums = [func.sum(case((o.c.decision == d, 1), else_=0) - case((o.c.before == d, 1), else_=0)) for d in DECISIONS]
    query = select(o.c.policy, o.c.version, o.c.day, *sums).group_by(o.c.policy, o.c.version, o.c.day)
    out: Changes = {}
    found = typing.cast(list[tuple[str, int, date | str, int | None, int | None, int | None]],
                 (await session.execute(query)).all())
    for policy, version, day, *counts in found:
        when = date.fromisoformat(day) if isinstance(day, str) else day
        out.setdefault((policy, version), {})[when] = Change(*(int(c or 0) for c in counts))
    return out


async def stored_changes(session: AsyncSession, app_id: str, key: VersionKey) -> dict[date, Change]:
    """One version's changes per day as kept (complete only when the head's ``tallied_seq`` is its ``seq``)."""
    d = PolicyDecisionDay
    rows = await session.execute(select(d.day, d.accepted, d.declined, d.withdrawn).where(
        d.app_id == app_id, d.policy_id == key[0], d.policy_version == key[1]))
    return {day: Change(int(a), int(dc), int(w)) for day, a, dc, w in rows.all()}


async def rebuild_decision_days(session: AsyncSession, app_id: str) -> int:
    """Recount the app's day figures from its evidence and mark them complete; the caller commits.

    Takes the chain lock first (as an append does), so no decision lands between the count and the mark.
    Returns the rows written. Idempotent: the back-fill for evidence stored before the figures existed.
    """
    head = (await session.execute(update(_HEADS).where(_HEADS.c.app_id == app_id).values(seq=_HEADS.c.seq)
                                  .returning(_HEADS.c.seq))).scalar_one_or_none()
    await session.execute(delete(_DAYS).where(_DAYS.c.app_id == app_id))
    if head is None:  # no decision yet: nothing to count, and the first append starts complete
        return 0
    rows = [{"app_id": app_id, "policy_id": policy, "policy_version": version, "day": day, **change._asdict()}
            for (policy, version), days in (await day_changes(session, app_id)).items()
            for day, change in days.items() if any(change)]
    for i in range(0, len(rows), _BATCH):
        await session.execute(insert_for(session, PolicyDecisionDay), rows[i:i + _BATCH])
    await session.execute(update(_HEADS).where(_HEADS.c.app_id == app_id).values(tallied_seq=head))
    return len(rows)
