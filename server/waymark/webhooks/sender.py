"""Sending the outbox: each due message is claimed by one worker, posted signed, and its attempt logged.

A message that fails (a network error or a non-2xx answer) is tried again after 1 minute, 5 minutes,
30 minutes, 2 hours and 12 hours; after the sixth failure it is given up (``failed``). Redirects are not
followed (a 3xx is a failure): the signed body goes to the address the owner gave, nowhere else.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import NamedTuple

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from waymark.clock import as_utc, utcnow
from waymark.db.scope import app_session
from waymark.webhooks.models import WebhookAttempt, WebhookEndpoint, WebhookMessage, WebhookSecret
from waymark.webhooks.signing import signature_header

__all__ = ["BACKOFF", "MAX_ATTEMPTS", "Outcome", "WebhookSender", "next_state"]

BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
           timedelta(hours=12))
"""The wait before each retry: the n-th failure waits ``BACKOFF[n - 1]``."""
MAX_ATTEMPTS = len(BACKOFF) + 1
_CLAIM = timedelta(minutes=2)
"""How long a worker holds a message it is sending (longer than the request's timeout)."""
_BATCH = 100


class Outcome(NamedTuple):
    state: str
    """``delivered``, ``pending`` (to retry) or ``failed`` (given up)."""
    next_attempt_at: datetime | None


def next_state(delivered: bool, attempts: int, now: datetime) -> Outcome:
    """Where a message stands after its ``attempts``-th try (no I/O)."""
    if delivered:
        return Outcome("delivered", None)
    if attempts >= MAX_ATTEMPTS:
        return Outcome("failed", None)
    return Outcome("pending", now + BACKOFF[attempts - 1])


class _Claimed(NamedTuple):
    delivery_id: str
    kind: str
    body: str
    attempts: int
    url: str
    secret: str


class WebhookSender:
    """Sends due messages of every app; ``clock`` is when it is (tests move it instead of waiting)."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], *, timeout: float = 10.0,
                 clock: Callable[[], datetime] = utcnow, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._sessionmaker = sessionmaker
        self._timeout = timeout
        self._clock = clock
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout, follow_redirects=False,
                                             transport=self._transport)
        return self._client

    async def send_due(self) -> int:
        """Try every message due now (that no other worker holds); how many attempts were made."""
        now = self._clock()
        async with self._sessionmaker() as session:  # a worker's look across apps; each message is then app-bound
            due = (await session.execute(
                select(WebhookMessage.id, WebhookMessage.app_id)
                .where(WebhookMessage.state == "pending", WebhookMessage.next_attempt_at <= now,
                       or_(WebhookMessage.claimed_until.is_(None), WebhookMessage.claimed_until < now))
                .order_by(WebhookMessage.next_attempt_at, WebhookMessage.id).limit(_BATCH))).all()
        made = 0
        for message_id, app_id in due:
            made += await self._attempt(app_id, message_id)
        return made

    async def _claim(self, app_id: str, message_id: int, now: datetime) -> _Claimed | None:
        async with app_session(self._sessionmaker, app_id) as session:
            taken = await session.execute(
                update(WebhookMessage)
                .where(WebhookMessage.id == message_id, WebhookMessage.state == "pending",
                       or_(WebhookMessage.claimed_until.is_(None), WebhookMessage.claimed_until < now))
                .values(claimed_until=now + _CLAIM).execution_options(synchronize_session=False))
            if not getattr(taken, "rowcount", 0):
                await session.rollback()
                return None
            row = (await session.execute(
                select(WebhookMessage.delivery_id, WebhookMessage.kind, WebhookMessage.body, WebhookMessage.attempts,
                       WebhookEndpoint.url, WebhookSecret.secret)
                .join(WebhookEndpoint, WebhookEndpoint.id == WebhookMessage.endpoint_id)
                .join(WebhookSecret, WebhookSecret.app_id == WebhookMessage.app_id)
                .where(WebhookMessage.id == message_id))).one_or_none()
            await session.commit()
        return None if row is None else _Claimed(*row)

    async def _attempt(self, app_id: str, message_id: int) -> int:
        now = self._clock()
        claimed = await self._claim(app_id, message_id, now)
        if claimed is None:
            return 0
        body = claimed.body.encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Waymark-Webhooks/1",
            "Waymark-Event": claimed.kind,
            "Waymark-Delivery": claimed.delivery_id,
            "Waymark-Signature": signature_header(claimed.secret, int(as_utc(now).timestamp()), body),
        }
        started = time.perf_counter()
        status: int | None = None
        error: str | None = None
        try:
            answer = await self._http().post(claimed.url, content=body, headers=headers)
            status = answer.status_code
            if not 200 <= status < 300:
                error = f"answered HTTP {status}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:300] if str(exc) else type(exc).__name__
        duration = round((time.perf_counter() - started) * 1000)
        number = claimed.attempts + 1
        outcome = next_state(error is None, number, now)
        async with app_session(self._sessionmaker, app_id) as session:
            session.add(WebhookAttempt(app_id=app_id, message_id=message_id, number=number, at=now,
                                       status_code=status, error=error, duration_ms=duration))
            values: dict[str, object] = {"attempts": number, "state": outcome.state, "claimed_until": None}
            if outcome.next_attempt_at is not None:
                values["next_attempt_at"] = outcome.next_attempt_at
            if outcome.state == "delivered":
                values["delivered_at"] = now
            await session.execute(update(WebhookMessage).where(WebhookMessage.id == message_id).values(**values)
                                  .execution_options(synchronize_session=False))
            await session.commit()
        return 1
