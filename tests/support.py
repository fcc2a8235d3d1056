"""Helpers for API tests: apps with keys, guide files as text, events."""

from __future__ import annotations

import asyncio
import base64
import json
import textwrap
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from waymark.apps.services import NewApp, create_app_with_keys
from waymark.clock import utcnow
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.privacy.retention import purge_expired
from waymark.privacy.visitors import erase_visitor
from waymark.settings import Settings

__all__ = ["at", "event", "eventually", "eventually_async", "guide_yaml", "make_app", "meta", "on_shared_server",
           "push"]

on_shared_server = pytest.mark.asyncio(loop_scope="module")
"""The mark of a test that uses the ``server`` fixture (tests/conftest.py): it runs on the module's event loop,
where that server runs."""


async def erase(settings: Settings, app_id: str, visitor: str) -> None:
    """Erase a visitor as the privacy API does (in a session of its own), failing if there was none."""
    engine = create_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            assert await erase_visitor(session, app_id, visitor) is not None
            await session.commit()
    finally:
        await engine.dispose()


async def purge(settings: Settings, chunk: int = 1000) -> dict[str, int]:
    """Run the retention purge as a worker does, now; what it deleted per app."""
    engine = create_engine(settings.database_url)
    try:
        return await purge_expired(make_sessionmaker(engine), utcnow(), chunk=chunk)
    finally:
        await engine.dispose()


async def make_app(settings: Settings, name: str = "Test app") -> NewApp:
    engine = create_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            return await create_app_with_keys(session, name)
    finally:
        await engine.dispose()


def guide_yaml(text: str) -> str:
    return textwrap.dedent(text).strip() + "\n"


async def push(client: AsyncTestClient, secret: str, files: dict[str, str]) -> Any:
    response = await client.post(
        "/api/v1/guide-definitions/push",
        json={"files": [{"name": name, "content": content} for name, content in files.items()]},
        headers={"Authorization": f"Bearer {secret}"},
    )
    return response


def meta(visitor: dict[str, Any] | None = None, tenant: dict[str, Any] | None = None) -> str:
    raw = json.dumps({"visitor": visitor or {}, "tenant": tenant or {}}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def at(seconds: float = 0) -> str:
    """A timestamp a minute ago, plus ``seconds``: event times relative to now keep tests true on any day."""
    moment = datetime.now(UTC) - timedelta(minutes=1) + timedelta(seconds=seconds)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event(kind: str, guide: str, visitor: str = "v1", step: int = 0, **extra: Any) -> dict[str, Any]:
    return {
        "id": extra.pop("id", None) or uuid.uuid4().hex,
        "type": kind,
        "ts": extra.pop("ts", None) or at(0),
        "visitor": visitor,
        "guide": guide,
        "step": step,
        **extra,
    }


_POLL = 0.05
"""Seconds between two looks of a poll: how soon after the deciding state a test sees it."""


def eventually(done: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Ask ``done`` again until it says yes or ``timeout`` passes; its last answer (the test asserts it)."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            return False
        time.sleep(_POLL)
    return True


async def eventually_async(done: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> bool:
    """:func:`eventually` for a check that awaits (the event loop keeps running the server meanwhile)."""
    deadline = time.monotonic() + timeout
    while not await done():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(_POLL)
    return True
