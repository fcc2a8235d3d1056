"""The outbox: a message per endpoint of the app, written in the caller's transaction (it is sent after commit).

Other features post their events through :func:`enqueue`: an alert firing, a tenant's milestone flag changing.
Writing in the same transaction as the change means the change and its message are stored together or not at all.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.clock import utcnow
from waymark.webhooks.models import WebhookEndpoint, WebhookMessage

__all__ = ["KIND", "enqueue", "enqueue_many"]

KIND = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){0,3}")
"""An event kind: dotted lower-case words, such as ``alert.fired`` or ``tenant.milestone_changed``."""


async def enqueue(session: AsyncSession, app_id: str, kind: str, payload: dict[str, Any], *,
                  now: datetime | None = None) -> int:
    """Add a message of ``kind`` carrying ``payload`` for each of the app's endpoints; how many were added.

    The body is ``{"id", "event", "app_id", "created_at", "data": payload}`` as JSON; ``id`` is the delivery id
    (``Waymark-Delivery``). Nothing is committed here: the caller's commit stores the messages with its change.
    ``payload`` must encode as JSON (:class:`TypeError` otherwise, before anything is written).
    """
    return await enqueue_many(session, app_id, kind, [payload], now=now)


async def enqueue_many(session: AsyncSession, app_id: str, kind: str, payloads: Sequence[dict[str, Any]], *,
                       now: datetime | None = None) -> int:
    """:func:`enqueue` for each of ``payloads``, reading the app's endpoints once; how many messages were added.

    A milestone's first evaluation can change thousands of flags at once: one read of the endpoints, not one
    per change, is what keeps handing them over from costing more than evaluating them.
    """
    if not KIND.fullmatch(kind) or len(kind) > 64:
        raise ValueError(f"webhook kind {kind[:80]!r}: dotted lower-case words, at most 64 characters")
    data = [msgspec.Raw(msgspec.json.encode(payload)) for payload in payloads]
    moment = now or utcnow()
    endpoints = (await session.scalars(
        select(WebhookEndpoint.id).where(WebhookEndpoint.app_id == app_id).order_by(WebhookEndpoint.id))).all()
    for raw in data:
        for endpoint_id in endpoints:
            delivery_id = uuid.uuid4().hex
            body = msgspec.json.encode({"id": delivery_id, "event": kind, "app_id": app_id,
                                        "created_at": moment.isoformat(), "data": raw}).decode()
            session.add(WebhookMessage(app_id=app_id, endpoint_id=endpoint_id, delivery_id=delivery_id, kind=kind,
                                       body=body, created_at=moment, state="pending", attempts=0,
                                       next_attempt_at=moment))
    return len(endpoints) * len(data)
