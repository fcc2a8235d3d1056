"""What every connection Waymark opens is set to: the settings its reports' speed rests on (both databases)."""

from __future__ import annotations

from waymark.db.engine import create_engine
from waymark.settings import Settings


async def test_each_connection_gets_the_reports_settings(settings: Settings) -> None:
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
                assert (await conn.exec_driver_sql("PRAGMA threads")).scalar() == 2  # a large sort uses two
            else:
                assert (await conn.exec_driver_sql("SHOW jit")).scalar() == "off"
    finally:
        await engine.dispose()
