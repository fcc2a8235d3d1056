"""Optional and required services going away: Redis down fails open, the database down answers 503.

The database outage is made with a TCP proxy in front of PostgreSQL that the test cuts and
restores, so that the shared server keeps running for everyone else.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import make_url

from tests.support import at, eventually, make_app
from waymark.app import create_app
from waymark.settings import Settings
from waymark.testing import start_server, stop_server


class CuttableProxy:
    """Forwards a local port to PostgreSQL until :meth:`cut`; :meth:`restore` listens again on the same port."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.port = 0
        self.restore()

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.writers |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in self.writers:
            writer.transport.abort()
        self.writers.clear()
        await self.server.wait_closed()

    def restore(self) -> None:
        self._call(self._start())

    def cut(self) -> None:
        self._call(self._stop())

    def close(self) -> None:
        self.cut()
        self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.fixture
def proxy(postgres_migrated: str) -> Iterator[CuttableProxy]:
    url = make_url(postgres_migrated)
    proxy = CuttableProxy(url.host or "127.0.0.1", url.port or 5432)
    try:
        yield proxy
    finally:
        proxy.close()


def _events(n: int) -> dict[str, Any]:
    return {"events": [{"id": uuid.uuid4().hex, "type": "track", "ts": at(), "visitor": "v", "name": "E"}
                       for _ in range(n)]}


def test_database_outage_answers_503_and_recovers(
    proxy: CuttableProxy, postgres_migrated: str, tmp_path: Path
) -> None:
    through_proxy = make_url(postgres_migrated).set(port=proxy.port).render_as_string(hide_password=False)
    app = asyncio.run(make_app(Settings(database_url=postgres_migrated)))
    log_path = tmp_path / "server.log"
    with log_path.open("w") as log:
        process, base = start_server(through_proxy, log=log, WAYMARK_SNAPSHOT_CHECK_SECONDS="0")
        try:
            acknowledged = 0
            post = f"{base}/api/v1/events?key={app.public_key}"
            first = httpx.post(post, content=json.dumps(_events(5)), timeout=10)
            assert first.status_code == 202, first.text
            acknowledged += first.json()["accepted"]
            proxy.cut()
            during = [httpx.post(post, content=json.dumps(_events(5)), timeout=10) for _ in range(20)]
            assert {r.status_code for r in during} == {503}, [r.text for r in during]
            assert all(r.headers["retry-after"].isdigit() and r.json()["detail"] for r in during)
            health = httpx.get(f"{base}/health", timeout=10)
            assert health.status_code == 503 and health.json()["database"] == "unavailable"
            proxy.restore()
            answers: list[httpx.Response] = []

            def accepted_again() -> bool:  # the server reconnects by itself
                answers.append(httpx.post(post, content=json.dumps(_events(5)), timeout=10))
                return answers[-1].status_code == 202

            assert eventually(accepted_again, timeout=30), answers[-1].text
            acknowledged += answers[-1].json()["accepted"]
            assert httpx.get(f"{base}/health", timeout=10).status_code == 200
            exported = httpx.get(f"{base}/api/v1/events/export", timeout=10,
                                 headers={"Authorization": f"Bearer {app.secret_key}"})
            assert len(exported.text.splitlines()) == acknowledged
        finally:
            stop_server(process)
    text = log_path.read_text()
    assert "Traceback" not in text, text[-3000:]
    warnings = [line for line in text.splitlines() if "database is unreachable" in line]
    assert 1 <= len(warnings) <= 3, warnings  # one line per interval, not one per request


@pytest.fixture
def settings_without_redis(database_url: str) -> Settings:
    # Nothing listens on port 1: every Redis call is refused at once.
    return Settings(database_url=database_url, snapshot_check_seconds=0.0, redis_url="redis://127.0.0.1:1/0",
                    rate_limit_per_minute=5)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_redis_down_fails_open(settings_without_redis: Settings) -> None:
    app = await make_app(settings_without_redis)
    seen = _Records()
    logging.getLogger("waymark.ratelimit").addHandler(seen)
    try:
        await _post_through_dead_redis(settings_without_redis, app.public_key)
    finally:
        logging.getLogger("waymark.ratelimit").removeHandler(seen)
    assert len(seen.records) == 1 and "Redis is unreachable" in seen.records[0].getMessage()


async def _post_through_dead_redis(settings_without_redis: Settings, public_key: str) -> None:
    async with AsyncTestClient(app=create_app(settings_without_redis)) as client:
        # more requests than the limit allows: with Redis down nothing is limited, and nothing fails
        answers = [await client.post(f"/api/v1/events?key={public_key}", content=json.dumps(_events(2)))
                   for _ in range(8)]
        assert [a.status_code for a in answers] == [202] * 8
        assert sum(a.json()["accepted"] for a in answers) == 16
        health = await client.get("/health")
        assert health.status_code == 200
        assert health.json() == {"status": "degraded", "database": "ok", "redis": "degraded"}


async def test_health_with_redis_up(settings: Settings) -> None:
    configured = Settings(database_url=settings.database_url, redis_url="redis://127.0.0.1:6379/0")
    async with AsyncTestClient(app=create_app(configured)) as client:
        health = await client.get("/health")
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "database": "ok", "redis": "ok"}
