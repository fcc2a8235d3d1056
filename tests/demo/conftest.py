"""The demo's server in process: the product's application with the host pages mounted."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient

from waymark.settings import Settings
from waymark_demo.app import create_demo_app


@pytest.fixture
async def demo_client(settings: Settings) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=create_demo_app(settings)) as test_client:
        yield test_client
