"""Helpers for access tests: an app with people in it, and signing in through the real login form."""

from __future__ import annotations

import re

from litestar.testing import AsyncTestClient

from tests.support import make_app
from waymark.access.principal import Grant, Role
from waymark.access.services import create_user
from waymark.apps.services import NewApp
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.settings import Settings

__all__ = ["PASSWORD", "add_person", "csrf_token", "new_app", "post_form", "sign_in"]

PASSWORD = "correct horse battery"
_TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')


async def new_app(settings: Settings, name: str = "Test app") -> NewApp:
    return await make_app(settings, name)


async def add_person(settings: Settings, email: str, grants: list[Grant], password: str | None = PASSWORD) -> int:
    engine = create_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            return await create_user(session, email, password, grants)
    finally:
        await engine.dispose()


def owner(app_id: str) -> list[Grant]:
    return [Grant(app_id, Role.OWNER)]


async def csrf_token(client: AsyncTestClient, path: str = "/admin/login") -> str:
    """The CSRF token a page's form carries (getting the page also sets the CSRF cookie)."""
    page = await client.get(path)
    found = _TOKEN.search(page.text)
    assert found, f"no CSRF token in {path} ({page.status_code})"
    return found.group(1)


async def post_form(client: AsyncTestClient, path: str, form: dict[str, str], token_from: str = "/admin/login"):  # type: ignore[no-untyped-def]
    return await client.post(path, data={**form, "_csrf_token": await csrf_token(client, token_from)},
                             follow_redirects=False)


async def sign_in(client: AsyncTestClient, email: str, password: str = PASSWORD, next_path: str = "/admin/"):  # type: ignore[no-untyped-def]
    return await post_form(client, "/admin/login", {"email": email, "password": password, "next": next_path})
