"""Storage of policies and their evidence: versions as published, the append-only ledger and its chain head."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from waymark.clock import utcnow
from waymark.db.models import AppScoped, Base, DailyUsage

__all__ = ["ACTIVE_BY_TENANT", "PolicyChainCheck", "PolicyChainHead", "PolicyDecisionDay", "PolicyEvidence",
           "PolicyVersion"]

_ACTIVE = text("kind = 'active' AND key = ''")
ACTIVE_BY_TENANT = Index(
    "ix_daily_usage_active_tenant", DailyUsage.app_id, DailyUsage.tenant_id, DailyUsage.visitor_id, DailyUsage.day,
    DailyUsage.kind, DailyUsage.key, sqlite_where=_ACTIVE, postgresql_where=_ACTIVE,
)
"""A page of tenants' first active days since a publication: only their ``active`` rows, read from the index.

Partial (the ``active`` rows are about a fifth of the roll-up), and covering: the query names ``kind`` and
``key`` as literals so that both databases can prove it is within the index's condition."""


class PolicyVersion(AppScoped, Base):
    """One published version of a policy: its text per locale and the SHA-256 of each rendering."""

    __tablename__ = "policy_versions"

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    policy_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str | None] = mapped_column(String(200), default=None)
    """``None``: the policy is the whole app's; else only this tenant's visitors are asked."""
    allow_decline: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    default_locale: Mapped[str] = mapped_column(String(35))
    title: Mapped[dict[str, Any]] = mapped_column(JSON)
    """Locale → plain-text title (a single text is stored under the default locale)."""
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    """Locale → the body as written (Markdown subset or HTML), before sanitising."""
    hashes: Mapped[dict[str, Any]] = mapped_column(JSON)
    """Locale → SHA-256 of the canonical rendered text (see :mod:`waymark.guides.kinds.policy_text`)."""
    published_at: Mapped[datetime] = mapped_column(default=utcnow)


class PolicyEvidence(AppScoped, Base):
    """One decision, append-only: never updated, purged, rewritten by alias resolution or erased."""

    __tablename__ = "policy_evidence"
    __table_args__ = (
        UniqueConstraint("app_id", "seq", name="uq_policy_evidence_app_seq"),
        UniqueConstraint("app_id", "request_id", name="uq_policy_evidence_app_request"),
        Index("ix_policy_evidence_app_policy_visitor", "app_id", "policy_id", "visitor_id"),
        # one tenant's evidence page and export: its rows in chain order, without reading the app's
        Index("ix_policy_evidence_app_tenant_seq", "app_id", "tenant_id", "seq"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    """Position in the app's chain, from 1 with no gap."""
    request_id: Mapped[str] = mapped_column(String(64))
    """Made by the client: a retried request records the decision once."""
    tenant_id: Mapped[str | None] = mapped_column(String(200), default=None)
    visitor_id: Mapped[str] = mapped_column(String(200))
    policy_id: Mapped[str] = mapped_column(String(64))
    policy_version: Mapped[int] = mapped_column(Integer)
    locale: Mapped[str] = mapped_column(String(35))
    text_hash: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(16))
    recorded_at: Mapped[datetime] = mapped_column()
    user_agent: Mapped[str | None] = mapped_column(String(1000), default=None)
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))


class PolicyChainHead(AppScoped, Base):
    """The end of an app's chain; its row lock serialises writers so that the chain never forks."""

    __tablename__ = "policy_chain_heads"

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
    tallied_seq: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    """The chain up to here is counted in :class:`PolicyDecisionDay`; below ``seq`` the day figures are incomplete
    (an app whose evidence predates them, until :func:`waymark.policies.decision_days.rebuild_decision_days`)."""


class PolicyDecisionDay(AppScoped, Base):
    """A whole-app policy version's decisions on one UTC day, as changes: summed over every day up to ``d`` they
    give how many visitors' latest decision was each decision, and how many stood accepted, at the end of ``d``.

    Kept by the ledger as it appends (evidence is never changed, erased or rewritten, so no other writer)."""

    __tablename__ = "policy_decision_days"

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    policy_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    policy_version: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    accepted: Mapped[int] = mapped_column(BigInteger, default=0)
    """The change in visitors whose latest decision is an acceptance (also: who stand accepted)."""
    declined: Mapped[int] = mapped_column(BigInteger, default=0)
    withdrawn: Mapped[int] = mapped_column(BigInteger, default=0)


class PolicyChainCheck(AppScoped, Base):
    """How far the app's chain was last verified: a view verifies only the records appended after ``seq``.

    ``last_hash`` is the verified record's hash, so the next record must link to it. What lies at or before
    ``seq`` is trusted here; the full check (:data:`waymark.policies.chain_status.CHAIN_CHECK_SECONDS`) reproves
    it from the first record and, on a break, moves ``seq`` back to the last good record."""

    __tablename__ = "policy_chain_checks"

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
    checked_at: Mapped[datetime] = mapped_column()
    full_checked_at: Mapped[datetime | None] = mapped_column(default=None)
    """The last check from the first record (None: never)."""
