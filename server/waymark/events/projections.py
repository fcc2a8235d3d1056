"""What ingestion hands stored events to: projections that ``create_app`` registers, none it knows by name.

Ingestion stores events and keeps people and guide state; everything derived for reports
(daily roll-ups, survey tallies, …) is a projection. Each one runs inside the ingest
transaction, so it commits or rolls back with the events, and it receives only events stored
for the first time, which makes it idempotent per event id (a resend reaches no projection).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from waymark.events.schemas import AnyEvent

__all__ = ["Projection"]


class Projection(Protocol):
    """One derived view of the events, kept up to date by every ingest."""

    async def project(self, session: AsyncSession, app_id: str, stored: Sequence[AnyEvent]) -> None:
        """Fold events stored for the first time (in time order) into the view, in the caller's transaction."""

    async def tenant_assigned(
        self, session: AsyncSession, app_id: str, visitor: str, tenant: str, days: set[date]
    ) -> None:
        """A visitor's events stored without a tenant on ``days`` now carry ``tenant``: move what was counted."""
