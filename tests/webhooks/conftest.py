"""The webhook tests' own engine (asyncpg connections belong to one event loop: the app's runs in another)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.webhooks.helpers import own_sessionmaker
from waymark.settings import Settings


@pytest.fixture
async def sessionmaker(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async with own_sessionmaker(settings) as made:
        yield made
