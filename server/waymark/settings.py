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
    summaries_interval_seconds: float = field(
        default_factory=lambda: float(_env("SUMMARIES_INTERVAL_SECONDS", "10"))
    )
    """How often each worker brings the report summaries up to date with new events (0: never)."""
    milestones_interval_seconds: float = field(
        default_factory=lambda: float(_env("MILESTONES_INTERVAL_SECONDS", "300"))
    )
    """How often each worker re-evaluates the tenants' milestone flags (0: never; saving a milestone evaluates it)."""
    alerts_interval_seconds: float = field(
        default_factory=lambda: float(_env("ALERTS_INTERVAL_SECONDS", "60"))
    )
    """How often each worker evaluates alert rules (one worker at a time does) and sends due webhooks (0: never)."""
    cohorts_interval_seconds: float = field(
        default_factory=lambda: float(_env("COHORTS_INTERVAL_SECONDS", "60"))
    )
    """How often each worker refreshes cohort membership from the daily roll-up (0: never; a saved cohort is
    refreshed at once either way)."""
    path_days_interval_seconds: float = field(
        default_factory=lambda: float(_env("PATH_DAYS_INTERVAL_SECONDS", "60"))
    )
    """How often each worker rebuilds the days of paths' projection whose steps changed (0: never; paths then
    read those days' steps)."""
    debug: bool = field(default_factory=lambda: _env("DEBUG", "") not in ("", "0", "false"))
    """Litestar debug mode (stack traces in responses): never in production."""
    session_idle_minutes: int = field(default_factory=lambda: int(_env("SESSION_IDLE_MINUTES", "720")))
    """An admin session unused this long is over (default 12 hours)."""
    session_max_hours: int = field(default_factory=lambda: int(_env("SESSION_MAX_HOURS", "168")))
    """An admin session this old is over however busy (default 7 days)."""
    secret: str = field(default_factory=lambda: _env("SECRET", ""))
    """Signs CSRF tokens; empty: one is generated once and kept in the database, so every worker shares it."""
    cookie_secure: bool = field(default_factory=lambda: _env("COOKIE_SECURE", "") not in ("", "0", "false"))
    """Mark admin cookies Secure even when the request reaches Waymark over plain HTTP (TLS ends at a proxy)."""
    smtp_url: str = field(default_factory=lambda: _env("SMTP_URL", ""))
    """``smtp://user:password@host:port?from=waymark@example.com`` (``smtps://`` for TLS): invitation and
    reset links go by mail instead of being printed or shown."""
    public_url: str = field(default_factory=lambda: _env("PUBLIC_URL", "http://127.0.0.1:8000"))
    """The address people reach Waymark at: the base of invitation and reset links."""
    login_failures_per_account: int = field(default_factory=lambda: int(_env("LOGIN_FAILURES_PER_ACCOUNT", "10")))
    """Failed sign-ins per email in 15 minutes before it is refused for a while (0: no limit)."""
    login_failures_per_address: int = field(default_factory=lambda: int(_env("LOGIN_FAILURES_PER_ADDRESS", "50")))
    """Failed sign-ins per client address in 15 minutes before it is refused for a while (0: no limit)."""

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def get_settings() -> Settings:
    return Settings()
