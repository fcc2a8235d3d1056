"""Storage of webhooks: endpoints and the signing secret per app, the outbox of messages, every delivery attempt."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from waymark.db.models import AppScoped, Base, utcnow

__all__ = ["WebhookAttempt", "WebhookEndpoint", "WebhookMessage", "WebhookSecret"]


class WebhookEndpoint(AppScoped, Base):
    """A URL the app's events are posted to (each message goes to every endpoint of its app)."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookSecret(AppScoped, Base):
    """The app's signing secret: kept as is, since signing needs the key itself; shown once, rotatable."""

    __tablename__ = "webhook_secrets"

    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    secret: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookMessage(AppScoped, Base):
    """One message for one endpoint: its exact body (what is signed), and where its delivery stands."""

    __tablename__ = "webhook_messages"
    __table_args__ = (Index("ix_webhook_messages_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True)
    delivery_id: Mapped[str] = mapped_column(String(32), unique=True)
    """Sent as ``Waymark-Delivery``; the same on every retry, so a receiver can drop a repeat."""
    kind: Mapped[str] = mapped_column(String(64))
    """Sent as ``Waymark-Event`` (``alert.fired``, ``alert.recovered`` …)."""
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    """``pending`` (to send at ``next_attempt_at``), ``delivered`` or ``failed`` (every attempt used)."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(default=None)
    """A worker is sending it until then; another may take it over after (that worker died)."""
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)


class WebhookAttempt(AppScoped, Base):
    """One try at delivering a message: the answer's status code or the error, how long it took, when."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("webhook_messages.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    """1 for the first try."""
    at: Mapped[datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    error: Mapped[str | None] = mapped_column(String(300), default=None)
    """Why it did not count as delivered (a network error, or the non-2xx status); None when delivered."""
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
