"""Identity secrets of an app: create (shown once), revoke, and require verified identities."""

from __future__ import annotations

import secrets as random

import msgspec
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.db.models import App, IdentitySecret, utcnow

__all__ = ["IdentitySettings", "NewIdentitySecret", "active_secrets", "create_secret", "revoke_secret", "set_required"]


class NewIdentitySecret(msgspec.Struct):
    id: int
    secret: str


class IdentitySettings(msgspec.Struct):
    required: bool
    active_secret_ids: list[int]


async def active_secrets(session: AsyncSession, app_id: str) -> list[IdentitySecret]:
    return list((await session.scalars(
        select(IdentitySecret).where(IdentitySecret.app_id == app_id, IdentitySecret.revoked_at.is_(None))
        .order_by(IdentitySecret.id)
    )).all())


async def create_secret(session: AsyncSession, app_id: str) -> NewIdentitySecret:
    row = IdentitySecret(app_id=app_id, secret="is_" + random.token_urlsafe(32))
    session.add(row)
    await session.flush()
    return NewIdentitySecret(id=row.id, secret=row.secret)


async def revoke_secret(session: AsyncSession, app_id: str, secret_id: int) -> bool:
    result = await session.execute(
        update(IdentitySecret)
        .where(IdentitySecret.app_id == app_id, IdentitySecret.id == secret_id, IdentitySecret.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]  # DML gives a CursorResult, typed Result


async def set_required(session: AsyncSession, app_id: str, required: bool) -> IdentitySettings:
    await session.execute(update(App).where(App.id == app_id).values(require_identity=required))
    return IdentitySettings(required=required, active_secret_ids=[s.id for s in await active_secrets(session, app_id)])
