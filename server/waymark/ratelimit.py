"""Rate limits per API key, fixed one-minute windows; shared between workers through Redis when configured.

With ``WAYMARK_REDIS_URL`` the counters live in Redis (through Litestar's
``RedisStore``, incremented atomically); without it, in this process.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from typing import Any

from litestar import Request
from litestar.exceptions import TooManyRequestsException
from litestar.stores.redis import RedisStore

__all__ = ["RateLimiter", "enforce_rate_limit"]

_WINDOW = 60


class RateLimiter:
    """At most ``per_minute`` requests per key in each calendar minute (0 turns limiting off)."""

    __slots__ = ("_counts", "_store", "per_minute")

    def __init__(self, per_minute: int, store: RedisStore | None = None) -> None:
        self.per_minute = per_minute
        self._store = store
        self._counts: dict[str, int] = {}

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
            count = int((await pipe.execute())[0])
        else:
            if len(self._counts) > 50_000:
                self._counts = {k: v for k, v in self._counts.items() if k.endswith(f":{window}")}
            count = self._counts[name] = self._counts.get(name, 0) + 1
        if count > self.per_minute:
            return max(1, window + _WINDOW - int(now))
        return None


def enforce_rate_limit(key_of: Callable[[Request], str | None]) -> Callable[
    [Request], Coroutine[Any, Any, None]
]:
    """A ``before_request``-style check: 429 with ``Retry-After`` once the key's budget is spent."""

    async def check(request: Request) -> None:
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
