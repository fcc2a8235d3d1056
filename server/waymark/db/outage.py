"""Telling "the database is unreachable for now" from a bug, and saying so once per interval.

While PostgreSQL restarts (or SQLite is locked past its timeout) every request fails the
same way. That is not an internal error: the client should retry (503 with Retry-After), the
operator needs one line per interval rather than a stack trace per request, and ``/health``
should fail while it lasts. Nothing acknowledged is lost: events are acknowledged only after
their commit.
"""

from __future__ import annotations

import logging
import time

import asyncpg.exceptions
import sqlalchemy.exc

__all__ = ["RETRY_AFTER_SECONDS", "OutageLog", "is_unavailable"]

RETRY_AFTER_SECONDS = 5
"""What a 503 asks clients to wait: about the time a database restart takes."""

_NOT_AN_OUTAGE = ("no such table", "no such column", "syntax error")

_OUTAGES = (OSError, sqlalchemy.exc.TimeoutError, sqlalchemy.exc.InterfaceError, asyncpg.exceptions.InterfaceError,
            asyncpg.exceptions.PostgresConnectionError, asyncpg.exceptions.CannotConnectNowError)


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot be reached (or is too busy) right now, rather than a bug."""
    if isinstance(exc, _OUTAGES):
        return True
    if isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, sqlalchemy.exc.OperationalError):
        message = str(exc.orig or exc).lower()
        return not any(part in message for part in _NOT_AN_OUTAGE)
    return False


class OutageLog:
    """One warning per ``interval`` seconds while failures of one kind go on, with the count in between."""

    __slots__ = ("_interval", "_last", "_logger", "_suppressed")

    def __init__(self, logger: logging.Logger, interval: float = 10.0) -> None:
        self._logger = logger
        self._interval = interval
        self._last = float("-inf")
        self._suppressed = 0

    def warn(self, message: str, exc: BaseException) -> None:
        now = time.monotonic()
        if now - self._last < self._interval:
            self._suppressed += 1
            return
        extra = f" ({self._suppressed} more since the last warning)" if self._suppressed else ""
        self._logger.warning("%s: %s: %s%s", message, type(exc).__name__, str(exc).splitlines()[0] if str(exc)
                             else "", extra)
        self._last = now
        self._suppressed = 0
