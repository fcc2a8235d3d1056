"""Rate limits per API key, fixed one-minute windows; shared between workers through Redis when configured.

With ``WAYMARK_REDIS_URL`` the counters live in Redis (through Litestar's
``RedisStore``, incremented atomically); without it, in this process.

Redis is optional, so its outage must not become ours: when it cannot be reached the
limiter fails open (requests are allowed, one warning per interval is logged and
``/health`` reports Redis as degraded). A lost rate limit for a minute costs far less than
refusing every event.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from litestar import Request
from litestar.exceptions import TooManyRequestsException
from litestar.stores.redis import RedisStore
from redis.asyncio import Redis
from redis.exceptions import RedisError

from waymark.db.outage import OutageLog

__all__ = ["RateLimiter", "enforce_rate_limit", "redis_store"]

_WINDOW = 60
_REDIS_TIMEOUT = 0.5
"""Seconds a Redis call may take before the limiter gives up on it and lets the request through."""
log = logging.getLogger("waymark.ratelimit")


def redis_store(url: str) -> RedisStore:
    """A store whose calls fail fast: a Redis that hangs must not hold up ingestion."""
    client = Redis.from_url(url, socket_timeout=_REDIS_TIMEOUT, socket_connect_timeout=_REDIS_TIMEOUT)
    return RedisStore(client, namespace="waymark")


class RateLimiter:
    """At most ``per_minute`` requests per key in each calendar minute (0 turns limiting off)."""

    __slots__ = ("_counts", "_outages", "_store", "degraded", "per_minute")

    def __init__(self, per_minute: int, store: RedisStore | None = None) -> None:
        self.per_minute = per_minute
        self._store = store
        self._counts: dict[str, int] = {}
        self._outages = OutageLog(log)
        self.degraded = False
        """The last call to Redis failed: limits are not enforced until it answers again."""

    @property
    def shared(self) -> bool:
        """Whether counters live in Redis."""
        return self._store is not None

    async def ping(self) -> bool:
        """Whether Redis answers now (``True`` when there is no Redis to ask)."""
        if self._store is None:
            return True
        try:
            await self._store._redis.ping()  # type: ignore[misc]  # redis types ping() for sync and async clients at once
        except (RedisError, OSError) as exc:
            self._outages.warn("Redis is unreachable; rate limits are not enforced", exc)
            self.degraded = True
            return False
        self.degraded = False
        return True

    async def hit(self, key: str, now: float | None = None) -> int | None:
        """Count one request; ``None`` when allowed, else the seconds until the window resets."""
        if self.per_minute <= 0:
            return None
        now = time.time() if now is None else now
        window = int(now) // _WINDOW * _WINDOW
        name = f"rl:{key}:{window}"
        if self._store is not None:
            redis_key = self._store._make_key(name)
            pipe = self._store._redis.pipeline()
            pipe.incr(redis_key)
            pipe.expire(redis_key, _WINDOW * 2)
            try:
                count = int((await pipe.execute())[0])
            except (RedisError, OSError) as exc:
                self._outages.warn("Redis is unreachable; rate limits are not enforced", exc)
                self.degraded = True
                return None
            self.degraded = False
        else:
            if len(self._counts) > 50_000:
                self._counts = {k: v for k, v in self._counts.items() if k.endswith(f":{window}")}
            count = self._counts[name] = self._counts.get(name, 0) + 1
        if count > self.per_minute:
            return max(1, window + _WINDOW - int(now))
        return None


def enforce_rate_limit(key_of: Callable[[Request[Any, Any, Any]], str | None]) -> Callable[
    [Request[Any, Any, Any]], Coroutine[Any, Any, None]
]:
    """A ``before_request``-style check: 429 with ``Retry-After`` once the key's budget is spent."""

    async def check(request: Request[Any, Any, Any]) -> None:
        key = key_of(request)
        if not key:
            return
        limiter: RateLimiter = request.app.state.rate_limiter
        retry_after = await limiter.hit(key)
        if retry_after is not None:
            raise TooManyRequestsException(
                f"rate limit of {limiter.per_minute} requests a minute for this key reached; "
                f"retry in {retry_after} s",
                headers={"Retry-After": str(retry_after)},
            )

    return check
