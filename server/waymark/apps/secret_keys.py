"""An app's secret keys: list, create (the key is shown once), rotate and revoke; only hashes are stored."""

from __future__ import annotations

from datetime import datetime

import msgspec
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.apps.keys import hash_secret, new_secret_key
from waymark.clock import utcnow
from waymark.db.models import SecretKey

__all__ = ["NewSecretKey", "NoSuchKey", "SecretKeyInfo", "create_secret_key", "list_secret_keys",
           "revoke_secret_key", "rotate_secret_key"]


class NoSuchKey(LookupError):
    """No live secret key with this id in this app."""


class SecretKeyInfo(msgspec.Struct):
    id: int
    prefix: str
    """The key's first characters: enough to recognise it, useless to use it."""
    created_at: datetime
    revoked_at: datetime | None = None


class NewSecretKey(msgspec.Struct):
    id: int
    prefix: str
    key: str
    """The whole key: shown once, never stored (only its SHA-256 is)."""


async def list_secret_keys(session: AsyncSession, app_id: str) -> list[SecretKeyInfo]:
    """Every secret key of the app, live ones first, newest first."""
    rows = (await session.scalars(
        select(SecretKey).where(SecretKey.app_id == app_id).order_by(SecretKey.id.desc()))).all()
    keys = [SecretKeyInfo(r.id, r.prefix, r.created_at, r.revoked_at) for r in rows]
    return sorted(keys, key=lambda k: k.revoked_at is not None)


async def create_secret_key(session: AsyncSession, app_id: str) -> NewSecretKey:
    """A new live key beside the others (the caller commits)."""
    key = new_secret_key()
    row = SecretKey(app_id=app_id, prefix=key[:10], key_hash=hash_secret(key))
    session.add(row)
    await session.flush()
    return NewSecretKey(row.id, row.prefix, key)


async def revoke_secret_key(session: AsyncSession, app_id: str, key_id: int, now: datetime | None = None) -> str:
    """Revoke a live key (the caller commits); its prefix. Raises :class:`NoSuchKey`."""
    prefix = await session.scalar(select(SecretKey.prefix).where(
        SecretKey.app_id == app_id, SecretKey.id == key_id, SecretKey.revoked_at.is_(None)))
    if prefix is None:
        raise NoSuchKey(f"no live secret key {key_id} in this app")
    await session.execute(
        update(SecretKey).where(SecretKey.app_id == app_id, SecretKey.id == key_id, SecretKey.revoked_at.is_(None))
        .values(revoked_at=now or utcnow()).execution_options(synchronize_session=False))
    return prefix


async def rotate_secret_key(session: AsyncSession, app_id: str, key_id: int) -> tuple[NewSecretKey, str]:
    """Replace a live key by a new one in one transaction (the caller commits): the new key and the old prefix."""
    old = await revoke_secret_key(session, app_id, key_id)
    return await create_secret_key(session, app_id), old
