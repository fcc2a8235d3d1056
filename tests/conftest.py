"""Shared fixtures: a migrated database per backend (SQLite and PostgreSQL) and a client on the real app."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from waymark.app import create_app
from waymark.db import migrate
from waymark.db.models import Base
from waymark.settings import Settings
from waymark.upgrade.run import upgrade

POSTGRES_URL = os.environ.get(
    "WAYMARK_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
_TABLES = tuple(t.name for t in Base.metadata.sorted_tables)
_EMPTY_POSTGRES = (
    "DO $$BEGIN "
    + " ".join(f"DELETE FROM {table};" for table in reversed(_TABLES))  # rows that point at others go first
    # RESTART IDENTITY: the sequences the tables own start at 1 again
    + " PERFORM setval(s.oid, 1, false) FROM pg_class s JOIN pg_depend d ON d.objid = s.oid"
      " AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') WHERE s.relkind = 'S';"
    + " END$$"
)
"""Empties every table, as ``TRUNCATE … RESTART IDENTITY`` would: about a tenth of its time on tables of a
test's few rows (a TRUNCATE of 49 tables takes most of a second, and every PostgreSQL test begins with one)."""


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    except OSError as exc:  # refused connection: fail loudly, never skip
        raise RuntimeError(f"PostgreSQL is required for these tests and is not reachable at {url}: {exc}") from exc
    finally:
        await engine.dispose()


async def _empty_postgres(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(_EMPTY_POSTGRES))
    finally:
        await engine.dispose()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "long: a test of real servers in processes of their own, far longer than the rest; it starts first")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Long tests first: under ``-n 2`` a long test that starts last keeps one worker busy while the other idles."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)  # stable: the rest keep their order


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for each test (migrating every time is slow)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


def _own_database(prefix: str) -> Iterator[str]:
    """A migrated PostgreSQL database of this session's own, dropped at its end."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(POSTGRES_URL, f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        asyncio.run(_admin(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres_migrated() -> Iterator[str]:
    """A database of its own for this test session, so that concurrent runs (CI, people) never collide."""
    yield from _own_database("waymark_test")


@pytest.fixture(scope="session")
def postgres_shared() -> Iterator[str]:
    """A second database of this session, never truncated: the module-wide servers (``server``) keep their data in it
    while the tests around them empty ``postgres_migrated`` as they go."""
    yield from _own_database("waymark_shared")


@pytest.fixture(params=["sqlite", "postgresql"])
def old_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each backend migrated (by Alembic alone) to 0018, the revision before the steps."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
        migrate.upgrade(url, "0018")
        yield url
        return
    name = f"waymark_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(POSTGRES_URL, f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        migrate.upgrade(url, "0018")
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
        asyncio.run(_empty_postgres(url))
        yield url


def _quiet_settings(database_url: str) -> Settings:
    """No background jobs: a test refreshes the summaries or purges when it means to, so no run lands between."""
    return Settings(
        database_url=database_url, snapshot_check_seconds=0.0,
        summaries_interval_seconds=0.0, retention_interval_seconds=0.0, milestones_interval_seconds=0.0,
        alerts_interval_seconds=0.0, cohorts_interval_seconds=0.0, path_days_interval_seconds=0.0,
    )


@pytest.fixture
def settings(database_url: str) -> Settings:
    return _quiet_settings(database_url)


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient]:
    app = create_app(settings)
    async with AsyncTestClient(app=app) as test_client:
        yield test_client


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared_settings(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                    sqlite_template: Path) -> Settings:
    """Settings of a database of each backend that one module's tests share (see ``server``)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("shared") / "waymark.db"
        shutil.copy(sqlite_template, path)
        return _quiet_settings(f"sqlite+aiosqlite:///{path}")
    return _quiet_settings(request.getfixturevalue("postgres_shared"))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(shared_settings: Settings) -> AsyncIterator[AsyncTestClient]:
    """A client of one server that a module's tests share: building the app takes about a second, a request
    milliseconds.

    For tests that make an app of their own (``make_app``) and only read or are refused in it, so that no other
    test's data can reach their answers; a test that counts across apps, signs in, moves the clock or runs a job
    keeps ``client``. Its tests run on the module's event loop (``tests.support.on_shared_server``).
    """
    async with AsyncTestClient(app=create_app(shared_settings)) as test_client:
        yield test_client
