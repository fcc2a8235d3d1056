"""The demo's two logins sign in through the admin's login form, as printed; seeding them again changes nothing."""

from __future__ import annotations

from pathlib import Path

from litestar.testing import AsyncTestClient
from sqlalchemy import select

from tests.access.helpers import sign_in
from waymark.access.models import User
from waymark.access.principal import Grant, Role
from waymark.access.services import grants_of
from waymark.cli_support import with_session
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.settings import Settings
from waymark_demo.logins import DEMO_PASSWORD, seed_logins
from waymark_demo.seed import DEMO_APP_ID, seed_demo

GUIDES = Path(__file__).resolve().parents[2] / "guides"


async def _grants(settings: Settings) -> dict[str, tuple[Grant, ...]]:
    engine = create_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            users = (await session.scalars(select(User))).all()
            return {u.email: await grants_of(session, u.id) for u in users}
    finally:
        await engine.dispose()


async def test_both_demo_logins_sign_in_with_the_printed_password(client: AsyncTestClient, settings: Settings) -> None:
    await seed_demo(settings, GUIDES)
    lines = await with_session(settings, seed_logins)
    assert lines == await with_session(settings, seed_logins)  # a second start: the same logins, nothing added
    assert any("owner@ledgerly.test / demo-password" in line for line in lines)
    assert any("admin@acme.test / demo-password" in line for line in lines)
    assert await _grants(settings) == {
        "owner@ledgerly.test": (Grant(DEMO_APP_ID, Role.OWNER),),
        "admin@acme.test": (Grant(DEMO_APP_ID, Role.TENANT_ADMIN, "acme"),),
    }
    for email in ("owner@ledgerly.test", "admin@acme.test"):
        client.cookies.clear()
        assert (await sign_in(client, email, "not-the-password")).status_code == 401
        answer = await sign_in(client, email, DEMO_PASSWORD)
        assert answer.status_code == 303, answer.text
        assert "waymark_session" in answer.cookies
