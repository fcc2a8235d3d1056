"""Storage of people and their standing: users, grants, sessions, one-time codes and tokens, the audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from waymark.clock import utcnow
from waymark.db.models import Base

__all__ = ["AuditEntry", "OneTimeToken", "RecoveryCode", "ServerSecret", "User", "UserGrant", "UserSession"]


class User(Base):
    """A person who signs in to the admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    """Stored lower-cased (see :func:`waymark.access.passwords.normal_email`): unique regardless of case."""
    password_hash: Mapped[str | None] = mapped_column(String(200), default=None)
    """argon2id (PHC string); ``None`` until an invited person sets one."""
    totp_secret: Mapped[str | None] = mapped_column(String(64), default=None)
    """Base32 TOTP secret, kept as is (verifying a code needs it); set while setting up, then enabled."""
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, default=None)
    """The 30-second step of the last TOTP code taken: a code of that step or an earlier one is refused."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(default=None)
    """A disabled person cannot sign in and their sessions stop working."""


class UserGrant(Base):
    """A person's role in one app (and, for a tenant admin, the one tenant they read)."""

    __tablename__ = "user_grants"
    __table_args__ = (UniqueConstraint("user_id", "app_id", name="uq_user_grants_user_app"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    tenant_id: Mapped[str | None] = mapped_column(String(200), default=None)


class UserSession(Base):
    """A signed-in browser; the cookie holds the id, this table only its SHA-256."""

    __tablename__ = "user_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column()
    last_seen: Mapped[datetime] = mapped_column()
    pending_totp: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """The password was right and the second factor is still to be given: not signed in yet."""


class RecoveryCode(Base):
    """A one-time code that stands in for a TOTP code (SHA-256 stored)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class OneTimeToken(Base):
    """An invitation or password-reset link's token (SHA-256 stored), usable once before it expires."""

    __tablename__ = "one_time_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    """``invite`` or ``reset``."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class AuditEntry(Base):
    """One admin action: who, what, on what, in which app, when and from where."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_app_at", "app_id", "at"),
        Index("ix_audit_log_action_target_at", "action", "target", "at"),
        Index("ix_audit_log_action_ip_at", "action", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(320))
    """The person's email, ``secret key sk_…`` (its prefix) or ``cli``."""
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(400), default="")
    app_id: Mapped[str | None] = mapped_column(String(32), default=None)
    """Not a foreign key: the record outlives a deleted app."""
    ip: Mapped[str] = mapped_column(String(64), default="")


class ServerSecret(Base):
    """Secrets every worker must share (the CSRF signing key when ``WAYMARK_SECRET`` is unset)."""

    __tablename__ = "server_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
