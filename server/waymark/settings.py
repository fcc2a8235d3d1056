"""Settings read from the environment (``WAYMARK_*``), one dataclass for the whole server."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

__all__ = ["Settings", "get_settings"]


def _env(name: str, default: str) -> str:
    return os.environ.get(f"WAYMARK_{name}", default)


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = field(
        default_factory=lambda: _env("DATABASE_URL", "sqlite+aiosqlite:///./var/waymark.db")
    )
    """SQLAlchemy URL: ``sqlite+aiosqlite:///path`` (embedded) or ``postgresql+asyncpg://…``."""
    host: str = field(default_factory=lambda: _env("HOST", "127.0.0.1"))
    """Interface ``waymark serve`` binds to."""
    port: int = field(default_factory=lambda: int(_env("PORT", "8000")))
    """Port ``waymark serve`` listens on."""
    workers: int = field(default_factory=lambda: int(_env("WORKERS", "1")))
    """Worker processes for ``waymark serve``."""
    snapshot_check_seconds: float = field(
        default_factory=lambda: float(_env("SNAPSHOT_CHECK_SECONDS", "1.0"))
    )
    """How often a worker asks the database whether its guide snapshot is stale."""
    pool_size: int = field(default_factory=lambda: int(_env("POOL_SIZE", "0")))
    """Connection pool size; 0 picks a default per database (1 for SQLite: writers serialise)."""
    rate_limit_per_minute: int = field(default_factory=lambda: int(_env("RATE_LIMIT_PER_MINUTE", "6000")))
    """Event requests a minute per key before 429 (0: no limit)."""
    redis_url: str = field(default_factory=lambda: _env("REDIS_URL", ""))
    """``redis://…``: share rate limits between workers; empty keeps them per process."""
    retention_interval_seconds: float = field(
        default_factory=lambda: float(_env("RETENTION_INTERVAL_SECONDS", "3600"))
    )
    """How often each worker purges events older than their app's retention period (0: never)."""
    debug: bool = field(default_factory=lambda: _env("DEBUG", "") not in ("", "0", "false"))
    """Litestar debug mode (stack traces in responses): never in production."""

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def get_settings() -> Settings:
    return Settings()
