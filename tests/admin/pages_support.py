"""Helpers for the app pages' tests: signed-in people, posting a page's form, what the audit log holds."""

from __future__ import annotations

import re
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import select

from tests.access.helpers import add_person, csrf_token, sign_in
from waymark.access.models import AuditEntry
from waymark.access.principal import Grant
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.settings import Settings

__all__ = ["audited", "post_page", "secret_on_page", "signed_in"]

_SECRET = re.compile(r'value="(sk_[A-Za-z0-9_-]{20,})"')


async def signed_in(client: AsyncTestClient, settings: Settings, email: str, grants: list[Grant]) -> None:
    await add_person(settings, email, grants)
    answer = await sign_in(client, email)
    assert answer.status_code in (200, 303), answer.text[:300]


async def post_page(client: AsyncTestClient, page: str, action: str, form: dict[str, str] | None = None) -> Any:
    """Post a form of ``page`` to ``action`` with the page's CSRF token, as a browser would."""
    return await client.post(action, data={**(form or {}), "_csrf_token": await csrf_token(client, page)})


def secret_on_page(html: str) -> str:
    found = _SECRET.search(html)
    assert found, "no secret key shown on the page"
    return found.group(1)


async def audited(settings: Settings, app_id: str) -> list[tuple[str, str, str]]:
    """(actor, action, target) of the app's audit entries, oldest first."""
    engine = create_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            rows = (await session.scalars(select(AuditEntry).where(AuditEntry.app_id == app_id)
                                          .order_by(AuditEntry.id))).all()
            return [(r.actor, r.action, r.target) for r in rows]
    finally:
        await engine.dispose()
