"""The migrations build exactly the schema the models declare, on both databases: a column or index added to
a model without its migration (or the reverse) fails here, not on a customer's upgrade."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

import waymark.app  # noqa: F401  # imports every feature's models into Base.metadata
from waymark.db.models import Base


def _differences(connection: Connection) -> list[Any]:
    return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


async def _compare(url: str) -> list[Any]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_differences)
    finally:
        await engine.dispose()


async def test_sqlite_schema_matches_the_models(sqlite_template: Path) -> None:
    assert await _compare(f"sqlite+aiosqlite:///{sqlite_template}") == []


async def test_postgresql_schema_matches_the_models(postgres_migrated: str) -> None:
    assert await _compare(postgres_migrated) == []
