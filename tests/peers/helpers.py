"""Helpers for benchmark tests: tenants with metadata and activity on past days, the API, refreshing snapshots."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, time, timedelta
from typing import Any

from litestar.testing import AsyncTestClient

from tests.analytics.helpers import BASE, auth, send
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.peers.services import BenchmarkService
from waymark.settings import Settings

__all__ = ["active", "benchmark", "days_ago", "opt_out", "refresh", "tenant", "worker"]


def days_ago(days: int, seconds: int = 0) -> str:
    """Noon UTC ``days`` days ago (plus ``seconds``): inside a snapshot's period for 1 to 30."""
    moment = datetime.combine(datetime.now(UTC).date() - timedelta(days=days), time(12), UTC)
    return (moment + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def _event(kind: str, visitor: str, tenant: str, day: int, **fields: Any) -> dict[str, Any]:
    return {"id": uuid.uuid4().hex, "type": kind, "ts": days_ago(day), "visitor": visitor, "tenant": tenant,
            "url": BASE + "/invoices", **fields}


async def tenant(client: AsyncTestClient, public_key: str, tenant_id: str, **traits: Any) -> None:
    """Make the tenant known, with its metadata (a group event yesterday)."""
    await send(client, public_key, {**_event("group", f"{tenant_id}-admin", tenant_id, 1), "traits": traits})


async def active(client: AsyncTestClient, public_key: str, tenant_id: str, visitor: str, days: list[int]) -> None:
    """The visitor views a page on each of those days ago."""
    await send(client, public_key, *(_event("page", visitor, tenant_id, d) for d in days))


async def opt_out(client: AsyncTestClient, secret: str, tenant_id: str) -> None:
    answer = await client.put(f"/api/v1/tenants/{tenant_id}/privacy", headers=auth(secret),
                              json={"opted_out": True, "drop_fields": []})
    assert answer.status_code == 200, answer.text


@asynccontextmanager
async def worker(settings: Settings) -> AsyncIterator[BenchmarkService]:
    """A benchmark service of its own (another worker; the test's event loop cannot use the app's connections)."""
    engine = create_engine(settings.database_url)
    service = BenchmarkService(make_sessionmaker(engine))
    try:
        yield service
    finally:
        await service.stop()
        await engine.dispose()


async def refresh(settings: Settings, app_id: str) -> None:
    """The next snapshot, now (as a stale one would be remade after ten minutes)."""
    async with worker(settings) as service:
        assert await service.refresh(app_id, wait=True)


async def benchmark(client: AsyncTestClient, secret: str, **params: str) -> Any:
    return await client.get("/api/v1/reports/benchmarks", params=params, headers=auth(secret))
