"""What every command line needs, whichever package adds the command: run on the database, serve an app."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import click

from waymark.settings import Settings, get_settings

__all__ = ["run_on_database", "serve_app"]

T = TypeVar("T")


def run_on_database(make: Callable[[Settings], Coroutine[Any, Any, T]]) -> T:
    """Run one async operation against the configured database; a missing schema (or a pending back-fill)
    or an unreachable database is one line on stderr, never a traceback."""
    from waymark.db.migrate import NotMigrated
    from waymark.db.outage import is_unavailable
    from waymark.upgrade.run import check_upgraded

    settings = get_settings()

    async def checked() -> T:
        await check_upgraded(settings.database_url)
        return await make(settings)

    try:
        return asyncio.run(checked())
    except NotMigrated as exc:
        raise click.ClickException(str(exc)) from exc
    except Exception as exc:
        if is_unavailable(exc):
            raise click.ClickException(f"cannot reach the database ({type(exc).__name__}: {exc}); "
                                       "is it running, and is WAYMARK_DATABASE_URL right?") from exc
        raise


def serve_app(host: str, port: int, workers: int, factory: str = "waymark.app:create_app") -> None:
    """Serve the application ``factory`` makes (``module:function``, called by each worker)."""
    import uvicorn

    uvicorn.run(
        factory, factory=True, host=host, port=port, workers=workers,
        log_level=os.environ.get("WAYMARK_LOG_LEVEL", "warning"), access_log=False,
    )
