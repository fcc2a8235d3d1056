"""Helpers for the summary and overview tests: events on chosen days, a refresh, the services under a scope."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from litestar.testing import AsyncTestClient

from tests.analytics.helpers import BASE, auth, element
from waymark.analytics.overview import overview
from waymark.analytics.overview_schemas import Overview, TenantsReport
from waymark.analytics.summaries import Refreshed, refresh_summaries
from waymark.analytics.tenants_report import tenants_report
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.scope import Scope, scoped_session
from waymark.settings import Settings

__all__ = ["FIREFOX", "ago", "define", "erase", "on", "overview_of", "refresh", "send", "tenants_of", "today"]

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


def today() -> date:
    return datetime.now(UTC).date()


def ago(days: int) -> date:
    return today() - timedelta(days=days)


def on(kind: str, visitor: str, tenant: str | None, days_ago: int, path: str = "/demo/invoices",
       **fields: Any) -> dict[str, Any]:
    """An event ``days_ago`` days back, at 00:30 UTC (before now on any day, so never moved by the clock check)."""
    moment = datetime.combine(ago(days_ago), datetime.min.time(), tzinfo=UTC) + timedelta(minutes=30)
    body: dict[str, Any] = {"id": uuid.uuid4().hex, "type": kind, "visitor": visitor, "url": BASE + path,
                            "ts": moment.isoformat().replace("+00:00", "Z"), **fields}
    if tenant is not None:
        body["tenant"] = tenant
    if kind == "click" and "element" not in body:
        body["element"] = element("export-csv", text="Export CSV")
    return body


async def send(client: AsyncTestClient, public_key: str, *events: dict[str, Any], **headers: str) -> dict[str, Any]:
    answer = await client.post(f"/api/v1/events?key={public_key}", content=json.dumps({"events": list(events)}),
                               headers={"Content-Type": "text/plain", **headers})
    assert answer.status_code == 202, answer.text
    assert not answer.json()["rejected"], answer.json()
    return answer.json()  # type: ignore[no-any-return]


async def define(client: AsyncTestClient, secret: str) -> None:
    """The page ``invoices`` (/demo/invoices) and the feature ``export`` (#export-csv)."""
    page = await client.put("/api/v1/pages/invoices", json={"name": "Invoices", "rule": "/demo/invoices"},
                            headers=auth(secret))
    assert page.status_code in (200, 201), page.text
    feature = await client.put("/api/v1/features/export", json={"name": "Export", "selector": "#export-csv"},
                               headers=auth(secret))
    assert feature.status_code in (200, 201), feature.text


async def erase(client: AsyncTestClient, secret: str, visitor: str) -> None:
    answer = await client.delete(f"/api/v1/visitors/{visitor}", headers=auth(secret))
    assert answer.status_code == 200, answer.text


async def refresh(settings: Settings, app_id: str) -> Refreshed:
    engine = create_engine(settings.database_url)
    try:
        return await refresh_summaries(make_sessionmaker(engine), app_id)
    finally:
        await engine.dispose()


async def overview_of(settings: Settings, scope: Scope, start: date, end: date, segment: str | None = None
                      ) -> Overview:
    engine = create_engine(settings.database_url)
    try:
        async with scoped_session(make_sessionmaker(engine), scope) as session:
            return await overview(session, scope, start, end, segment)
    finally:
        await engine.dispose()


async def tenants_of(settings: Settings, app_id: str, start: date, end: date, **options: Any) -> TenantsReport:
    engine = create_engine(settings.database_url)
    try:
        async with scoped_session(make_sessionmaker(engine), Scope(app_id)) as session:
            return await tenants_report(session, Scope(app_id), start, end, **options)
    finally:
        await engine.dispose()
