"""Sign-in throttling per account and per address: a readable 429 page, even for the right password."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient

from tests.access.helpers import add_person, owner, sign_in
from tests.support import make_app
from waymark.app import create_app
from waymark.settings import Settings


@pytest.fixture
async def strict(database_url: str) -> AsyncIterator[AsyncTestClient]:
    settings = Settings(database_url=database_url, snapshot_check_seconds=0.0, login_failures_per_account=3,
                        login_failures_per_address=5)
    async with AsyncTestClient(app=create_app(settings)) as client:
        yield client


async def test_an_account_is_held_after_its_failures(strict: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await add_person(settings, "a@example.com", owner(app.id))
    for _ in range(3):
        assert (await sign_in(strict, "a@example.com", "wrong password")).status_code == 401
    held = await sign_in(strict, "a@example.com")  # the right password, too late
    assert held.status_code == 429
    assert "Too many attempts" in held.text and int(held.headers["retry-after"]) > 0
    assert "waymark_session" not in held.cookies
    # another account from the same address still may (the address's limit is higher)
    await add_person(settings, "b@example.com", owner(app.id))
    assert (await sign_in(strict, "b@example.com")).status_code == 303


async def test_an_address_is_held_across_accounts(strict: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await add_person(settings, "real@example.com", owner(app.id))
    for n in range(5):
        assert (await sign_in(strict, f"guess{n}@example.com", "wrong password")).status_code == 401
    assert (await sign_in(strict, "real@example.com")).status_code == 429
