"""Reading policies and their evidence: versions, the current one, a visitor's status, evidence exports."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.clock import as_utc
from waymark.db.models import Guide, GuideVersion, VisitorAlias
from waymark.policies.ledger import as_record
from waymark.policies.models import PolicyEvidence, PolicyVersion
from waymark.policies.schemas import EvidenceRecord, PolicyStatus, PolicySummary

__all__ = [
    "NoSuchPolicy",
    "current_version",
    "evidence_csv",
    "get_version",
    "list_evidence",
    "list_policies",
    "policy_status",
    "visitor_evidence",
]


class NoSuchPolicy(LookupError):
    """No policy (or version) with this id in the app."""


async def current_version(session: AsyncSession, app_id: str, policy_id: str) -> int | None:
    """The version the published prompt shows (a rollback can bring an older one back); ``None`` unpublished."""
    definition = await session.scalar(
        select(GuideVersion.definition)
        .join(Guide, (Guide.app_id == GuideVersion.app_id) & (Guide.id == GuideVersion.guide_id)
              & (Guide.published_version == GuideVersion.version))
        .where(GuideVersion.app_id == app_id, GuideVersion.guide_id == policy_id, Guide.kind == "policy")
    )
    policy = (definition or {}).get("policy") or {}
    version = policy.get("version")
    return int(version) if isinstance(version, int) else None


async def get_version(session: AsyncSession, app_id: str, policy_id: str, version: int) -> PolicyVersion:
    found = await session.get(PolicyVersion, (app_id, policy_id, version))
    if found is None:
        raise NoSuchPolicy(f"no policy {policy_id!r} v{version} in this app")
    return found


async def list_policies(session: AsyncSession, app_id: str) -> list[PolicySummary]:
    rows = (await session.scalars(
        select(PolicyVersion).where(PolicyVersion.app_id == app_id)
        .order_by(PolicyVersion.policy_id, PolicyVersion.version)
    )).all()
    out: dict[str, PolicySummary] = {}
    for row in rows:
        current = out.get(row.policy_id)
        if current is None:
            current = out[row.policy_id] = PolicySummary(
                id=row.policy_id, current_version=await current_version(session, app_id, row.policy_id),
                tenant=row.tenant_id, allow_decline=row.allow_decline, versions=[])
        current.versions.append(row.version)
        if row.version == current.current_version:
            current.tenant, current.allow_decline = row.tenant_id, row.allow_decline
    return list(out.values())


async def _person_ids(session: AsyncSession, app_id: str, visitor: str) -> list[str]:
    """The visitor and the earlier (anonymous) ids linked to them: evidence keeps the id it was given."""
    aliases = (await session.scalars(select(VisitorAlias.alias).where(
        VisitorAlias.app_id == app_id, VisitorAlias.visitor_id == visitor))).all()
    return [visitor, *aliases]


async def policy_status(
    session: AsyncSession, app_id: str, policy_id: str, visitor: str, tenant: str | None
) -> PolicyStatus:
    current = await current_version(session, app_id, policy_id)
    if current is None:
        raise NoSuchPolicy(f"no published policy {policy_id!r} in this app")
    version = await get_version(session, app_id, policy_id, current)
    rows = (await session.scalars(
        select(PolicyEvidence).where(
            PolicyEvidence.app_id == app_id, PolicyEvidence.policy_id == policy_id,
            PolicyEvidence.visitor_id.in_(await _person_ids(session, app_id, visitor)))
        .order_by(PolicyEvidence.seq)
    )).all()
    latest: dict[int, PolicyEvidence] = {}
    for row in rows:
        latest[row.policy_version] = row
    on_current = latest.get(current)
    accepted = [v for v, r in latest.items() if r.decision == "accepted"]
    return PolicyStatus(
        policy=policy_id, visitor=visitor, tenant=tenant, current_version=current,
        required=version.tenant_id is None or version.tenant_id == tenant,
        accepted=on_current is not None and on_current.decision == "accepted",
        decision=on_current.decision if on_current else None,
        decided_at=as_utc(on_current.recorded_at) if on_current else None,
        accepted_version=max(accepted) if accepted else None,
    )


async def list_evidence(
    session: AsyncSession, app_id: str, policy_id: str, version: int | None, tenant: str | None
) -> list[EvidenceRecord]:
    known = await session.scalar(select(PolicyVersion.version).where(
        PolicyVersion.app_id == app_id, PolicyVersion.policy_id == policy_id).limit(1))
    if known is None:
        raise NoSuchPolicy(f"no policy {policy_id!r} in this app")
    query = select(PolicyEvidence).where(PolicyEvidence.app_id == app_id, PolicyEvidence.policy_id == policy_id)
    if version is not None:
        query = query.where(PolicyEvidence.policy_version == version)
    if tenant is not None:
        query = query.where(PolicyEvidence.tenant_id == tenant)
    return [as_record(r) for r in (await session.scalars(query.order_by(PolicyEvidence.seq))).all()]


async def visitor_evidence(session: AsyncSession, app_id: str, ids: Sequence[str]) -> list[EvidenceRecord]:
    """Every decision recorded under these visitor ids, in chain order (for exports and erasure)."""
    rows = (await session.scalars(
        select(PolicyEvidence).where(PolicyEvidence.app_id == app_id, PolicyEvidence.visitor_id.in_(list(ids)))
        .order_by(PolicyEvidence.seq)
    )).all()
    return [as_record(r) for r in rows]


_CSV_COLUMNS = ("seq", "id", "request_id", "policy", "version", "locale", "tenant", "visitor", "text_hash",
                "decision", "method", "recorded_at", "user_agent", "prev_hash", "row_hash")


def _cell(value: object) -> str:
    text = "" if value is None else value.isoformat() if hasattr(value, "isoformat") else str(value)
    # A cell a spreadsheet would run as a formula is quoted as text.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def evidence_csv(records: Sequence[EvidenceRecord]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(_CSV_COLUMNS)
    for r in records:
        writer.writerow([_cell(getattr(r, c)) for c in _CSV_COLUMNS])
    return out.getvalue()
