"""Server-side sessions: idle and absolute timeouts, in the database and in Redis; pending second factors."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from tests.access.helpers import add_person, owner
from tests.support import make_app
from waymark.access.sessions import DatabaseSessions, RedisSessions, SessionRecord, SessionStore, Timeouts, is_live
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.settings import Settings

REDIS_URL = os.environ.get("WAYMARK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
TIMEOUTS = Timeouts(idle=timedelta(hours=12), absolute=timedelta(days=7), pending=timedelta(minutes=10))
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_idle_and_absolute_timeouts() -> None:
    record = SessionRecord(1, START, START)
    assert is_live(record, START + timedelta(hours=11, minutes=59), TIMEOUTS)
    assert not is_live(record, START + timedelta(hours=12, seconds=1), TIMEOUTS)
    busy = SessionRecord(1, START, START + timedelta(days=7) - timedelta(minutes=1))
    assert is_live(busy, START + timedelta(days=7) - timedelta(seconds=1), TIMEOUTS)
    assert not is_live(busy, START + timedelta(days=7, seconds=1), TIMEOUTS)
    pending = SessionRecord(1, START, START, pending_totp=True)
    assert not is_live(pending, START + timedelta(minutes=11), TIMEOUTS)


@pytest.fixture(params=["database", "redis"])
async def store(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[tuple[SessionStore, int]]:
    app = await make_app(settings)
    user_id = await add_person(settings, "a@example.com", owner(app.id))
    engine = create_engine(settings.database_url)
    redis = Redis.from_url(REDIS_URL)
    try:
        if request.param == "database":
            yield DatabaseSessions(make_sessionmaker(engine), TIMEOUTS), user_id
        else:
            yield RedisSessions(redis, TIMEOUTS), user_id
    finally:
        await redis.aclose()
        await engine.dispose()


async def test_a_session_lives_while_used_and_dies_idle_or_old(store: tuple[SessionStore, int]) -> None:
    sessions, user_id = store
    now = datetime.now(UTC)
    kept = await sessions.create(user_id, now)
    # used every 11 hours: alive for 6 days and more, then the absolute limit ends it
    moment = now
    for _ in range(14):
        moment += timedelta(hours=11)
        assert (await sessions.get(kept, moment)) is not None, moment - now
    assert await sessions.get(kept, now + timedelta(days=7, minutes=1)) is None
    assert await sessions.get(kept, now) is None  # deleted when found expired, not just refused

    idle = await sessions.create(user_id, now)
    assert await sessions.get(idle, now + timedelta(hours=12, minutes=1)) is None
    assert await sessions.get(idle, now) is None


async def test_sessions_end_one_by_one_or_all_at_once(store: tuple[SessionStore, int]) -> None:
    sessions, user_id = store
    now = datetime.now(UTC)
    first, second, third = [await sessions.create(user_id, now) for _ in range(3)]
    assert len({first, second, third}) == 3
    await sessions.delete(first)
    assert await sessions.get(first, now) is None and await sessions.get(second, now) is not None
    await sessions.delete_for_user(user_id)
    assert await sessions.get(second, now) is None and await sessions.get(third, now) is None
    pending = await sessions.create(user_id, now, pending_totp=True)
    found = await sessions.get(pending, now)
    assert found is not None and found.pending_totp
