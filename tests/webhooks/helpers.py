"""What the webhook and alert tests share: the README's verification recipe, endpoints, a clock to move."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, cast

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.scope import app_session
from waymark.settings import Settings
from waymark.webhooks.services import add_endpoint

__all__ = ["Clock", "Verify", "endpoint", "own_sessionmaker", "readme_verify"]

README = Path(__file__).resolve().parents[2] / "README.md"


class Verify(Protocol):
    def __call__(self, secret: str, header: str, body: bytes, tolerance: int = 300) -> bool: ...


def readme_verify() -> Verify:
    """The ``verify`` function exactly as the README shows it (the block that defines it), run as written."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    recipe = next(b for b in blocks if "def verify(secret: str, header: str, body: bytes" in b)
    namespace: dict[str, Any] = {}
    exec(compile(recipe, "README.md", "exec"), namespace)  # the documented code itself, not a copy of it
    return cast(Verify, namespace["verify"])


@asynccontextmanager
async def own_sessionmaker(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A worker's own engine on the test's database, in the test's event loop (the app's runs in another)."""
    engine = create_engine(settings.database_url)
    try:
        yield make_sessionmaker(engine)
    finally:
        await engine.dispose()


async def endpoint(sessionmaker: async_sessionmaker[AsyncSession], app_id: str, url: str) -> str | None:
    """Add an endpoint to the app; the signing secret when this made it."""
    async with app_session(sessionmaker, app_id) as session:
        _, made = await add_endpoint(session, app_id, url)
        await session.commit()
    return made


class Clock:
    """A clock the test moves (the sender reads it instead of the real time)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta
