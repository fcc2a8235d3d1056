"""What the admin's policy pages show: acceptance per version and tenant, where each visitor stands, coverage."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.clock import as_utc
from waymark.db.models import Tenant, Visitor
from waymark.policies.acceptance import current_figures
from waymark.policies.chain_status import ChainStatus
from waymark.policies.coverage import estimated_points, running
from waymark.policies.models import PolicyEvidence
from waymark.policies.report import (
    Keep,
    VersionTally,
    coverage_start,
    policy_tallies,
    visible_versions,
)
from waymark.policies.schemas import BrokenRecord, CoveragePoint, PolicyReportRow, PolicySummary
from waymark.policies.services import list_policies

__all__ = [
    "ActiveSince",
    "PersonStatus",
    "PolicyOverview",
    "VersionCoverage",
    "policy_overview",
    "tenant_page_of",
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
    estimated: bool = False
    """The active visitors (so pending and coverage) are estimated from day sketches, within ~1.6 %."""


class PolicyOverview(msgspec.Struct, kw_only=True):
    policies: list[PolicySummary]
    versions: list[VersionCoverage]
    rows: list[PolicyReportRow]
    """Per (policy, version, tenant)."""
    people: list[PersonStatus]
    """With a tenant scope only: each visitor's standing per version, the pending first."""
    people_truncated: bool
    tenant_page: int
    tenant_pages: int
    """``rows`` hold this page of the tenants (the whole app without a segment pages its tenants)."""
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


async def tenant_page_of(session: AsyncSession, app_id: str, page: int, per_page: int) -> tuple[list[str], int, int]:
    """One page of the app's tenants by id: (their ids, the page, how many pages)."""
    total = await session.scalar(select(func.count()).select_from(Tenant).where(Tenant.app_id == app_id)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    ids = (await session.scalars(select(Tenant.id).where(Tenant.app_id == app_id).order_by(Tenant.id)
                                 .offset((page - 1) * per_page).limit(per_page))).all()
    return list(ids), page, pages


ActiveSince = Callable[[date, date, date], Awaitable[list[int]]]
"""(since, start, end) → distinct visitors of the whole app active from ``since`` to each day of ``start..end``."""


def _exact_versions(tallies: Sequence[VersionTally], current: set[tuple[str, int | None]]) -> list[VersionCoverage]:
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
    return versions


async def _estimated_versions(
    session: AsyncSession, app_id: str, start: date, end: date, current: set[tuple[str, int | None]],
    active_since: ActiveSince,
) -> list[VersionCoverage]:
    """Every version over the whole app: decisions exact from the evidence, the active visitors estimated from
    the day sketches (a tenant's own policy is counted exactly: one tenant's rows are cheap to read)."""
    out: list[VersionCoverage] = []
    own: dict[str, list[VersionTally]] = {}
    for v in await visible_versions(session, app_id, None, None):
        if v.tenant_id is not None:
            if v.policy_id not in own:
                own[v.policy_id] = await policy_tallies(session, app_id, v.policy_id, v.tenant_id, end, start)
            out += _exact_versions([r for r in own[v.policy_id] if r.version.version == v.version], current)
            continue
        published = as_utc(v.published_at).date()
        since = coverage_start(published, start, end)
        latest, changes = await current_figures(session, app_id, v.policy_id, v.version)
        points = estimated_points(await active_since(published, since, end), running(changes, since, end), since)
        out.append(VersionCoverage(
            policy=v.policy_id, version=v.version, tenant=None, published_at=as_utc(v.published_at),
            current=(v.policy_id, v.version) in current, accepted=latest.get("accepted", 0),
            declined=latest.get("declined", 0), withdrawn=latest.get("withdrawn", 0), estimated=True,
            pending=max(0, points[-1].active - sum(latest.values())) if points else 0,
            coverage=[CoveragePoint(day=p.day, active=p.active, accepted=p.accepted, coverage=p.coverage)
                      for p in points]))
    return out


async def policy_overview(
    session: AsyncSession, app_id: str, tenant: str | None, start: date, end: date, chain: ChainStatus,
    keep: Keep | None = None, *, tenants: Sequence[str] | None = None, active_since: ActiveSince | None = None,
    tenant_page: int = 1, tenant_pages: int = 1,
) -> PolicyOverview:
    """Every policy version reported under the scope (one tenant, or all); coverage from ``start`` to ``end``.

    A tenant scope also lists its visitors by name with where each stands. Another tenant's own policy never
    appears. ``tenants`` limits the rows per tenant (a page of them); ``active_since`` (the whole app without a
    segment) gives each version's figures over every tenant from the day sketches instead of from those rows.
    """
    summaries = [p for p in await list_policies(session, app_id) if tenant is None or p.tenant in (None, tenant)]
    current = {(p.id, p.current_version) for p in summaries}
    tallies = await policy_tallies(session, app_id, None, tenant, end, start, keep, tenants)
    versions = (_exact_versions(tallies, current) if active_since is None or tenant is not None
                else await _estimated_versions(session, app_id, start, end, current, active_since))
    wanted = _standings(tallies) if tenant is not None else []
    if tenant is not None:
        # A tenant sees whether the chain holds, and its own records: not how many the other tenants have.
        own = await session.scalar(select(func.count()).select_from(PolicyEvidence).where(
            PolicyEvidence.app_id == app_id, PolicyEvidence.tenant_id == tenant))
        chain = ChainStatus(intact=chain.intact, records=own or 0, checked_at=chain.checked_at,
                            full_checked_at=chain.full_checked_at,
                            first_broken=None if chain.first_broken is None else BrokenRecord(
                                id=None, seq=chain.first_broken.seq, reason=chain.first_broken.reason))
    return PolicyOverview(
        policies=summaries, versions=versions, rows=[_row(r) for r in tallies], tenant_page=tenant_page,
        tenant_pages=tenant_pages,
        people=await _named(session, app_id, wanted[:MAX_PEOPLE]), people_truncated=len(wanted) > MAX_PEOPLE,
        chain=chain)
