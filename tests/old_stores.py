"""Stores written as Waymark wrote them before a migration, for the tests of upgrading them (see ``old_store``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

__all__ = ["steps_of", "store_before_the_steps"]


async def store_before_the_steps(url: str) -> None:
    """App ``a1`` with two pages and a feature, and five events of ``ann`` (one of each kind, and a ``time``)."""
    engine = create_async_engine(url)
    postgres = url.startswith("postgresql")
    ts = datetime(2026, 10, 1, 12, 0, 5, 999_999, tzinfo=UTC)
    json_value = "CAST(:value AS json)" if postgres else ":value"
    try:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO apps (id, name, public_key, guides_version, throttle_seconds, "
                                    "created_at) VALUES ('a1', 'A', 'pk', 0, 86400, :now)"), {"now": ts})
            await conn.execute(text(f"INSERT INTO page_definitions (app_id, id, name, rule, updated_at) "
                                    f"VALUES ('a1', :id, 'P', {json_value}, :now)"),
                               [{"id": "invoices", "value": '{"path": "/demo/invoices"}', "now": ts},
                                {"id": "all", "value": '{"path": "/demo/*"}', "now": ts}])
            await conn.execute(text("INSERT INTO feature_definitions (app_id, id, name, selector, updated_at) "
                                    "VALUES ('a1', 'new', 'N', '#new-invoice', :now)"), {"now": ts})
            button = '{"element": {"tag": "button", "id": "new-invoice", "classes": [], "attrs": {}, "path": "b"}}'
            events: list[tuple[Any, ...]] = [
                ("e1", "page", None, None, "https://x.test/demo/invoices", "{}"),
                ("e2", "click", None, None, "https://x.test/demo/invoices", button),
                ("e3", "track", "Signup", None, None, "{}"),
                ("e4", "guide_completed", None, "tour", None, "{}"),
                ("e5", "time", None, None, "https://x.test/demo/invoices", '{"ms": 5}'),
            ]
            await conn.execute(text(
                "INSERT INTO events (app_id, event_id, type, name, visitor_id, tenant_id, guide_id, url, ts, "
                f"received_at, props) VALUES ('a1', :id, :type, :name, 'ann', 'acme', :guide, :url, :ts, :ts, "
                f"{json_value})"),
                [{"id": i, "type": t, "name": n, "guide": g, "url": u, "value": p,
                  "ts": ts if postgres else ts.replace(tzinfo=None)} for i, t, n, g, u, p in events])
    finally:
        await engine.dispose()


async def steps_of(url: str) -> list[tuple[Any, ...]]:
    """(client event id, step, label, second, visitor, tenant) of every step row, in event and step order."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text(
                "SELECT e.event_id, s.step, s.label, s.second, s.visitor_id, s.tenant_id FROM steps s "
                "JOIN events e ON e.id = s.event_id ORDER BY e.event_id, s.step"))).all()
    finally:
        await engine.dispose()
    return [(e, step, bool(label), second, visitor, tenant) for e, step, label, second, visitor, tenant in rows]
