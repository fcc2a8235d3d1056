"""Storage of holdouts: each visitor held out of a guide, recorded once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from waymark.db.models import AppScoped, Base, utcnow

__all__ = ["GuideHoldout"]


class GuideHoldout(AppScoped, Base):
    """A visitor who was eligible for a guide and held out of it (the control arm of its lift report)."""

    __tablename__ = "guide_holdouts"

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    guide_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    visitor_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    tenant_id: Mapped[str | None] = mapped_column(String(200), default=None)
    held_at: Mapped[datetime] = mapped_column(default=utcnow)
    """When the visitor was first eligible and held out: the start of their goal window."""
