"""What the milestone API and pages answer: milestones, tenants' flags, and the changes of flags."""

from __future__ import annotations

from datetime import datetime

import msgspec

from waymark.analytics.overview_schemas import TenantMilestone
from waymark.behaviour.milestones import Kind

__all__ = ["FlagRow", "MilestoneChangeOut", "MilestoneOut", "MilestonesPage", "TenantMilestone"]


class MilestoneOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A milestone as defined (the kind's fields only) and, on the admin page, how many tenants hold it now."""

    id: str
    kind: Kind
    name: str
    description: str
    ref: str | None = None
    at_least: int | None = None
    within_days: int | None = None
    field: str | None = None
    percent: float | None = None
    days: int | None = None
    flagged: int | None = None


class FlagRow(msgspec.Struct, kw_only=True):
    """One tenant's flag on one milestone, keyed by the tenant's id and its CRM id (from its metadata)."""

    tenant: str
    crm_id: str | None
    milestone: str
    name: str
    active: bool
    became_true_at: datetime
    became_false_at: datetime | None


class MilestoneChangeOut(msgspec.Struct, kw_only=True):
    """A flag that changed: what the webhook posts."""

    id: int
    app_id: str
    tenant: str
    milestone: str
    change: str
    """``became_true`` or ``became_false``."""
    at: datetime
    recorded_at: datetime


class MilestonesPage(msgspec.Struct, kw_only=True):
    """The admin page: every milestone with its flagged tenants, and the CRM id field of the export."""

    crm_field: str
    milestones: list[MilestoneOut]
    flags: list[FlagRow]
