"""Apps and their keys: creation, listing, and resolving a key to its app."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import msgspec
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from waymark.apps.keys import hash_secret, new_app_id, new_public_key, new_secret_key
from waymark.db.models import App, SecretKey

__all__ = ["AppInfo", "KeyResolver", "NewApp", "create_app_with_keys", "list_apps"]


class NewApp(msgspec.Struct):
    id: str
    name: str
    public_key: str
    secret_key: str


class AppInfo(msgspec.Struct):
    id: str
    name: str
    public_key: str
    guides_version: int
    secret_key_prefixes: list[str]


async def create_app_with_keys(session: AsyncSession, name: str) -> NewApp:
    """Create an app with a public key and one secret key; the secret is returned once, stored hashed."""
    app = App(id=new_app_id(), name=name, public_key=new_public_key(), guides_version=0, throttle_seconds=86400)
    secret = new_secret_key()
    session.add(app)
    await session.flush()
    session.add(SecretKey(app_id=app.id, prefix=secret[:10], key_hash=hash_secret(secret)))
    await session.commit()
    return NewApp(id=app.id, name=app.name, public_key=app.public_key, secret_key=secret)


async def list_apps(session: AsyncSession, only: str | None = None) -> list[AppInfo]:
    """Every app (the local CLI), or ``only`` that one (a secret key sees its own app)."""
    chosen = select(App).order_by(App.created_at)
    apps = (await session.scalars(chosen.where(App.id == only) if only else chosen)).all()
    keys = (await session.scalars(select(SecretKey).where(SecretKey.revoked_at.is_(None)))).all()
    by_app: dict[str, list[str]] = {}
    for key in keys:
        by_app.setdefault(key.app_id, []).append(key.prefix)
    return [
        AppInfo(id=a.id, name=a.name, public_key=a.public_key, guides_version=a.guides_version,
                secret_key_prefixes=by_app.get(a.id, []))
        for a in apps
    ]


@dataclass(slots=True)
class _Cached:
    app_id: str | None
    expires: float


def _plausible(key: str) -> bool:
    """A key is printable ASCII of a sane length: anything else is unknown without asking the database
    (PostgreSQL would refuse a NUL in the query)."""
    return 0 < len(key) <= 200 and key.isascii() and key.isprintable()


class KeyResolver:
    """Maps keys to app ids; public keys (the widget's hot paths) are cached briefly, secret keys never."""

    __slots__ = ("_cache", "_sessionmaker", "_ttl")

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], ttl: float = 30.0) -> None:
        self._sessionmaker = sessionmaker
        self._ttl = ttl
        self._cache: dict[str, _Cached] = {}

    async def public(self, key: str) -> str | None:
        if not _plausible(key):
            return None
        return await self._resolve("p:" + key, lambda: select(App.id).where(App.public_key == key))

    async def secret(self, key: str) -> str | None:
        """Asked of the database every time, never cached: a revoked secret key stops working at once on
        every worker (secret-key calls are server-to-server and write or read the database anyway)."""
        if not _plausible(key):
            return None
        digest = hash_secret(key)
        async with self._sessionmaker() as session:
            return await session.scalar(
                select(SecretKey.app_id).where(SecretKey.key_hash == digest, SecretKey.revoked_at.is_(None)))

    async def _resolve(self, cache_key: str, query: Callable[[], Select[str]]) -> str | None:
        now = time.monotonic()
        hit = self._cache.get(cache_key)
        if hit is not None and hit.expires > now:
            return hit.app_id
        async with self._sessionmaker() as session:
            app_id = await session.scalar(query())
        if len(self._cache) > 10_000:
            self._cache.clear()
        # An unknown key is remembered only briefly: the app may be created a moment later.
        self._cache[cache_key] = _Cached(app_id, now + (self._ttl if app_id else 1.0))
        return app_id
