"""Storage of the guide figures: one row per guide × day × tenant × visitor, each visitor's open showing, and each
guide-day's figures as sketches (what whole-app reports read)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from waymark.db.models import AppScoped, Base

__all__ = ["GuideDailyStat", "GuideDaySketch", "GuideRun"]


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


class GuideDaySketch(AppScoped, Base):
    """One figure of one guide's UTC day over every visitor (:mod:`waymark.guidestats.sketches`): a sum, or a set
    of visitors as a sketch, so a whole-app range reads a few rows per day, not a row per visitor."""

    __tablename__ = "guide_day_sketches"
    # The guides list reads every guide of a date range.
    __table_args__ = (Index("ix_guide_day_sketches_app_day", "app_id", "day", "figure"),)

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    guide_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    figure: Mapped[str] = mapped_column(String(16), primary_key=True)
    """``views``, ``anchor_events``, ``timed`` (sums), ``seen``, ``completed``, ``dismissed``, ``snoozed``,
    ``anchored`` or ``top:N`` (visitor sets)."""
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    """The sum, or the day's distinct visitors (the sketch's estimate: exact below 4,096)."""
    sketch: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    """A Theta sketch of the visitors, or for ``timed`` a KLL sketch of the showings' lengths (ms)."""
