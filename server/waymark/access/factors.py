"""The second factor in the database: setting TOTP up, checking a code or a one-time recovery code."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.access.models import RecoveryCode, User
from waymark.access.passwords import digest
from waymark.access.totp import new_recovery_codes, new_totp_secret, normal_code, totp_step

__all__ = [
    "check_second_factor", "disable_totp", "enable_totp", "recovery_codes_left", "regenerate_codes", "start_totp_setup",
]


async def start_totp_setup(session: AsyncSession, user: User) -> str:
    """A new secret, kept but not enforced until a code from it is confirmed; commits."""
    user.totp_secret = new_totp_secret()
    user.totp_enabled = False
    await session.commit()
    return user.totp_secret


async def _new_codes(session: AsyncSession, user: User) -> list[str]:
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = new_recovery_codes()
    session.add_all(RecoveryCode(user_id=user.id, code_hash=digest(normal_code(c))) for c in codes)
    return codes


async def enable_totp(session: AsyncSession, user: User, code: str, now: datetime) -> list[str] | None:
    """Turn TOTP on when ``code`` matches the pending secret; the new recovery codes (shown once), or None."""
    step = None if user.totp_secret is None else totp_step(user.totp_secret, code, now)
    if step is None:
        return None
    user.totp_enabled = True
    user.totp_last_step = step
    codes = await _new_codes(session, user)
    await session.commit()
    return codes


async def regenerate_codes(session: AsyncSession, user: User) -> list[str]:
    """Fresh recovery codes; the old ones stop working; commits."""
    codes = await _new_codes(session, user)
    await session.commit()
    return codes


async def disable_totp(session: AsyncSession, user: User) -> None:
    user.totp_secret = None
    user.totp_enabled = False
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    await session.commit()


async def check_second_factor(session: AsyncSession, user: User, code: str, now: datetime) -> bool:
    """A TOTP code of ``user``'s secret not used before, or one of their unused recovery codes (spent by this call).

    A TOTP code is taken once: its step is recorded by a conditional update, so a code seen over someone's
    shoulder, or sent twice at once, is refused for the rest of its life.
    """
    if not user.totp_enabled or user.totp_secret is None:
        return False
    step = totp_step(user.totp_secret, code, now)
    if step is not None:
        taken = await session.execute(update(User).where(
            User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        ).values(totp_last_step=step).execution_options(synchronize_session=False))
        await session.commit()
        return bool(getattr(taken, "rowcount", 0))
    spent = await session.execute(update(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == digest(normal_code(code)),
        RecoveryCode.used_at.is_(None)).values(used_at=now))
    await session.commit()
    return bool(getattr(spent, "rowcount", 0))


async def recovery_codes_left(session: AsyncSession, user_id: int) -> int:
    return int(await session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))) or 0)
