"""Webhook delivery against a real HTTP server on a local port: signed as documented, retried with backoff, logged."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.support import make_app
from tests.webhooks.helpers import Clock, endpoint, own_sessionmaker, readme_verify
from tests.webhooks.receiver import Receiver
from waymark.clock import utcnow
from waymark.db.scope import app_session
from waymark.settings import Settings
from waymark.webhooks.models import WebhookMessage
from waymark.webhooks.outbox import enqueue
from waymark.webhooks.sender import WebhookSender


async def _enqueue(sessionmaker: async_sessionmaker[AsyncSession], app_id: str, kind: str,
                   payload: dict[str, object]) -> int:
    async with app_session(sessionmaker, app_id) as session:
        made = await enqueue(session, app_id, kind, payload)
        await session.commit()
    return made


async def _log(client: AsyncTestClient, secret_key: str) -> list[dict[str, object]]:
    answer = await client.get("/api/v1/webhooks/deliveries", headers={"Authorization": f"Bearer {secret_key}"})
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def test_a_delivery_verifies_with_the_readme_recipe(client: AsyncTestClient, settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    app = await make_app(settings)
    verify = readme_verify()
    async with Receiver.answering() as receiver:
        secret = await endpoint(sessionmaker, app.id, receiver.url)
        assert secret is not None and secret.startswith("whsec_")
        assert await _enqueue(sessionmaker, app.id, "alert.fired", {"rule": {"id": 7}, "value": 2.5}) == 1
        sender = WebhookSender(sessionmaker)
        try:
            assert await sender.send_due() == 1
            assert await sender.send_due() == 0  # delivered: nothing due any more
        finally:
            await sender.close()
    [got] = receiver.received
    assert (got.method, got.path) == ("POST", "/hooks/waymark")
    body = json.loads(got.body)
    assert body["event"] == "alert.fired" and body["app_id"] == app.id
    assert body["data"] == {"rule": {"id": 7}, "value": 2.5}
    assert got.headers["waymark-event"] == "alert.fired"
    assert got.headers["waymark-delivery"] == body["id"]
    assert got.headers["content-type"] == "application/json"
    header = got.headers["waymark-signature"]
    assert verify(secret, header, got.body)
    # what the recipe refuses: another body, another secret, an old timestamp, a header without its parts
    assert not verify(secret, header, got.body.replace(b"2.5", b"9.5"))
    assert not verify(secret + "x", header, got.body)
    assert not verify(secret, header, got.body, tolerance=-1)
    assert not verify(secret, "v1=" + header.split("v1=")[1], got.body)
    [attempt] = await _log(client, app.secret_key)
    assert (attempt["attempt"], attempt["status_code"], attempt["error"], attempt["state"]) == (1, 200, None,
                                                                                                "delivered")
    assert attempt["delivery_id"] == body["id"] and attempt["url"] == receiver.url


async def test_a_failed_delivery_is_retried_with_backoff(client: AsyncTestClient, settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    app = await make_app(settings)
    async with Receiver.answering([500, 503]) as receiver:
        await endpoint(sessionmaker, app.id, receiver.url)
        await _enqueue(sessionmaker, app.id, "alert.fired", {"n": 1})
        clock = Clock(utcnow())
        sender = WebhookSender(sessionmaker, clock=clock)
        try:
            assert await sender.send_due() == 1  # answered 500
            clock.advance(timedelta(seconds=59))
            assert await sender.send_due() == 0  # the first retry waits a minute
            clock.advance(timedelta(seconds=1))
            assert await sender.send_due() == 1  # answered 503
            clock.advance(timedelta(minutes=5) - timedelta(seconds=1))
            assert await sender.send_due() == 0  # the second waits five minutes
            clock.advance(timedelta(seconds=1))
            assert await sender.send_due() == 1  # answered 200
            clock.advance(timedelta(days=1))
            assert await sender.send_due() == 0
        finally:
            await sender.close()
    assert len(receiver.received) == 3
    # one delivery, retried: the same id every time, the body unchanged
    assert len({r.headers["waymark-delivery"] for r in receiver.received}) == 1
    assert len({r.body for r in receiver.received}) == 1
    log = await _log(client, app.secret_key)
    assert [(a["attempt"], a["status_code"], a["error"]) for a in log] == [
        (3, 200, None), (2, 503, "answered HTTP 503"), (1, 500, "answered HTTP 500")]
    assert all(a["state"] == "delivered" and isinstance(a["duration_ms"], int) for a in log)


async def test_an_unreachable_endpoint_is_given_up_after_six_attempts(client: AsyncTestClient, settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    app = await make_app(settings)
    async with Receiver.answering() as closed:
        url = closed.url  # the port is free again once this server is gone: connections are refused
    await endpoint(sessionmaker, app.id, url)
    await _enqueue(sessionmaker, app.id, "alert.fired", {"n": 1})
    clock = Clock(utcnow())
    sender = WebhookSender(sessionmaker, clock=clock)
    waits = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
             timedelta(hours=12)]
    try:
        assert await sender.send_due() == 1
        for wait in waits:
            log = await _log(client, app.secret_key)
            assert log[0]["state"] == "pending"
            assert log[0]["next_attempt_at"] is not None
            clock.advance(wait - timedelta(seconds=1))
            assert await sender.send_due() == 0, f"retried before {wait}"
            clock.advance(timedelta(seconds=1))
            assert await sender.send_due() == 1
        clock.advance(timedelta(days=30))
        assert await sender.send_due() == 0  # given up
    finally:
        await sender.close()
    log = await _log(client, app.secret_key)
    assert [a["attempt"] for a in log] == [6, 5, 4, 3, 2, 1]
    assert all(a["status_code"] is None and "ConnectError" in str(a["error"]) for a in log)
    assert {a["state"] for a in log} == {"failed"}
    async with app_session(sessionmaker, app.id) as session:
        [message] = (await session.scalars(select(WebhookMessage))).all()
    assert (message.state, message.attempts) == ("failed", 6)


async def test_two_senders_never_post_the_same_attempt(client: AsyncTestClient, settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    app = await make_app(settings)
    async with Receiver.answering() as receiver:
        await endpoint(sessionmaker, app.id, receiver.url)
        for n in range(5):
            await _enqueue(sessionmaker, app.id, "alert.fired", {"n": n})
        async with own_sessionmaker(settings) as other_worker:
            first, second = WebhookSender(sessionmaker), WebhookSender(other_worker)
            try:
                made = await asyncio.gather(first.send_due(), second.send_due())
            finally:
                await first.close()
                await second.close()
    assert sum(made) == 5
    assert sorted(json.loads(r.body)["data"]["n"] for r in receiver.received) == [0, 1, 2, 3, 4]


async def test_an_app_without_endpoints_enqueues_nothing(client: AsyncTestClient, settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    app = await make_app(settings)
    assert await _enqueue(sessionmaker, app.id, "alert.fired", {"n": 1}) == 0
    assert await _log(client, app.secret_key) == []
