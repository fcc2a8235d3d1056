"""Storage of milestones, each tenant's flag per milestone, and the record of every change of a flag."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from waymark.clock import utcnow
from waymark.db.models import AppScoped, Base

__all__ = ["CRM_FIELD", "Milestone", "MilestoneChange", "MilestoneFlag", "MilestoneSettings"]

CRM_FIELD = "crm_id"
"""The tenant metadata field holding the tenant's id in the sales team's CRM, unless the app names another."""


class Milestone(AppScoped, Base):
    """A named condition over a tenant's behaviour (its ``definition``: see :mod:`waymark.behaviour.milestones`)."""

    __tablename__ = "milestones"

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class MilestoneFlag(AppScoped, Base):
    """One tenant's standing on one milestone: whether it holds, since when, and when it last stopped holding."""

    __tablename__ = "milestone_flags"
    __table_args__ = (Index("ix_milestone_flags_app_tenant", "app_id", "tenant_id"),)

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    milestone_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean)
    became_true_at: Mapped[datetime]
    """When it (last) became true: the day's start for ``visitors_did``, the evaluation for the rolling kinds."""
    became_false_at: Mapped[datetime | None] = mapped_column(default=None)
    """When it stopped holding (rolling kinds); None while it holds."""


class MilestoneChange(AppScoped, Base):
    """A flag became true or false: written in the same transaction as the flag, and only there.

    ``delivered_at`` stays None until whatever posts changes (the webhook) has handed this one over, so
    :func:`waymark.behaviour.milestone_store.pending_changes` is the queue.
    """

    __tablename__ = "milestone_changes"
    __table_args__ = (
        Index("ix_milestone_changes_app_tenant", "app_id", "tenant_id", "id"),
        Index("ix_milestone_changes_pending", "delivered_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"))
    tenant_id: Mapped[str] = mapped_column(String(200))
    milestone_id: Mapped[str] = mapped_column(String(64))
    change: Mapped[str] = mapped_column(String(16))
    """``became_true`` or ``became_false``."""
    at: Mapped[datetime]
    """When the change happened (as the flag's ``became_true_at`` / ``became_false_at``)."""
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)


class MilestoneSettings(AppScoped, Base):
    """The feature's per-app setting: which tenant metadata field holds the CRM id."""

    __tablename__ = "milestone_settings"

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    crm_field: Mapped[str] = mapped_column(String(64), default=CRM_FIELD)
