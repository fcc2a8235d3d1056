"""The demo's people: an owner of the demo app and a tenant admin of ``acme``, their password printed at start."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from waymark.access.principal import Grant, Role
from waymark.access.services import authenticate, create_user, find_user, grants_of, set_grant, set_password
from waymark_demo.seed import DEMO_APP_ID

__all__ = ["DEMO_LOGINS", "DEMO_PASSWORD", "seed_logins"]

DEMO_PASSWORD = "demo-password"
"""Demo only: known to anyone who reads this file, so the demo app holds made-up data only."""
DEMO_LOGINS: tuple[tuple[str, Grant, str], ...] = (
    ("owner@ledgerly.test", Grant(DEMO_APP_ID, Role.OWNER), "owner of the demo app"),
    ("admin@acme.test", Grant(DEMO_APP_ID, Role.TENANT_ADMIN, "acme"), "tenant admin of acme"),
)


async def seed_logins(session: AsyncSession) -> list[str]:
    """Create the demo logins, or put back their password and grant; returns a line per login (commits)."""
    lines: list[str] = []
    for email, grant, who in DEMO_LOGINS:
        user = await find_user(session, email)
        if user is None:
            await create_user(session, email, DEMO_PASSWORD, [grant])
        else:
            if await authenticate(session, email, DEMO_PASSWORD) is None:
                await set_password(session, user, DEMO_PASSWORD)
            if grant not in await grants_of(session, user.id):
                await set_grant(session, user.id, grant)
        lines.append(f"  {who}: {email} / {DEMO_PASSWORD}")
    return lines
