"""The policy report: per policy version and tenant, who accepted, declined, withdrew or is still pending,
and coverage over time. Read from the evidence and the daily roll-up's first active day per visitor."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.clock import as_utc
from waymark.db.models import DailyUsage
from waymark.policies.coverage import Decision, Point, Tally, coverage_points, tally
from waymark.policies.models import PolicyEvidence, PolicyVersion
from waymark.policies.schemas import CoveragePoint, PolicyReport, PolicyReportRow

__all__ = ["MAX_COVERAGE_DAYS", "Keep", "VersionTally", "first_active", "policy_report", "policy_tallies",
           "report_csv"]

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


async def first_active(session: AsyncSession, app_id: str, tenant: str | None, since: date, until: date) -> FirstActive:
    """Each visitor's first active day from ``since`` to ``until``, per tenant; the database does the grouping."""
    query = select(DailyUsage.tenant_id, DailyUsage.visitor_id, func.min(DailyUsage.day)).where(
        DailyUsage.app_id == app_id, DailyUsage.day >= since, DailyUsage.day <= until, DailyUsage.kind == "active",
        DailyUsage.key == "")
    if tenant is not None:
        query = query.where(DailyUsage.tenant_id == tenant)
    out: FirstActive = defaultdict(dict)
    for t, visitor, day in (await session.execute(query.group_by(DailyUsage.tenant_id, DailyUsage.visitor_id))).all():
        out[t][visitor] = day
    return out


def _visible(version: PolicyVersion, tenant: str | None) -> bool:
    """A tenant's own policy is reported for that tenant only; asking for another tenant shows nothing of it."""
    return version.tenant_id is None or tenant is None or version.tenant_id == tenant


async def policy_tallies(
    session: AsyncSession, app_id: str, policy: str | None, tenant: str | None, end: date, start: date | None = None,
    keep: Keep | None = None,
) -> list[VersionTally]:
    """Per (policy, version, tenant): counts, pending visitors and coverage; ``tenant`` keeps one tenant
    (``""``: visitors without one) and ``keep`` the visitors of a segment.

    Coverage runs from ``start`` (default: publication, at most :data:`MAX_COVERAGE_DAYS` before ``end``)
    to ``end``; the counts cover everything from publication to ``end``.
    """
    query = select(PolicyVersion).where(PolicyVersion.app_id == app_id)
    if policy is not None:
        query = query.where(PolicyVersion.policy_id == policy)
    versions = [v for v in (await session.scalars(query.order_by(PolicyVersion.policy_id, PolicyVersion.version)))
                if _visible(v, tenant)]
    actives: dict[tuple[date, str | None], FirstActive] = {}
    out: list[VersionTally] = []
    for v in versions:
        first_day = as_utc(v.published_at).date()
        scope = v.tenant_id if v.tenant_id is not None else tenant
        if (first_day, scope) not in actives:
            found = await first_active(session, app_id, scope, first_day, end)
            if keep is not None:
                found = {t: {vis: d for vis, d in by.items() if keep(t, vis)} for t, by in found.items()}
            actives[first_day, scope] = {t: by for t, by in found.items() if by}
        active = actives[first_day, scope]
        ev_q = select(PolicyEvidence.tenant_id, PolicyEvidence.visitor_id, PolicyEvidence.recorded_at,
                      PolicyEvidence.decision).where(
            PolicyEvidence.app_id == app_id, PolicyEvidence.policy_id == v.policy_id,
            PolicyEvidence.policy_version == v.version)
        if scope is not None:
            ev_q = ev_q.where(PolicyEvidence.tenant_id == scope) if scope else ev_q.where(
                PolicyEvidence.tenant_id.is_(None))
        decisions: dict[str, list[Decision]] = defaultdict(list)
        for t, visitor, recorded_at, decision in (await session.execute(ev_q.order_by(PolicyEvidence.seq))).all():
            if keep is None or keep(t or "", visitor):
                decisions[t or ""].append(Decision(visitor, as_utc(recorded_at).date(), decision))
        since = max(first_day, start or first_day, end - timedelta(days=MAX_COVERAGE_DAYS - 1))
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
