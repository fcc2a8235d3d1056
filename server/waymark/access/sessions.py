"""Server-side sessions: in the database by default, in Redis when configured; idle and absolute timeouts.

The cookie holds a random id; the store keeps only its SHA-256, so a leaked table or
Redis dump signs nobody in. A session is live while it was seen within the idle timeout
and is younger than the absolute one; an expired one is deleted when next presented.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import msgspec
from redis.asyncio import Redis
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from waymark.access.models import UserSession
from waymark.access.passwords import digest, new_token
from waymark.clock import as_utc

__all__ = ["DatabaseSessions", "RedisSessions", "SessionRecord", "SessionStore", "Timeouts", "is_live"]

TOUCH_EVERY = timedelta(seconds=60)
"""``last_seen`` is written at most this often: a page view is not a database write."""


@dataclass(frozen=True, slots=True)
class Timeouts:
    idle: timedelta
    """A session unused this long is over."""
    absolute: timedelta
    """A session this old is over, however busy."""
    pending: timedelta = timedelta(minutes=10)
    """How long the second-factor step may take after the password."""


class SessionRecord(msgspec.Struct, frozen=True):
    user_id: int
    created_at: datetime
    last_seen: datetime
    pending_totp: bool = False


def is_live(record: SessionRecord, now: datetime, timeouts: Timeouts) -> bool:
    """Whether ``record`` still signs its person in at ``now``."""
    created, seen = as_utc(record.created_at), as_utc(record.last_seen)
    if record.pending_totp and now - created > timeouts.pending:
        return False
    return now - seen <= timeouts.idle and now - created <= timeouts.absolute


class SessionStore(Protocol):
    timeouts: Timeouts

    async def create(self, user_id: int, now: datetime, *, pending_totp: bool = False) -> str:
        """Start a session; returns the id for the cookie (shown only here)."""

    async def get(self, session_id: str, now: datetime) -> SessionRecord | None:
        """The live session of this cookie (touched), or ``None`` (an expired one is deleted)."""

    async def delete(self, session_id: str) -> None: ...

    async def delete_for_user(self, user_id: int) -> None:
        """End every session of a person (password reset, removal)."""


class DatabaseSessions:
    """Sessions in the ``user_sessions`` table."""

    __slots__ = ("_maker", "timeouts")

    def __init__(self, maker: async_sessionmaker[AsyncSession], timeouts: Timeouts) -> None:
        self._maker = maker
        self.timeouts = timeouts

    async def create(self, user_id: int, now: datetime, *, pending_totp: bool = False) -> str:
        session_id = new_token()
        async with self._maker() as db:
            db.add(UserSession(id_hash=digest(session_id), user_id=user_id, created_at=now, last_seen=now,
                               pending_totp=pending_totp))
            await db.commit()
        return session_id

    async def get(self, session_id: str, now: datetime) -> SessionRecord | None:
        key = digest(session_id)
        async with self._maker() as db:
            row = await db.get(UserSession, key)
            if row is None:
                return None
            record = SessionRecord(row.user_id, row.created_at, row.last_seen, row.pending_totp)
            if not is_live(record, now, self.timeouts):
                await db.execute(delete(UserSession).where(UserSession.id_hash == key))
                await db.commit()
                return None
            if now - as_utc(row.last_seen) >= TOUCH_EVERY:
                await db.execute(update(UserSession).where(UserSession.id_hash == key).values(last_seen=now))
                await db.commit()
        return record

    async def delete(self, session_id: str) -> None:
        async with self._maker() as db:
            await db.execute(delete(UserSession).where(UserSession.id_hash == digest(session_id)))
            await db.commit()

    async def delete_for_user(self, user_id: int) -> None:
        async with self._maker() as db:
            await db.execute(delete(UserSession).where(UserSession.user_id == user_id))
            await db.commit()

    async def count_for_user(self, user_id: int) -> int:
        async with self._maker() as db:
            return len((await db.scalars(select(UserSession.id_hash).where(UserSession.user_id == user_id))).all())


class RedisSessions:
    """Sessions in Redis: one key per session that expires by itself, and a set of each person's sessions."""

    __slots__ = ("_redis", "timeouts")

    def __init__(self, redis: Redis, timeouts: Timeouts) -> None:
        self._redis = redis
        self.timeouts = timeouts

    @staticmethod
    def _key(session_id: str) -> str:
        return f"waymark:session:{digest(session_id)}"

    @staticmethod
    def _user_key(user_id: int) -> str:
        return f"waymark:user-sessions:{user_id}"

    def _ttl(self, record: SessionRecord, now: datetime) -> int:
        left = as_utc(record.created_at) + self.timeouts.absolute - now
        limit = self.timeouts.pending if record.pending_totp else self.timeouts.idle
        return max(1, int(min(left, limit).total_seconds()))

    async def create(self, user_id: int, now: datetime, *, pending_totp: bool = False) -> str:
        session_id = new_token()
        record = SessionRecord(user_id, now, now, pending_totp)
        key = self._key(session_id)
        pipe = self._redis.pipeline()
        pipe.set(key, msgspec.json.encode(record), ex=self._ttl(record, now))
        pipe.sadd(self._user_key(user_id), key)
        pipe.expire(self._user_key(user_id), int(self.timeouts.absolute.total_seconds()))
        await pipe.execute()
        return session_id

    async def get(self, session_id: str, now: datetime) -> SessionRecord | None:
        key = self._key(session_id)
        raw = await self._redis.get(key)
        if raw is None:
            return None
        record = msgspec.json.decode(raw, type=SessionRecord)
        if not is_live(record, now, self.timeouts):
            await self._redis.delete(key)
            return None
        if now - as_utc(record.last_seen) >= TOUCH_EVERY:
            touched = SessionRecord(record.user_id, record.created_at, now, record.pending_totp)
            await self._redis.set(key, msgspec.json.encode(touched), ex=self._ttl(touched, now))
        return record

    async def delete(self, session_id: str) -> None:
        await self._redis.delete(self._key(session_id))

    async def delete_for_user(self, user_id: int) -> None:
        keys = await self._redis.smembers(self._user_key(user_id))  # type: ignore[misc]  # redis types sync and async at once
        await self._redis.delete(self._user_key(user_id), *keys)
