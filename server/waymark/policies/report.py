"""The policy report: per policy version and tenant, who accepted, declined, withdrew or is still pending,
and coverage over time. Read from the evidence and the daily roll-up's active visitors."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.clock import as_utc
from waymark.db.models import DailyUsage
from waymark.policies.models import PolicyEvidence, PolicyVersion
from waymark.policies.schemas import CoveragePoint, PolicyReport, PolicyReportRow

__all__ = ["MAX_COVERAGE_DAYS", "policy_report", "report_csv"]

MAX_COVERAGE_DAYS = 366
"""Coverage points per row at most: the last this many days up to ``to``."""


async def policy_report(
    session: AsyncSession, app_id: str, policy: str | None, tenant: str | None, end: date
) -> PolicyReport:
    """Rows per (policy, version, tenant); ``tenant`` keeps one tenant (``""``: visitors without one)."""
    query = select(PolicyVersion).where(PolicyVersion.app_id == app_id)
    if policy is not None:
        query = query.where(PolicyVersion.policy_id == policy)
    versions = (await session.scalars(query.order_by(PolicyVersion.policy_id, PolicyVersion.version))).all()
    rows: list[PolicyReportRow] = []
    for v in versions:
        published = as_utc(v.published_at)
        first_day = published.date()
        # Who was active since publication, per tenant, and the first day each was.
        active_q = select(DailyUsage.tenant_id, DailyUsage.visitor_id, DailyUsage.day).where(
            DailyUsage.app_id == app_id, DailyUsage.kind == "active", DailyUsage.day >= first_day,
            DailyUsage.day <= end)
        scope = v.tenant_id if v.tenant_id is not None else tenant
        if scope is not None:
            active_q = active_q.where(DailyUsage.tenant_id == scope)
        first_active: dict[str, dict[str, date]] = defaultdict(dict)
        for t, visitor, day in (await session.execute(active_q)).all():
            seen = first_active[t]
            if visitor not in seen or day < seen[visitor]:
                seen[visitor] = day
        ev_q = select(PolicyEvidence).where(
            PolicyEvidence.app_id == app_id, PolicyEvidence.policy_id == v.policy_id,
            PolicyEvidence.policy_version == v.version)
        if scope is not None:
            ev_q = ev_q.where(PolicyEvidence.tenant_id == (scope or None))
        latest: dict[str, dict[str, PolicyEvidence]] = defaultdict(dict)
        first_accept: dict[str, dict[str, date]] = defaultdict(dict)
        for e in (await session.scalars(ev_q.order_by(PolicyEvidence.seq))).all():
            t = e.tenant_id or ""
            latest[t][e.visitor_id] = e
            if e.decision == "accepted":
                first_accept[t].setdefault(e.visitor_id, as_utc(e.recorded_at).date())
        for t in sorted(set(first_active) | set(latest)):
            decided = latest.get(t, {})
            counts = {d: sum(1 for e in decided.values() if e.decision == d)
                      for d in ("accepted", "declined", "withdrawn")}
            active = first_active.get(t, {})
            rows.append(PolicyReportRow(
                policy=v.policy_id, version=v.version, tenant=t or None, published_at=published,
                accepted=counts["accepted"], declined=counts["declined"], withdrawn=counts["withdrawn"],
                pending=sum(1 for visitor in active if visitor not in decided),
                coverage=_coverage(active, first_accept.get(t, {}), decided, first_day, end),
            ))
    return PolicyReport(rows=rows)


def _coverage(
    active: dict[str, date], accepted_on: dict[str, date], latest: dict[str, PolicyEvidence], first: date, end: date
) -> list[CoveragePoint]:
    """Per day: visitors active so far, and of them those who had accepted by then (and not withdrawn since)."""
    start = max(first, end - timedelta(days=MAX_COVERAGE_DAYS - 1))
    points: list[CoveragePoint] = []
    day = start
    while day <= end:
        seen = {v for v, d in active.items() if d <= day}
        done = {v for v in seen if v in accepted_on and accepted_on[v] <= day and not _withdrawn_by(latest, v, day)}
        points.append(CoveragePoint(day=day, active=len(seen), accepted=len(done),
                                    coverage=round(len(done) / len(seen), 4) if seen else 0.0))
        day += timedelta(days=1)
    return points


def _withdrawn_by(latest: dict[str, PolicyEvidence], visitor: str, day: date) -> bool:
    e = latest.get(visitor)
    return e is not None and e.decision == "withdrawn" and as_utc(e.recorded_at).date() <= day


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
