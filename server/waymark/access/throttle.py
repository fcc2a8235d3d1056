"""Login throttling per account and per address, counted from the audit log's failed sign-ins.

The audit log is in the one database every worker shares, so the count is the same on every
worker (and survives a restart) without Redis; it is also the trail an owner reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.access.models import AuditEntry

__all__ = ["FAILED_CODE", "FAILED_PASSWORD", "LoginLimits", "retry_after"]

FAILED_PASSWORD = "login.failed"
FAILED_CODE = "login.code_failed"


@dataclass(frozen=True, slots=True)
class LoginLimits:
    per_account: int
    """Failed sign-ins (password or code) per email in ``window`` before that email is refused."""
    per_address: int
    """Failed sign-ins per client address in ``window`` before that address is refused."""
    window: timedelta = timedelta(minutes=15)


async def _failures(session: AsyncSession, since: datetime, *, target: str | None = None,
                    ip: str | None = None) -> tuple[int, datetime | None]:
    where = [AuditEntry.action.in_((FAILED_PASSWORD, FAILED_CODE)), AuditEntry.at >= since]
    where.append(AuditEntry.target == target if target is not None else AuditEntry.ip == ip)
    count, first = (await session.execute(
        select(func.count(), func.min(AuditEntry.at)).where(*where))).one()
    return int(count), first


async def retry_after(session: AsyncSession, email: str, ip: str, now: datetime, limits: LoginLimits) -> int | None:
    """Seconds until this email and address may try again, or ``None`` when they may now."""
    since = now - limits.window
    waits = []
    for count, first, limit in (
        (*await _failures(session, since, target=email), limits.per_account),
        (*await _failures(session, since, ip=ip), limits.per_address),
    ):
        if limit > 0 and count >= limit and first is not None:
            first_utc = first if first.tzinfo else first.replace(tzinfo=now.tzinfo)
            waits.append(max(1, int((first_utc + limits.window - now).total_seconds()) + 1))
    return max(waits) if waits else None


