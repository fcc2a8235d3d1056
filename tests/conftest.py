"""Shared fixtures: a migrated database per backend (SQLite and PostgreSQL) and a client on the real app."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from waymark.app import create_app
from waymark.db.migrate import upgrade
from waymark.db.models import Base
from waymark.settings import Settings

POSTGRES_URL = os.environ.get(
    "WAYMARK_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
_TABLES = tuple(t.name for t in Base.metadata.sorted_tables)


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    except OSError as exc:  # refused connection: fail loudly, never skip
        raise RuntimeError(f"PostgreSQL is required for these tests and is not reachable at {url}: {exc}") from exc
    finally:
        await engine.dispose()


async def _truncate_postgres(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {', '.join(_TABLES)} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for each test (migrating every time is slow)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_migrated() -> Iterator[str]:
    """A database of its own for this test session, so that concurrent runs (CI, people) never collide."""
    name = f"waymark_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(POSTGRES_URL, f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        asyncio.run(_admin(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """A migrated, empty database of each backend."""
    if request.param == "sqlite":
        path = tmp_path / "waymark.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite+aiosqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_migrated")
        asyncio.run(_truncate_postgres(url))
        yield url


@pytest.fixture
def settings(database_url: str) -> Settings:
    """No background jobs: a test refreshes the summaries or purges when it means to, so no run lands between."""
    return Settings(
        database_url=database_url, snapshot_check_seconds=0.0,
        summaries_interval_seconds=0.0, retention_interval_seconds=0.0, milestones_interval_seconds=0.0,
        alerts_interval_seconds=0.0, cohorts_interval_seconds=0.0,
    )


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient]:
    app = create_app(settings)
    async with AsyncTestClient(app=app) as test_client:
        yield test_client
