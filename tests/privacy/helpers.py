"""Helpers for privacy tests: secret-key headers, analytics events, raw rows straight from the database."""

from __future__ import annotations

import json
import uuid
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import select

from tests.support import at
from waymark.db.engine import create_engine
from waymark.db.models import Base
from waymark.settings import Settings

__all__ = ["auth", "dump_database", "export_lines", "send", "track"]


def auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def track(visitor: str, tenant: str | None = None, **fields: Any) -> dict[str, Any]:
    """An analytics event (``track`` unless ``type`` is given) a minute ago, unless ``ts`` is given."""
    body: dict[str, Any] = {"id": uuid.uuid4().hex, "type": "track", "name": "Clicked", "ts": at(0),
                            "visitor": visitor, **fields}
    if tenant is not None:
        body["tenant"] = tenant
    return body


async def send(client: AsyncTestClient, public_key: str, *events: dict[str, Any], **headers: str) -> dict[str, Any]:
    response = await client.post(f"/api/v1/events?key={public_key}", content=json.dumps({"events": list(events)}),
                                 headers={"Content-Type": "text/plain", **headers})
    assert response.status_code == 202, response.text
    return response.json()  # type: ignore[no-any-return]


async def export_lines(client: AsyncTestClient, secret: str, **params: str) -> list[dict[str, Any]]:
    """The app's NDJSON event export, parsed."""
    response = await client.get("/api/v1/events/export", params=params, headers=auth(secret))
    assert response.status_code == 200, response.text
    return [json.loads(line) for line in response.text.splitlines()]


async def dump_database(settings: Settings) -> str:
    """Every row of every table as text: to prove that something is stored nowhere."""
    engine = create_engine(settings.database_url)
    parts: list[str] = []
    try:
        async with engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                for row in (await conn.execute(select(table))).all():
                    parts.append(f"{table.name}: {json.dumps([str(v) for v in row])}")
    finally:
        await engine.dispose()
    return "\n".join(parts)
