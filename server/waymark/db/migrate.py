"""Run Alembic migrations from code (``waymark db upgrade``) without an alembic.ini."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

__all__ = ["NotMigrated", "alembic_config", "check_migrated", "upgrade"]


class NotMigrated(RuntimeError):
    """The database's schema is missing or behind this version of Waymark."""

_MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database to ``revision``; safe to run again. Run it before starting workers."""
    command.upgrade(alembic_config(database_url), revision)


async def check_migrated(database_url: str) -> None:
    """Raise :class:`NotMigrated` unless the database is at the newest migration."""
    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()

    def current(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            revision = await conn.run_sync(current)
    finally:
        await engine.dispose()
    if revision != head:
        state = "has no Waymark tables" if revision is None else f"is at migration {revision}, not {head}"
        raise NotMigrated(f"the database {state}: run `waymark db upgrade` first")
