"""The guide figures as an ingestion projection (registered in :mod:`waymark.wiring`): idempotent per event id.

Ingestion hands it only events stored for the first time, so a resend counts nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from waymark.clock import as_utc
from waymark.events.schemas import AliasEvent, AnyEvent, GuideEvent
from waymark.guidestats.fold import COUNTED, GuideFold
from waymark.guidestats.sketch_store import add_to_sketches
from waymark.guidestats.store import add_rows, assign_tenant, load_runs, merge_visitor, save_runs

__all__ = ["GuideStats", "fold_events"]


def _kind(ev: AnyEvent) -> str:
    return type(ev).__struct_config__.tag  # type: ignore[return-value]  # every event class has a str tag


async def fold_events(session: AsyncSession, app_id: str, stored: Sequence[AnyEvent]) -> None:
    """Fold newly stored events (in time order) into the day rows and the open showings."""
    renamed = {ev.previous: ev.visitor for ev in stored if isinstance(ev, AliasEvent) and ev.previous != ev.visitor}
    for previous, visitor in renamed.items():
        await merge_visitor(session, app_id, previous, visitor)
    guided = [ev for ev in stored if isinstance(ev, GuideEvent) and _kind(ev) in COUNTED]
    if not guided:
        return
    known = await load_runs(session, app_id, ((ev.guide, renamed.get(ev.visitor, ev.visitor)) for ev in guided))
    fold = GuideFold(known)
    for ev in guided:
        moment = as_utc(ev.ts)
        fold.event(_kind(ev), ev.guide, moment.date(), ev.tenant, renamed.get(ev.visitor, ev.visitor), ev.step,
                   moment)
    await add_rows(session, app_id, fold.rows)
    await add_to_sketches(session, app_id, fold.rows)
    await save_runs(session, app_id, fold, known)


class GuideStats:
    """Per-day guide figures: views, steps reached, ends, missing anchors and time on guide."""

    async def project(self, session: AsyncSession, app_id: str, stored: Sequence[AnyEvent]) -> None:
        await fold_events(session, app_id, stored)

    async def tenant_assigned(
        self, session: AsyncSession, app_id: str, visitor: str, tenant: str, days: set[date]
    ) -> None:
        await assign_tenant(session, app_id, visitor, tenant, days)
