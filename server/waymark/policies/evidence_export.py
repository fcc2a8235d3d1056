"""A tenant's (or the whole app's) evidence for the admin's export, and the newest records for its page."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.policies.ledger import as_record
from waymark.policies.models import PolicyEvidence
from waymark.policies.schemas import EvidenceRecord

__all__ = ["evidence_records", "latest_evidence"]


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
