"""Storage models for every domain, in one place so that migrations see them all."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from waymark.clock import utcnow

__all__ = [
    "App",
    "AppScoped",
    "Base",
    "DailyUsage",
    "Erasure",
    "Event",
    "FeatureDefinition",
    "Guide",
    "GuideState",
    "GuideVersion",
    "IdentitySecret",
    "PageDefinition",
    "PendingBackfill",
    "SecretKey",
    "Tenant",
    "Visitor",
    "VisitorAlias",
    "utcnow",
]


class Base(DeclarativeBase):
    type_annotation_map = {
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSON,
    }


class AppScoped:
    """Marker for rows that belong to one app: sessions bound to an app only ever see that app's rows.

    The filter itself lives in :mod:`waymark.db.scope`.
    """

    app_id: Mapped[str]


class App(Base):
    __tablename__ = "apps"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    public_key: Mapped[str] = mapped_column(String(64), unique=True)
    guides_version: Mapped[int] = mapped_column(Integer, default=0)
    """Bumped on every push or rollback: tells every worker that its guide snapshot is stale."""
    throttle_seconds: Mapped[int] = mapped_column(Integer, default=86400)
    """At most one automatic guide per visitor per this interval."""
    max_auto_guides_per_day: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """At most this many automatic guides per visitor per UTC day; 0 sets no daily cap."""
    honor_dnt: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Visitors whose browser sends Do Not Track send no events."""
    retention_days: Mapped[int | None] = mapped_column(Integer, default=None)
    """Events older than this are purged; ``None`` keeps them."""
    require_identity: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Only visitors whose identity the host app signed may get guides or send events."""
    require_totp: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Everyone with a role in this app must use a second factor (TOTP) to sign in to the admin."""
    benchmark_k: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    """A benchmark's peer group needs at least this many tenants with data (5 or more; see waymark.peers)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SecretKey(AppScoped, Base):
    __tablename__ = "secret_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    prefix: Mapped[str] = mapped_column(String(16))
    """The first characters of the key, shown in listings so a key can be recognised."""
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    """SHA-256 of the key: keys are 256-bit random, so a fast hash is enough and a leak reveals nothing."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class Tenant(AppScoped, Base):
    __tablename__ = "tenants"

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """The tenant stopped collection: its visitors' events are dropped, the widget sends none."""
    drop_fields: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    """Visitor fields never stored for this tenant's visitors (``email`` …)."""


class Visitor(AppScoped, Base):
    __tablename__ = "visitors"

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    tenant_id: Mapped[str | None] = mapped_column(String(200), default=None)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_auto_guide_at: Mapped[datetime | None] = mapped_column(default=None)
    """When an automatic, throttled guide was last shown to this visitor."""
    last_auto_guide_id: Mapped[str | None] = mapped_column(String(64), default=None)
    """Which guide that was (the explainer names it)."""
    auto_guides_day: Mapped[datetime | None] = mapped_column(default=None)
    """The UTC day (at midnight) that ``auto_guides_count`` counts."""
    auto_guides_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Automatic, throttled guides shown to this visitor on ``auto_guides_day``."""


class Guide(AppScoped, Base):
    __tablename__ = "guides"

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    published_version: Mapped[int | None] = mapped_column(Integer, default=None)
    """The version the widget gets; ``None`` once unpublished."""
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class GuideVersion(AppScoped, Base):
    __tablename__ = "guide_versions"
    __table_args__ = (UniqueConstraint("app_id", "guide_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"))
    guide_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]] = mapped_column()
    """The guide file as validated data: what the snapshot is compiled from."""
    source: Mapped[str | None] = mapped_column(String(500), default=None)
    """The file it was pushed from, for people reading the history."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class GuideState(AppScoped, Base):
    __tablename__ = "guide_states"

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    visitor_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    guide_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    step: Mapped[int] = mapped_column(Integer, default=0)
    last_seen_at: Mapped[datetime | None] = mapped_column(default=None)
    snoozed_until: Mapped[datetime | None] = mapped_column(default=None)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Event(AppScoped, Base):
    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("app_id", "event_id", name="uq_events_app_event_id"),
        Index("ix_events_app_ts", "app_id", "ts"),
        Index("ix_events_app_visitor_ts", "app_id", "visitor_id", "ts"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(64))
    """The client-made id: a resend of the same event is stored once."""
    type: Mapped[str] = mapped_column(String(32))
    name: Mapped[str | None] = mapped_column(String(200), default=None)
    visitor_id: Mapped[str] = mapped_column(String(200))
    tenant_id: Mapped[str | None] = mapped_column(String(200), default=None)
    guide_id: Mapped[str | None] = mapped_column(String(64), default=None)
    guide_version: Mapped[int | None] = mapped_column(Integer, default=None)
    step: Mapped[int | None] = mapped_column(Integer, default=None)
    url: Mapped[str | None] = mapped_column(Text, default=None)
    ts: Mapped[datetime] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    props: Mapped[dict[str, Any]] = mapped_column(default=dict)


class VisitorAlias(AppScoped, Base):
    """An id a visitor had before (anonymous), resolved to the id they have now."""

    __tablename__ = "visitor_aliases"

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    alias: Mapped[str] = mapped_column(String(200), primary_key=True)
    visitor_id: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Erasure(AppScoped, Base):
    """The record that a visitor's data was erased (kept; holds no personal data beyond the id)."""

    __tablename__ = "erasures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    visitor_id: Mapped[str] = mapped_column(String(200))
    events_deleted: Mapped[int] = mapped_column(Integer)
    evidence_kept: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Policy decisions kept as legal-obligation records (see :mod:`waymark.policies`)."""
    erased_at: Mapped[datetime] = mapped_column(default=utcnow)


class PageDefinition(AppScoped, Base):
    """A named page: a URL rule (``/invoices/*``) applied to every page event, past ones too."""

    __tablename__ = "page_definitions"

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    rule: Mapped[dict[str, Any]] = mapped_column()
    """A page rule as in guide files: ``{"path": …, "host": …, "query": {…}}``."""
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class FeatureDefinition(AppScoped, Base):
    """A named feature: a CSS selector (subset) matched against stored click descriptors, optionally on a page."""

    __tablename__ = "feature_definitions"

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    selector: Mapped[str] = mapped_column(String(500))
    page: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DailyUsage(AppScoped, Base):
    """The roll-up reports read: per day × tenant × visitor × (page | feature | event | guide)."""

    __tablename__ = "daily_usage"
    __table_args__ = (
        # One thing's rows over a range of days, from the index alone: trends, retention, impact, cohorts and
        # milestones ask for one page, feature, event or ``active`` at a time, and the primary key (day first)
        # made them step over every other thing's rows of those days.
        Index("ix_daily_usage_ref", "app_id", "kind", "key", "day", "tenant_id", "visitor_id", "count"),
    )

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    """``""`` for events without a tenant (primary keys cannot be null)."""
    visitor_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    """``page`` | ``feature`` | ``event`` (track name) | ``guide`` | ``active`` (any event)."""
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    ms: Mapped[int] = mapped_column(BigInteger, default=0)
    """Visible time, for pages."""


class IdentitySecret(AppScoped, Base):
    """A key the host app signs visitor identities with (HS256); two may be active while rotating."""

    __tablename__ = "identity_secrets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    secret: Mapped[str] = mapped_column(String(128))
    """Kept as is: verifying an HMAC needs the key itself."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class PendingBackfill(Base):
    """A back-fill a migration found needed and the application has not run yet (``waymark db upgrade`` runs it).

    Migrations change the schema only; filling new tables from the rows already stored takes the
    application's own code, so a migration marks the work here and :mod:`waymark.upgrade` does it
    right after, deleting the mark in the transaction that did the work.
    """

    __tablename__ = "pending_backfills"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    marked_at: Mapped[datetime] = mapped_column(server_default=func.now())
