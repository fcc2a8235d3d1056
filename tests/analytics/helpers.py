"""Helpers for analytics tests: events as the widget sends them, definitions, reports, raw roll-up rows."""

from __future__ import annotations

import json
import uuid
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import select

from tests.support import at
from waymark.db.engine import create_engine
from waymark.db.models import DailyUsage
from waymark.settings import Settings

__all__ = [
    "BASE",
    "auth",
    "click",
    "element",
    "event",
    "put_feature",
    "put_page",
    "report",
    "send",
    "usage_rows",
]

BASE = "http://app.example.com"


def auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def element(element_id: str = "", tag: str = "button", text: str = "", classes: tuple[str, ...] = (),
            path: str | None = None, attrs: dict[str, str] | None = None) -> dict[str, Any]:
    """A click descriptor as the widget's element.js makes it."""
    own = tag + (f"#{element_id}" if element_id else "") + "".join(f".{c}" for c in classes)
    return {"tag": tag, "id": element_id, "classes": list(classes), "attrs": attrs or {}, "text": text,
            "path": path if path is not None else f"main#main > div.page-head > div.actions > {own}"}


def event(kind: str, visitor: str = "v1", tenant: str | None = "acme", path: str = "/demo/invoices",
          seconds: float = 0, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"id": uuid.uuid4().hex, "type": kind, "ts": at(seconds), "visitor": visitor,
                            "url": BASE + path, **fields}
    if tenant is not None:
        body["tenant"] = tenant
    return body


def click(element_id: str, visitor: str = "v1", path: str = "/demo/invoices", **fields: Any) -> dict[str, Any]:
    return event("click", visitor, path=path, element=element(element_id, text=element_id.replace("-", " ")),
                 **fields)


async def send(client: AsyncTestClient, public_key: str, *events: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(f"/api/v1/events?key={public_key}", content=json.dumps({"events": list(events)}),
                                 headers={"Content-Type": "text/plain"})
    assert response.status_code == 202, response.text
    assert not response.json()["rejected"], response.json()
    return response.json()  # type: ignore[no-any-return]


async def put_page(client: AsyncTestClient, secret: str, page_id: str, rule: Any, name: str = "A page") -> Any:
    return await client.put(f"/api/v1/pages/{page_id}", json={"name": name, "rule": rule}, headers=auth(secret))


async def put_feature(client: AsyncTestClient, secret: str, feature_id: str, selector: str,
                      page: Any = None, name: str = "A feature") -> Any:
    body: dict[str, Any] = {"name": name, "selector": selector}
    if page is not None:
        body["page"] = page
    return await client.put(f"/api/v1/features/{feature_id}", json=body, headers=auth(secret))


async def report(client: AsyncTestClient, secret: str, **params: str) -> dict[str, Any]:
    response = await client.get("/api/v1/reports/usage", params=params, headers=auth(secret))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def usage_rows(settings: Settings, app_id: str) -> list[tuple[str, str, str, str, int, int]]:
    """(tenant, visitor, kind, key, count, ms) of every roll-up row of the app, days left out, sorted."""
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(DailyUsage.tenant_id, DailyUsage.visitor_id, DailyUsage.kind, DailyUsage.key,
                       DailyUsage.count, DailyUsage.ms).where(DailyUsage.app_id == app_id)
            )
            return sorted((r[0], r[1], r[2], r[3], int(r[4]), int(r[5])) for r in rows)
    finally:
        await engine.dispose()
