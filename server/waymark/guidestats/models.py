"""Storage of the guide figures: one row per guide × day × tenant × visitor, and each visitor's open showing."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from waymark.db.models import AppScoped, Base

__all__ = ["GuideDailyStat", "GuideRun"]


class GuideDailyStat(AppScoped, Base):
    """What one visitor did with one guide on one UTC day: exact sets, so distinct visitors merge over any range."""

    __tablename__ = "guide_daily_stats"
    __table_args__ = (
        # The guides list reads every guide of a date range: the range first, and the columns it sums.
        Index("ix_guide_daily_stats_app_day", "app_id", "day", "guide_id", "visitor_id", "seen", "completed"),
        # Aliases, a late tenant and erasure find one visitor's rows.
        Index("ix_guide_daily_stats_app_visitor", "app_id", "visitor_id"),
        # A lift report: each visitor's first day seen, in visitor order, from the index alone.
        Index("ix_guide_daily_stats_app_guide_visitor", "app_id", "guide_id", "visitor_id", "day", "seen"),
    )

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    guide_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    """``""`` for events without a tenant (until the visitor gets one)."""
    visitor_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    seen: Mapped[int] = mapped_column(Integer, default=0)
    """``guide_seen`` events: views."""
    top_step: Mapped[int] = mapped_column(Integer, default=-1)
    """The highest step (0-based) shown that day, by ``guide_seen`` or ``guide_step_advanced``; -1 for none."""
    completed: Mapped[int] = mapped_column(Integer, default=0)
    dismissed: Mapped[int] = mapped_column(Integer, default=0)
    snoozed: Mapped[int] = mapped_column(Integer, default=0)
    anchor_missing: Mapped[int] = mapped_column(Integer, default=0)
    """``guide_anchor_missing`` events: a tooltip's element never appeared, so the guide was not shown."""
    timed: Mapped[int] = mapped_column(Integer, default=0)
    """Showings that ended (completed or dismissed) this day with a known start."""
    timed_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    """Their summed length, from the showing's first ``guide_seen`` to its end."""


class GuideRun(AppScoped, Base):
    """A showing in progress: when the visitor first saw the guide since it last ended (time on guide starts here)."""

    __tablename__ = "guide_runs"
    __table_args__ = (Index("ix_guide_runs_app_visitor", "app_id", "visitor_id"),)

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    guide_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    visitor_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    started_at: Mapped[datetime] = mapped_column()
