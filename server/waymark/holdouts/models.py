"""Storage of holdouts: each visitor held out of a guide, recorded once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from waymark.db.models import AppScoped, Base, DailyUsage, utcnow

__all__ = ["GOAL_INDEX", "GuideHoldout"]

GOAL_INDEX = Index(
    "ix_daily_usage_goal", DailyUsage.app_id, DailyUsage.kind, DailyUsage.key, DailyUsage.visitor_id,
    DailyUsage.day, DailyUsage.tenant_id,
)
"""A lift report's goal rows of its arms' visitors (or tenants, read from the index): probes, not a scan."""


class GuideHoldout(AppScoped, Base):
    """A visitor who was eligible for a guide and held out of it (the control arm of its lift report)."""

    __tablename__ = "guide_holdouts"

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    guide_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    visitor_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    tenant_id: Mapped[str | None] = mapped_column(String(200), default=None)
    held_at: Mapped[datetime] = mapped_column(default=utcnow)
    """When the visitor was first eligible and held out: the start of their goal window."""
