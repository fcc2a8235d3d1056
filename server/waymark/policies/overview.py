"""What the admin's policy pages show: acceptance per version and tenant, who is pending, coverage, the chain status,
and a tenant's (or the app's) evidence for export."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import msgspec
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.clock import as_utc
from waymark.db.models import Visitor
from waymark.policies.chain_status import ChainStatus
from waymark.policies.ledger import as_record
from waymark.policies.models import PolicyEvidence
from waymark.policies.report import Keep, VersionTally, policy_tallies
from waymark.policies.schemas import BrokenRecord, CoveragePoint, EvidenceRecord, PolicyReportRow, PolicySummary
from waymark.policies.services import list_policies

__all__ = [
    "PersonStatus",
    "PolicyOverview",
    "VersionCoverage",
    "evidence_records",
    "latest_evidence",
    "policy_overview",
]

MAX_PEOPLE = 1000
_ORDER = {"pending": 0, "declined": 1, "withdrawn": 2, "accepted": 3}


class PersonStatus(msgspec.Struct, kw_only=True):
    """Where one visitor of a tenant stands on one policy version."""

    policy: str
    version: int
    tenant: str | None
    visitor: str
    name: str | None
    """From the visitor's metadata when stored (a tenant's privacy settings may drop it)."""
    email: str | None
    status: str
    """pending (active since publication, undecided), accepted, declined or withdrawn (the latest decision)."""
    decided_on: date | None


class VersionCoverage(msgspec.Struct, kw_only=True):
    """One version's coverage per day over the tenants in scope."""

    policy: str
    version: int
    tenant: str | None
    """The tenant whose own policy this is; null for the whole app's."""
    published_at: datetime
    current: bool
    """The version the published prompt shows now."""
    accepted: int
    declined: int
    withdrawn: int
    pending: int
    coverage: list[CoveragePoint]


class PolicyOverview(msgspec.Struct, kw_only=True):
    policies: list[PolicySummary]
    versions: list[VersionCoverage]
    rows: list[PolicyReportRow]
    """Per (policy, version, tenant)."""
    people: list[PersonStatus]
    """With a tenant scope only: each visitor's standing per version, the pending first."""
    people_truncated: bool
    chain: ChainStatus


def _sum(series: Sequence[Sequence[CoveragePoint]]) -> list[CoveragePoint]:
    if not series:
        return []
    out = []
    for points in zip(*series, strict=True):
        active, accepted = sum(p.active for p in points), sum(p.accepted for p in points)
        out.append(CoveragePoint(day=points[0].day, active=active, accepted=accepted,
                                 coverage=round(accepted / active, 4) if active else 0.0))
    return out


def _row(r: VersionTally) -> PolicyReportRow:
    return PolicyReportRow(
        policy=r.version.policy_id, version=r.version.version, tenant=r.tenant or None,
        published_at=as_utc(r.version.published_at), accepted=r.tally.accepted, declined=r.tally.declined,
        withdrawn=r.tally.withdrawn, pending=len(r.tally.pending),
        coverage=[CoveragePoint(day=p.day, active=p.active, accepted=p.accepted, coverage=p.coverage)
                  for p in r.coverage])


def _standings(tallies: Sequence[VersionTally]) -> list[tuple[VersionTally, str, str, date | None]]:
    """(version row, visitor, status, decided on) for everyone pending or decided, the pending first."""
    out: list[tuple[VersionTally, str, str, date | None]] = [
        (r, v, "pending", None) for r in tallies for v in r.tally.pending]
    out += [(r, d.visitor, d.decision, d.day) for r in tallies for d in r.tally.latest.values()]
    return sorted(out, key=lambda x: (_ORDER.get(x[2], 9), x[0].version.policy_id, -x[0].version.version, x[1]))


async def _named(session: AsyncSession, app_id: str,
                 wanted: Sequence[tuple[VersionTally, str, str, date | None]]) -> list[PersonStatus]:
    metas: dict[str, dict[str, object]] = {}
    ids = sorted({w[1] for w in wanted})
    for i in range(0, len(ids), 500):
        found = await session.execute(
            select(Visitor.id, Visitor.meta).where(Visitor.app_id == app_id, Visitor.id.in_(ids[i:i + 500])))
        for row in found.all():
            metas[row.id] = row.meta or {}

    def text(meta: dict[str, object], *keys: str) -> str | None:
        found = next((meta[k] for k in keys if isinstance(meta.get(k), str) and meta[k]), None)
        return str(found) if found is not None else None

    return [PersonStatus(policy=r.version.policy_id, version=r.version.version, tenant=r.tenant or None, visitor=v,
                         name=text(metas.get(v, {}), "name", "full_name", "display_name"),
                         email=text(metas.get(v, {}), "email"), status=status, decided_on=day)
            for r, v, status, day in wanted]


async def policy_overview(
    session: AsyncSession, app_id: str, tenant: str | None, start: date, end: date, chain: ChainStatus,
    keep: Keep | None = None,
) -> PolicyOverview:
    """Every policy version reported under the scope (one tenant, or all); coverage from ``start`` to ``end``.

    A tenant scope also lists its visitors by name with where each stands. Another tenant's own policy never appears.
    """
    summaries = [p for p in await list_policies(session, app_id) if tenant is None or p.tenant in (None, tenant)]
    current = {(p.id, p.current_version) for p in summaries}
    tallies = await policy_tallies(session, app_id, None, tenant, end, start, keep)
    by_version: dict[tuple[str, int], list[VersionTally]] = {}
    for r in tallies:
        by_version.setdefault((r.version.policy_id, r.version.version), []).append(r)
    versions = []
    for (policy, number), rows in by_version.items():
        v = rows[0].version
        versions.append(VersionCoverage(
            policy=policy, version=number, tenant=v.tenant_id, published_at=as_utc(v.published_at),
            current=(policy, number) in current, accepted=sum(r.tally.accepted for r in rows),
            declined=sum(r.tally.declined for r in rows), withdrawn=sum(r.tally.withdrawn for r in rows),
            pending=sum(len(r.tally.pending) for r in rows),
            coverage=_sum([[CoveragePoint(day=p.day, active=p.active, accepted=p.accepted, coverage=p.coverage)
                            for p in r.coverage] for r in rows])))
    wanted = _standings(tallies) if tenant is not None else []
    if tenant is not None:
        # A tenant sees whether the chain holds, and its own records: not how many the other tenants have.
        own = await session.scalar(select(func.count()).select_from(PolicyEvidence).where(
            PolicyEvidence.app_id == app_id, PolicyEvidence.tenant_id == tenant))
        chain = ChainStatus(intact=chain.intact, records=own or 0, checked_at=chain.checked_at,
                            first_broken=None if chain.first_broken is None else BrokenRecord(
                                id=None, seq=chain.first_broken.seq, reason=chain.first_broken.reason))
    return PolicyOverview(
        policies=summaries, versions=versions, rows=[_row(r) for r in tallies],
        people=await _named(session, app_id, wanted[:MAX_PEOPLE]), people_truncated=len(wanted) > MAX_PEOPLE,
        chain=chain)


def _evidence_query(app_id: str, tenant: str | None, start: date | None, end: date | None) -> Select[Any]:
    query = select(PolicyEvidence).where(PolicyEvidence.app_id == app_id)
    if tenant is not None:
        query = query.where(PolicyEvidence.tenant_id == tenant)
    if start is not None:
        query = query.where(PolicyEvidence.recorded_at >= datetime.combine(start, time(), UTC))
    if end is not None:
        query = query.where(PolicyEvidence.recorded_at < datetime.combine(end + timedelta(days=1), time(), UTC))
    return query


async def evidence_records(
    session: AsyncSession, app_id: str, tenant: str | None, start: date | None = None, end: date | None = None,
) -> list[EvidenceRecord]:
    """The evidence of one tenant (``None``: the whole app), in chain order, optionally recorded in a day range."""
    query = _evidence_query(app_id, tenant, start, end).order_by(PolicyEvidence.seq)
    return [as_record(r) for r in (await session.scalars(query)).all()]


async def latest_evidence(
    session: AsyncSession, app_id: str, tenant: str | None, start: date | None, end: date | None, limit: int,
) -> tuple[int, list[EvidenceRecord]]:
    """How many records :func:`evidence_records` would give, and the newest ``limit`` of them, newest first."""
    query = _evidence_query(app_id, tenant, start, end)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = (await session.scalars(query.order_by(PolicyEvidence.seq.desc()).limit(limit))).all()
    return total or 0, [as_record(r) for r in rows]
