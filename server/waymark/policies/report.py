"""The policy report: per policy version and tenant, who accepted, declined, withdrew or is still pending,
and coverage over time. Read from the evidence and the daily roll-up's first active day per visitor."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any, NamedTuple

from sqlalchemy import UnaryExpression, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.operators import custom_op

from waymark.clock import as_utc
from waymark.db.models import DailyUsage
from waymark.policies.coverage import Decision, Point, Tally, coverage_points, tally
from waymark.policies.models import PolicyEvidence, PolicyVersion
from waymark.policies.schemas import CoveragePoint, PolicyReport, PolicyReportRow

__all__ = ["MAX_COVERAGE_DAYS", "Keep", "VersionTally", "coverage_start", "first_active", "policy_report",
           "policy_tallies", "report_csv", "version_decisions", "visible_versions"]

MAX_COVERAGE_DAYS = 366
"""Coverage points per row at most: the last this many days up to ``to``."""

FirstActive = dict[str, dict[str, date]]
"""Tenant (``""``: none) → visitor → their first active day in a range."""
Keep = Callable[[str, str], bool]
"""(tenant, visitor) → whether a segment keeps them (``""``: no tenant)."""


class VersionTally(NamedTuple):
    """One policy version in one tenant: the counts, the undecided visitors and coverage per day."""

    version: PolicyVersion
    tenant: str
    tally: Tally
    coverage: list[Point]


_CHUNK = 200
"""Tenants per query at most (bound parameters stay well under SQLite's limit)."""


def _tenant_filter(column: Any, tenants: Sequence[str]) -> Any:
    """``column`` is one of ``tenants`` (``""``: no tenant, stored as NULL or ``""`` by table)."""
    named = [t for t in tenants if t]
    test = column.in_(named) if named else None
    if "" in tenants:
        blank = or_(column.is_(None), column == "")
        test = blank if test is None else or_(test, blank)
    return test


async def first_active(
    session: AsyncSession, app_id: str, tenants: Sequence[str] | None, since: date, until: date
) -> FirstActive:
    """Each visitor's first active day from ``since`` to ``until``, per tenant (``tenants``: only those).

    Chosen tenants are read from their own ``active`` rows (:data:`waymark.policies.models.ACTIVE_BY_TENANT`,
    a partial index that the literal ``kind`` and ``key`` let both databases use), so a page of tenants costs
    its own visitors' days, however many others the app has.
    """
    u = DailyUsage
    day: Any = u.day
    if tenants is not None and session.get_bind().dialect.name == "sqlite":
        # ``+day``: SQLite's planner otherwise seeks the primary key's day range when a page holds most of a small
        # app's tenants (twice the time there); the index is what keeps the cost the page's own.
        day = UnaryExpression(u.day.expression, operator=custom_op("+"), type_=u.day.type)
    base = select(u.tenant_id, u.visitor_id, func.min(u.day)).where(
        u.app_id == app_id, u.kind == literal_column("'active'"), u.key == literal_column("''"), day >= since,
        day <= until).group_by(u.tenant_id, u.visitor_id)
    queries = [base] if tenants is None else [base.where(u.tenant_id.in_(tenants[t:t + _CHUNK]))
                                              for t in range(0, len(tenants), _CHUNK)]
    out: FirstActive = defaultdict(dict)
    for query in queries:
        for t, visitor, day in (await session.execute(query)).all():
            out[t][visitor] = day
    return out


async def version_decisions(session: AsyncSession, app_id: str, v: PolicyVersion, tenants: Sequence[str] | None,
                     keep: Keep | None) -> dict[str, list[Decision]]:
    """The version's decisions per tenant, in chain order (``tenants``: only theirs)."""
    query = select(PolicyEvidence.seq, PolicyEvidence.tenant_id, PolicyEvidence.visitor_id, PolicyEvidence.recorded_at,
                   PolicyEvidence.decision).where(
        PolicyEvidence.app_id == app_id, PolicyEvidence.policy_id == v.policy_id,
        PolicyEvidence.policy_version == v.version)
    queries = [query] if tenants is None else [
        query.where(_tenant_filter(PolicyEvidence.tenant_id, tenants[i:i + _CHUNK]))
        for i in range(0, len(tenants), _CHUNK)]
    rows = [row for q in queries for row in (await session.execute(q)).all()]
    decisions: dict[str, list[Decision]] = defaultdict(list)
    for _, t, visitor, recorded_at, decision in sorted(rows, key=lambda r: r[0]):
        if keep is None or keep(t or "", visitor):
            decisions[t or ""].append(Decision(visitor, as_utc(recorded_at).date(), decision))
    return decisions


def coverage_start(published: date, start: date | None, end: date) -> date:
    """The first day of a version's coverage series: its publication or the range's start, whichever is later."""
    return max(published, start or published, end - timedelta(days=MAX_COVERAGE_DAYS - 1))


def _visible(version: PolicyVersion, tenants: Sequence[str] | None) -> bool:
    """A tenant's own policy is reported for that tenant only; asking for other tenants shows nothing of it."""
    return version.tenant_id is None or tenants is None or version.tenant_id in tenants


async def visible_versions(
    session: AsyncSession, app_id: str, policy: str | None, tenants: Sequence[str] | None
) -> list[PolicyVersion]:
    """The versions reported for ``tenants`` (None: every one), by policy and version."""
    query = select(PolicyVersion).where(PolicyVersion.app_id == app_id)
    if policy is not None:
        query = query.where(PolicyVersion.policy_id == policy)
    return [v for v in (await session.scalars(query.order_by(PolicyVersion.policy_id, PolicyVersion.version)))
            if _visible(v, tenants)]


async def policy_tallies(
    session: AsyncSession, app_id: str, policy: str | None, tenant: str | None, end: date, start: date | None = None,
    keep: Keep | None = None, tenants: Sequence[str] | None = None,
) -> list[VersionTally]:
    """Per (policy, version, tenant): counts, pending visitors and coverage; ``tenant`` keeps one tenant
    (``""``: visitors without one), ``tenants`` a few, and ``keep`` the visitors of a segment.

    Coverage runs from ``start`` (default: publication, at most :data:`MAX_COVERAGE_DAYS` before ``end``)
    to ``end``; the counts cover everything from publication to ``end``.
    """
    wanted = (tenant,) if tenant is not None else tuple(tenants) if tenants is not None else None
    versions = await visible_versions(session, app_id, policy, wanted)
    actives: dict[tuple[date, tuple[str, ...] | None], FirstActive] = {}
    out: list[VersionTally] = []
    for v in versions:
        first_day = as_utc(v.published_at).date()
        scope = (v.tenant_id,) if v.tenant_id is not None else wanted
        if (first_day, scope) not in actives:
            found = await first_active(session, app_id, scope, first_day, end)
            if keep is not None:
                found = {t: {vis: d for vis, d in by.items() if keep(t, vis)} for t, by in found.items()}
            actives[first_day, scope] = {t: by for t, by in found.items() if by}
        active = actives[first_day, scope]
        decisions = await version_decisions(session, app_id, v, scope, keep)
        since = coverage_start(first_day, start, end)
        for t in sorted(set(active) | set(decisions)):
            out.append(VersionTally(v, t, tally(active.get(t, {}), decisions.get(t, [])),
                                    coverage_points(active.get(t, {}), decisions.get(t, []), since, end)))
    return out


async def policy_report(
    session: AsyncSession, app_id: str, policy: str | None, tenant: str | None, end: date, start: date | None = None,
    keep: Keep | None = None,
) -> PolicyReport:
    """Rows per (policy, version, tenant): see :func:`policy_tallies`."""
    return PolicyReport(rows=[
        PolicyReportRow(
            policy=r.version.policy_id, version=r.version.version, tenant=r.tenant or None,
            published_at=as_utc(r.version.published_at), accepted=r.tally.accepted, declined=r.tally.declined,
            withdrawn=r.tally.withdrawn, pending=len(r.tally.pending),
            coverage=[CoveragePoint(day=p.day, active=p.active, accepted=p.accepted, coverage=p.coverage)
                      for p in r.coverage],
        )
        for r in await policy_tallies(session, app_id, policy, tenant, end, start, keep)
    ])


def report_csv(report: PolicyReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["policy", "version", "tenant", "published_at", "accepted", "declined", "withdrawn", "pending",
                     "coverage"])
    for r in report.rows:
        last = r.coverage[-1].coverage if r.coverage else 0.0
        writer.writerow([r.policy, r.version, r.tenant or "", r.published_at.isoformat(), r.accepted, r.declined,
                         r.withdrawn, r.pending, last])
    return out.getvalue()
