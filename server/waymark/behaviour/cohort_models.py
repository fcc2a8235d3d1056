"""Storage of saved cohorts (behavioural segments) and of who is in each one now.

Membership is derived (see :mod:`waymark.behaviour.cohort_refresh`): a refresh replaces one cohort's
members with what its rule says today. Delivery reads a visitor's rows by the
``(app_id, visitor_id)`` index, never the usage behind them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from waymark.db.models import AppScoped, Base, utcnow

__all__ = ["Cohort", "CohortMember"]


class Cohort(AppScoped, Base):
    """A saved segment of one app: behavioural conditions combined with metadata rules."""

    __tablename__ = "cohorts"

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    rule: Mapped[dict[str, Any]] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    refreshed_at: Mapped[datetime | None] = mapped_column(default=None)
    """When membership was last replaced (``None``: never yet)."""
    size: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Members after the last refresh."""


class CohortMember(AppScoped, Base):
    """One visitor in one cohort, since the refresh that first found them in it."""

    __tablename__ = "cohort_members"
    __table_args__ = (Index("ix_cohort_members_app_visitor", "app_id", "visitor_id", "cohort_id"),)

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    cohort_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    visitor_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    since: Mapped[datetime] = mapped_column(default=utcnow)
