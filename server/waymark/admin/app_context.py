"""What the app pages share: the app (or 404), the posted form, the owner-only guard."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import NotFoundException
from sqlalchemy.ext.asyncio import AsyncSession

from waymark.db.models import App

__all__ = ["form_of", "load_app"]


async def load_app(session: AsyncSession, app_id: str) -> App:
    found = await session.get(App, app_id)
    if found is None:  # the guard let the person in, so the app was just deleted: same answer as no access
        raise NotFoundException("not found")
    return found


async def form_of(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The posted fields (the last value of a repeated name), the CSRF token left out."""
    form = await request.form()
    return {k: str(v) for k, v in form.items() if k != "_csrf_token" and isinstance(v, str)}
