"""Storage of the report summaries: per-day figures per app and per tenant, and the marks that say what to redo.

The daily roll-up (``daily_usage``) holds one row per visitor per day; a whole-app report over
it grows with the number of visitors. These tables hold one row per day (× page, feature,
browser or language) for the app and one row per day for each tenant, so the overview and the
tenants list read a number of rows that does not grow with the store. They are derived from
``daily_usage`` only (see :mod:`waymark.analytics.summaries`), never from events.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, Float, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from waymark.db.models import AppScoped, Base

__all__ = ["AppDay", "SummaryMark", "TenantDay"]


class SummaryMark(AppScoped, Base):
    """Something to recompute: the app's ``day`` (``part="day"``, tenant ``""``), one tenant's trailing
    figures from ``day`` on (``part="tenant"``), or the app's trailing figures on ``day`` (``part="rolling"``).

    Written by ingestion (insert-or-ignore, in the ingest transaction) and by whatever else changes
    ``daily_usage``; deleted by the refresh that recomputes what it names.
    """

    __tablename__ = "summary_marks"

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    part: Mapped[str] = mapped_column(String(8), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(200), primary_key=True)


class AppDay(AppScoped, Base):
    """One app-wide day: ``kind`` ``active`` (key ``""``), ``page``, ``feature``, ``browser`` or ``language``."""

    __tablename__ = "app_days"

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    visitors: Mapped[int] = mapped_column(Integer, default=0)
    """Distinct visitors that day (exact)."""
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    """Events (``active``), views (``page``), clicks (``feature``), page views (``browser``, ``language``)."""
    ms: Mapped[int] = mapped_column(BigInteger, default=0)
    """Visible time: in the app (``active``) or on the page (``page``)."""
    new_visitors: Mapped[int] = mapped_column(Integer, default=0)
    """Of ``visitors``, those first seen that day (``active`` only)."""
    sketch: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    """The day's visitors as a HyperLogLog sketch: unions over days give distinct counts over a range."""
    wau: Mapped[int | None] = mapped_column(Integer, default=None)
    """Distinct visitors in the 7 days up to ``day`` (``active`` only; None until computed)."""
    mau: Mapped[int | None] = mapped_column(Integer, default=None)
    """Distinct visitors in the 30 days up to ``day`` (``active`` only; None until computed)."""
    days_hist: Mapped[list[Any] | None] = mapped_column(JSON, default=None)
    """``[n1, …, n30]`` over the app's tenants on ``day`` (``active`` only; None until computed)."""
    bands: Mapped[list[Any] | None] = mapped_column(JSON, default=None)
    """Tenants active on 1–4, 5–12 and 13+ of the 30 days up to ``day`` (``active`` only)."""


class TenantDay(AppScoped, Base):
    """One tenant on one day on which it had active visitors in the 30 days up to it (``mau > 0``).

    Besides the day's own figures it holds its trailing windows and running sums from the tenant's
    first day, so that any range's stickiness and activity is the difference of two rows.
    """

    __tablename__ = "tenant_days"
    __table_args__ = (
        Index("ix_tenant_days_app_tenant_day", "app_id", "tenant_id", "day"),
        # What the tenants list reads of every tenant on a day, so it never reads the rows themselves.
        Index("ix_tenant_days_sums", "app_id", "day", "tenant_id", "cum_dau_mau", "cum_wau_mau", "cum_days", "cum_dau",
              "mau", "active_days"),
        # On SQLite the rows are kept in key order, so one day's rows of every tenant sit together.
        {"sqlite_with_rowid": False},
    )

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    dau: Mapped[int] = mapped_column(Integer, default=0)
    wau: Mapped[int] = mapped_column(Integer, default=0)
    """Distinct visitors in the 7 days up to ``day``."""
    mau: Mapped[int] = mapped_column(Integer, default=0)
    """Distinct visitors in the 30 days up to ``day``."""
    events: Mapped[int] = mapped_column(BigInteger, default=0)
    ms: Mapped[int] = mapped_column(BigInteger, default=0)
    new_visitors: Mapped[int] = mapped_column(Integer, default=0)
    active_days: Mapped[int] = mapped_column(Integer, default=0)
    """Days with an active visitor in the 30 days up to ``day`` (the tenant's frequency band)."""
    days_hist: Mapped[list[Any]] = mapped_column(JSON, default=list)
    """``[n1, …, n30]``: visitors active on exactly k of the 30 days up to ``day``."""
    cum_dau_mau: Mapped[float] = mapped_column(Float, default=0.0)
    """Σ dau/mau over the tenant's days up to this one (days with ``mau > 0``)."""
    cum_wau_mau: Mapped[float] = mapped_column(Float, default=0.0)
    cum_days: Mapped[int] = mapped_column(Integer, default=0)
    """How many days with ``mau > 0`` up to this one: the denominator of a range's stickiness."""
    cum_dau: Mapped[int] = mapped_column(BigInteger, default=0)
    """Σ dau up to this day: a range's average daily active visitors (the tenants list's trend)."""
