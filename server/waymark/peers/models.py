"""Storage of benchmark snapshots: each tenant's figures for the latest period, and when and by whom they were made."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from waymark.db.models import AppScoped, Base

__all__ = ["BenchmarkRun", "BenchmarkSnapshot"]


class BenchmarkRun(AppScoped, Base):
    """One per app: the snapshot now stored, and the lease that lets one worker at a time recompute it."""

    __tablename__ = "benchmark_runs"

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    computed_at: Mapped[datetime | None] = mapped_column(default=None)
    """When the stored snapshot was computed; None before the first one."""
    period_start: Mapped[date | None] = mapped_column(Date, default=None)
    period_end: Mapped[date | None] = mapped_column(Date, default=None)
    opted_out: Mapped[list[str]] = mapped_column(JSON, default=list)
    """Tenants that had opted out when it was computed (left out of it)."""
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    """A worker is computing a new snapshot until then (another may take over after)."""


class BenchmarkSnapshot(AppScoped, Base):
    """A tenant's figures in the stored snapshot (tenants that opted out have no row)."""

    __tablename__ = "benchmark_snapshots"

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    groups: Mapped[dict[str, Any]] = mapped_column(JSON)
    """Peer group kind → the tenant's group (None: in no group of that kind), from its metadata then."""
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    """Metric → the tenant's figure (None: no data)."""
    bases: Mapped[dict[str, Any]] = mapped_column(JSON)
    """Metric → the figure's denominator (visitors, answers, guides seen)."""
