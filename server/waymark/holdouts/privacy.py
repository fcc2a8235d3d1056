"""Holdouts under the privacy rules: a visitor's export and erasure include the guides they were held out of."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.clock import as_utc
from waymark.holdouts.models import GuideHoldout
from waymark.holdouts.schemas import HoldoutExport

__all__ = ["erase_holdouts", "visitor_holdouts"]


async def visitor_holdouts(session: AsyncSession, app_id: str, ids: Sequence[str]) -> list[HoldoutExport]:
    """Every guide these visitor ids were held out of, oldest first."""
    rows = (await session.scalars(
        select(GuideHoldout).where(GuideHoldout.app_id == app_id, GuideHoldout.visitor_id.in_(list(ids)))
        .order_by(GuideHoldout.held_at, GuideHoldout.guide_id)
    )).all()
    return [HoldoutExport(guide=r.guide_id, visitor=r.visitor_id, tenant=r.tenant_id, held_at=as_utc(r.held_at))
            for r in rows]


async def erase_holdouts(session: AsyncSession, app_id: str, ids: Sequence[str]) -> int:
    """Delete the holdout records of these visitor ids; returns how many (the caller commits)."""
    result = await session.execute(
        delete(GuideHoldout).where(GuideHoldout.app_id == app_id, GuideHoldout.visitor_id.in_(list(ids)))
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]  # DML gives a CursorResult, typed Result
