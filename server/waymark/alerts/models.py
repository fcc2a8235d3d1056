"""Storage of alerts: the rules, their firings (one per breach), and the lease that lets one worker evaluate."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from waymark.db.models import AppScoped, Base, utcnow

__all__ = ["AlertFiring", "AlertRule", "WorkerLease"]


class AlertRule(AppScoped, Base):
    """A metric per day or week compared with a threshold, or with the previous period (a percentage change)."""

    __tablename__ = "alert_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    metric: Mapped[str] = mapped_column(String(32))
    """``active_visitors``, ``event_count``, ``nps`` or ``policy_coverage``."""
    target: Mapped[str] = mapped_column(String(300), default="")
    """What the metric is of: an event reference, a survey's guide id, a policy id (empty for active visitors)."""
    period: Mapped[str] = mapped_column(String(8))
    """``day`` or ``week`` (ISO weeks, Monday to Sunday, UTC)."""
    condition: Mapped[str] = mapped_column(String(16))
    """``above``, ``below`` (the value is a threshold), ``rises_by``, ``falls_by`` (a percentage change)."""
    value: Mapped[float] = mapped_column(Float)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    in_breach: Mapped[bool] = mapped_column(Boolean, default=False)
    """The last decided evaluation breached: a firing was recorded and no new one comes until it recovers."""
    last_value: Mapped[float | None] = mapped_column(Float, default=None)
    last_period_start: Mapped[date | None] = mapped_column(Date, default=None)
    last_evaluated_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AlertFiring(AppScoped, Base):
    """A breach of a rule, recorded once for the period it was seen in; ``recovered_at`` once it is over."""

    __tablename__ = "alert_firings"
    __table_args__ = (UniqueConstraint("rule_id", "period_start", name="uq_alert_firings_rule_period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rules.id", ondelete="CASCADE"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Float)
    previous: Mapped[float | None] = mapped_column(Float, default=None)
    """The previous period's value (percentage-change rules)."""
    fired_at: Mapped[datetime] = mapped_column(default=utcnow)
    recovered_at: Mapped[datetime | None] = mapped_column(default=None)


class WorkerLease(Base):
    """On SQLite, which has no advisory locks: a named lease one worker holds until ``until`` (then it lapses)."""

    __tablename__ = "worker_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(64), default=None)
    until: Mapped[datetime | None] = mapped_column(default=None)
