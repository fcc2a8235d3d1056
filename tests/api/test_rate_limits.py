"""Rate limits per key: 429 with Retry-After; shared between workers through Redis."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from litestar.testing import AsyncTestClient

from tests.support import event, make_app
from waymark.app import create_app
from waymark.ratelimit import RateLimiter
from waymark.settings import Settings

REDIS_URL = os.environ.get("WAYMARK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
async def limited(settings: Settings) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=create_app(replace(settings, rate_limit_per_minute=3))) as client:
        yield client


async def test_events_over_the_limit_get_429_with_retry_after(limited: AsyncTestClient, settings: Settings) -> None:
    app, other = await make_app(settings, "busy"), await make_app(settings, "quiet")
    for _ in range(3):
        ok = await limited.post(f"/api/v1/events?key={app.public_key}", json={"events": [event("guide_seen", "g")]})
        assert ok.status_code == 202
    refused = await limited.post(f"/api/v1/events?key={app.public_key}", json={"events": [event("guide_seen", "g")]})
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "rate limit of 3 requests a minute" in refused.json()["detail"]
    # another key has its own budget; so does the Segment API's write key
    assert (await limited.post(f"/api/v1/events?key={other.public_key}",
                               json={"events": [event("guide_seen", "g")]})).status_code == 202
    for _ in range(3):
        assert (await limited.post("/v1/track", json={"userId": "u", "event": "e"},
                                   auth=(other.public_key + "-x", ""))).status_code == 403
    assert (await limited.post("/v1/track", json={"userId": "u", "event": "e"},
                               auth=(other.public_key + "-x", ""))).status_code == 429


async def test_workers_share_the_budget_through_redis() -> None:
    """Two limiters (two workers) on one Redis count together; the window resets after a minute."""
    from litestar.stores.redis import RedisStore

    namespace = f"waymark-test-{uuid.uuid4().hex[:8]}"
    first = RateLimiter(4, RedisStore.with_client(url=REDIS_URL, namespace=namespace))
    second = RateLimiter(4, RedisStore.with_client(url=REDIS_URL, namespace=namespace))
    now = 1_800_000_000.0
    answers = [await (first if i % 2 else second).hit("pk_shared", now) for i in range(5)]
    assert answers[:4] == [None] * 4
    assert answers[4] is not None and 1 <= answers[4] <= 60
    assert await first.hit("pk_shared", now + 60) is None  # the next window


async def test_in_process_limiter_without_redis() -> None:
    limiter = RateLimiter(2)
    now = 1_800_000_010.0
    assert [await limiter.hit("k", now) for _ in range(3)] == [None, None, 50]
    assert await RateLimiter(0).hit("k", now) is None  # 0 turns it off
