"""An app's webhook settings: endpoints, the signing secret (made with the first endpoint, rotatable), the log."""

from __future__ import annotations

from datetime import datetime

import msgspec
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.clock import as_utc, utcnow
from waymark.webhooks.models import WebhookAttempt, WebhookEndpoint, WebhookMessage, WebhookSecret
from waymark.webhooks.signing import new_secret
from waymark.webhooks.urls import check_endpoint_url

__all__ = [
    "MAX_ENDPOINTS",
    "DeliveryAttempt",
    "Endpoint",
    "TooManyEndpoints",
    "add_endpoint",
    "delivery_log",
    "list_endpoints",
    "remove_endpoint",
    "rotate_secret",
    "secret_hint",
]

MAX_ENDPOINTS = 10


class TooManyEndpoints(ValueError):
    """The app has :data:`MAX_ENDPOINTS` already."""


class Endpoint(msgspec.Struct, kw_only=True):
    id: int
    url: str
    created_at: datetime


class DeliveryAttempt(msgspec.Struct, kw_only=True):
    """One try at delivering a message, as the log shows it."""

    delivery_id: str
    event: str
    url: str
    attempt: int
    at: datetime
    status_code: int | None
    error: str | None
    """None when delivered (a 2xx answer)."""
    duration_ms: int
    state: str
    """Where the message stands now: ``pending`` (another try is due), ``delivered`` or ``failed``."""
    next_attempt_at: datetime | None
    """When the next try is due, while pending."""


async def list_endpoints(session: AsyncSession, app_id: str) -> list[Endpoint]:
    rows = await session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.app_id == app_id)
                                 .order_by(WebhookEndpoint.id))
    return [Endpoint(id=e.id, url=e.url, created_at=as_utc(e.created_at)) for e in rows]


async def add_endpoint(session: AsyncSession, app_id: str, raw_url: str) -> tuple[Endpoint, str | None]:
    """Add an endpoint (:class:`~waymark.webhooks.urls.EndpointUrlError` for a bad URL); with the app's first,
    a signing secret is made and returned, to be shown once (None when the app has one already)."""
    url = check_endpoint_url(raw_url)
    count = await session.scalar(select(func.count()).select_from(WebhookEndpoint)
                                 .where(WebhookEndpoint.app_id == app_id)) or 0
    if count >= MAX_ENDPOINTS:
        raise TooManyEndpoints(f"url: an app has at most {MAX_ENDPOINTS} endpoints; remove one first")
    made: str | None = None
    if await session.get(WebhookSecret, app_id) is None:
        made = new_secret()
        session.add(WebhookSecret(app_id=app_id, secret=made, created_at=utcnow()))
    endpoint = WebhookEndpoint(app_id=app_id, url=url, created_at=utcnow())
    session.add(endpoint)
    await session.flush()
    return Endpoint(id=endpoint.id, url=endpoint.url, created_at=as_utc(endpoint.created_at)), made


async def remove_endpoint(session: AsyncSession, app_id: str, endpoint_id: int) -> bool:
    """Remove an endpoint, its undelivered messages and their log; False when there was none."""
    messages = select(WebhookMessage.id).where(WebhookMessage.app_id == app_id,
                                               WebhookMessage.endpoint_id == endpoint_id)
    await session.execute(delete(WebhookAttempt).where(WebhookAttempt.app_id == app_id,
                                                       WebhookAttempt.message_id.in_(messages)))
    await session.execute(delete(WebhookMessage).where(WebhookMessage.app_id == app_id,
                                                       WebhookMessage.endpoint_id == endpoint_id))
    gone = await session.execute(delete(WebhookEndpoint).where(WebhookEndpoint.app_id == app_id,
                                                               WebhookEndpoint.id == endpoint_id))
    return bool(getattr(gone, "rowcount", 0))


async def rotate_secret(session: AsyncSession, app_id: str) -> str:
    """A new signing secret replaces the old one at once (messages not yet sent are signed with the new one)."""
    made = new_secret()
    found = await session.get(WebhookSecret, app_id)
    if found is None:
        session.add(WebhookSecret(app_id=app_id, secret=made, created_at=utcnow()))
    else:
        found.secret, found.created_at = made, utcnow()
    await session.flush()
    return made


async def secret_hint(session: AsyncSession, app_id: str) -> tuple[str, datetime] | None:
    """The secret's first characters and when it was made (the secret itself is shown only when made)."""
    found = await session.get(WebhookSecret, app_id)
    return None if found is None else (found.secret[:12], as_utc(found.created_at))


async def delivery_log(session: AsyncSession, app_id: str, limit: int = 100) -> list[DeliveryAttempt]:
    """The latest attempts, newest first."""
    m, a = WebhookMessage, WebhookAttempt
    rows = (await session.execute(
        select(m.delivery_id, m.kind, WebhookEndpoint.url, a.number, a.at, a.status_code, a.error, a.duration_ms,
               m.state, m.next_attempt_at)
        .join(m, m.id == a.message_id).join(WebhookEndpoint, WebhookEndpoint.id == m.endpoint_id)
        .where(a.app_id == app_id).order_by(a.at.desc(), a.id.desc()).limit(limit))).all()
    return [DeliveryAttempt(delivery_id=r[0], event=r[1], url=r[2], attempt=r[3], at=as_utc(r[4]), status_code=r[5],
                            error=r[6], duration_ms=r[7], state=r[8],
                            next_attempt_at=as_utc(r[9]) if r[8] == "pending" else None) for r in rows]
