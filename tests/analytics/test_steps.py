"""The step projection follows the events: ingest, a rule defined, changed or deleted later, an alias, a late
tenant, erasure and retention, a tenant's scope, the bulk loader and the upgrade's back-fill; it equals a
recomputation from the stored events."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from litestar.testing import AsyncTestClient
from sqlalchemy import select

from tests.analytics.helpers import auth, click, event, put_feature, put_page, send
from tests.analytics.summary_helpers import erase
from tests.old_stores import steps_of, store_before_the_steps
from tests.support import at, make_app, purge
from waymark.analytics.bulk import bulk_load_sqlite
from waymark.analytics.bulk_event import BulkEvent
from waymark.analytics.rules import load_rule_book
from waymark.analytics.steps import Step, step_rows
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.models import Event
from waymark.db.scope import Scope, scoped_session
from waymark.settings import Settings
from waymark.upgrade.run import upgrade

Row = tuple[str, str | None, str, bool]
"""(visitor, tenant, step, label)."""


async def stored(settings: Settings, app_id: str, tenant: str | None = None) -> list[Row]:
    """The projection's rows, read through the scope of the app or of one of its tenants."""
    engine = create_engine(settings.database_url)
    try:
        async with scoped_session(make_sessionmaker(engine), Scope(app_id, tenant)) as session:
            rows = (await session.execute(select(Step.visitor_id, Step.tenant_id, Step.step, Step.label))).all()
    finally:
        await engine.dispose()
    return sorted((v, t, s, bool(label)) for v, t, s, label in rows)


async def recomputed(settings: Settings, app_id: str) -> list[Row]:
    """What the rows would be if made now from every stored event with the current rules."""
    engine = create_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            book = await load_rule_book(session, app_id)
            events = (await session.execute(select(
                Event.id, Event.type, Event.name, Event.guide_id, Event.url, Event.props, Event.visitor_id,
                Event.tenant_id, Event.ts).where(Event.app_id == app_id))).all()
    finally:
        await engine.dispose()
    return sorted((r["visitor_id"], r["tenant_id"], r["step"], r["label"]) for r in step_rows(app_id, book, events))


async def seconds_of(settings: Settings, app_id: str) -> list[tuple[int, int]]:
    """(the row's second, the event's time in whole seconds) of every row."""
    engine = create_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            rows = (await session.execute(select(Step.second, Event.ts).join(Event, Event.id == Step.event_id)
                                          .where(Step.app_id == app_id))).all()
    finally:
        await engine.dispose()
    return [(second, int((ts if ts.tzinfo else ts.replace(tzinfo=UTC)).timestamp())) for second, ts in rows]


async def test_ingest_makes_one_row_per_event_and_step_with_the_path_label_on_the_first_rule(
    client: AsyncTestClient, settings: Settings
) -> None:
    app = await make_app(settings)
    assert (await put_page(client, app.secret_key, "all", "/demo/*")).status_code == 201
    assert (await put_page(client, app.secret_key, "invoices", "/demo/invoices")).status_code == 201
    assert (await put_feature(client, app.secret_key, "new-invoice", "#new-invoice")).status_code == 201
    await send(client, app.public_key,
               event("page", "ann"),                                       # two pages: "all" comes first
               event("page", "ann", path="/elsewhere", seconds=1),         # no page: no row
               click("new-invoice", "ann", seconds=2),
               click("export-csv", "ann", seconds=3),                      # no feature: no row
               event("time", "ann", ms=4000, seconds=4),                   # never a step
               event("track", "ann", name="invoice_sent", seconds=5.5),
               event("guide_seen", "ann", guide="tour", step=0, seconds=6),
               event("guide_dismissed", "ann", guide="tour", step=0, seconds=7),
               event("page", "bob", tenant="globex", seconds=8))
    assert await stored(settings, app.id) == [
        ("ann", "acme", "event:invoice_sent", True),
        ("ann", "acme", "feature:new-invoice", True),
        ("ann", "acme", "guide:tour:dismissed", False),
        ("ann", "acme", "guide:tour:seen", False),
        ("ann", "acme", "page:all", True),
        ("ann", "acme", "page:invoices", False),
        ("bob", "globex", "page:all", True),
        ("bob", "globex", "page:invoices", False),
    ]
    assert await stored(settings, app.id) == await recomputed(settings, app.id)
    assert [second for second, ts in await seconds_of(settings, app.id) if second != ts] == []


async def test_a_rule_defined_changed_or_deleted_later_rebuilds_the_rows_of_its_events(
    client: AsyncTestClient, settings: Settings
) -> None:
    app = await make_app(settings)
    await send(client, app.public_key, event("page", "ann"), click("new-invoice", "ann", seconds=1),
               event("page", "bob", path="/demo/settings", seconds=2))
    assert await stored(settings, app.id) == []

    assert (await put_page(client, app.secret_key, "invoices", "/demo/invoices")).status_code == 201
    assert (await put_feature(client, app.secret_key, "new-invoice", "#new-invoice")).status_code == 201
    assert await stored(settings, app.id) == [
        ("ann", "acme", "feature:new-invoice", True), ("ann", "acme", "page:invoices", True)]

    # a page first in rule order takes the path label of the views it matches; the other page keeps its row
    assert (await put_page(client, app.secret_key, "a-demo", "/demo/**")).status_code == 201
    assert await stored(settings, app.id) == [
        ("ann", "acme", "feature:new-invoice", True), ("ann", "acme", "page:a-demo", True),
        ("ann", "acme", "page:invoices", False), ("bob", "acme", "page:a-demo", True)]

    # changed: it no longer matches ann's view, whose label goes back to the page still matching it
    assert (await put_page(client, app.secret_key, "a-demo", "/demo/settings")).status_code == 200
    assert await stored(settings, app.id) == [
        ("ann", "acme", "feature:new-invoice", True), ("ann", "acme", "page:invoices", True),
        ("bob", "acme", "page:a-demo", True)]

    for kind, rule_id in (("pages", "a-demo"), ("features", "new-invoice")):
        gone = await client.delete(f"/api/v1/{kind}/{rule_id}", headers=auth(app.secret_key))
        assert gone.status_code == 204, gone.text
    assert await stored(settings, app.id) == [("ann", "acme", "page:invoices", True)]
    assert await stored(settings, app.id) == await recomputed(settings, app.id)


async def test_a_tenant_given_later_reaches_the_rows_of_earlier_events(
    client: AsyncTestClient, settings: Settings
) -> None:
    app = await make_app(settings)
    await send(client, app.public_key, event("track", "ann", tenant=None, name="Signup"),
               event("track", "bob", tenant="initech", name="Signup"))
    assert await stored(settings, app.id) == [("ann", None, "event:Signup", True),
                                              ("bob", "initech", "event:Signup", True)]
    await send(client, app.public_key, event("group", "ann", tenant="acme", seconds=1, traits={}),
               event("track", "ann", name="Invite", seconds=2))
    assert await stored(settings, app.id) == [
        ("ann", "acme", "event:Invite", True), ("ann", "acme", "event:Signup", True),
        ("bob", "initech", "event:Signup", True)]
    assert await stored(settings, app.id) == await recomputed(settings, app.id)


async def test_an_alias_gives_the_rows_of_the_earlier_id_to_the_visitor(
    client: AsyncTestClient, settings: Settings
) -> None:
    app = await make_app(settings)
    await send(client, app.public_key, event("track", "anon-1", name="Signup"),
               event("track", "ann", name="Invite", seconds=1))
    await send(client, app.public_key, event("alias", "ann", seconds=2, previous="anon-1"),
               event("track", "anon-1", name="Invite", seconds=3))
    assert await stored(settings, app.id) == [
        ("ann", "acme", "event:Invite", True), ("ann", "acme", "event:Invite", True),
        ("ann", "acme", "event:Signup", True)]
    assert await stored(settings, app.id) == await recomputed(settings, app.id)


async def test_a_tenant_scope_sees_only_its_own_rows(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await send(client, app.public_key, event("track", "ann", name="Signup"),
               event("track", "bob", tenant="globex", name="Signup"))
    other = await make_app(settings, "other")
    await send(client, other.public_key, event("track", "cid", name="Signup"))
    assert await stored(settings, app.id, "acme") == [("ann", "acme", "event:Signup", True)]
    assert await stored(settings, app.id, "globex") == [("bob", "globex", "event:Signup", True)]
    assert await stored(settings, app.id) == [("ann", "acme", "event:Signup", True),
                                              ("bob", "globex", "event:Signup", True)]


async def test_erasure_and_retention_delete_the_rows_of_their_events(
    client: AsyncTestClient, settings: Settings
) -> None:
    app = await make_app(settings)
    keep = await client.put("/api/v1/settings", json={"honor_dnt": False, "retention_days": 30},
                            headers=auth(app.secret_key))
    assert keep.status_code == 200, keep.text
    await send(client, app.public_key, event("track", "ann", name="Old", ts=at(-40 * 86_400)),
               event("track", "ann", name="New"), event("track", "bob", name="Old", ts=at(-40 * 86_400)),
               event("track", "bob", name="New"))
    await erase(client, app.secret_key, "bob")
    assert await stored(settings, app.id) == [("ann", "acme", "event:New", True), ("ann", "acme", "event:Old", True)]
    assert await purge(settings) == {app.id: 1}
    assert await stored(settings, app.id) == [("ann", "acme", "event:New", True)]


def test_the_upgrade_makes_the_rows_of_events_stored_before_the_steps(old_store: str) -> None:
    asyncio.run(store_before_the_steps(old_store))
    upgrade(old_store)
    second = int(datetime(2026, 10, 1, 12, 0, 5, tzinfo=UTC).timestamp())  # rounded down, never up
    assert asyncio.run(steps_of(old_store)) == [(e, s, label, second, "ann", "acme") for e, s, label in (
        ("e1", "page:all", True), ("e1", "page:invoices", False), ("e2", "feature:new", True),
        ("e3", "event:Signup", True), ("e4", "guide:tour:completed", False))]


async def test_the_bulk_loader_writes_the_rows_ingestion_would(tmp_path: Path, sqlite_template: Path) -> None:
    """SQLite only: the bulk loader writes SQLite files (PostgreSQL loads through ingestion)."""
    path = tmp_path / "bulk.db"
    shutil.copy(sqlite_template, path)
    settings = Settings(database_url=f"sqlite+aiosqlite:///{path}")
    app = await make_app(settings)
    with sqlite3.connect(path) as conn:
        now = datetime.now(UTC).replace(tzinfo=None)
        conn.execute("INSERT INTO page_definitions (app_id, id, name, rule, updated_at) VALUES (?, 'home', 'H', "
                     "'{\"path\": \"/\"}', ?)", (app.id, now))
        conn.execute("INSERT INTO feature_definitions (app_id, id, name, selector, updated_at) "
                     "VALUES (?, 'new', 'N', '#new-invoice', ?)", (app.id, now))
    moment = now - timedelta(hours=1, microseconds=now.microsecond - 999_999)
    button = {"tag": "button", "id": "new-invoice", "classes": [], "attrs": {}, "text": "", "path": "button"}
    events = [BulkEvent("b1", "page", moment, "ana", "acme", "https://h/"),
              BulkEvent("b2", "click", moment, "ana", "acme", "https://h/", element=button),
              BulkEvent("b3", "time", moment, "ana", "acme", "https://h/", ms=5),
              BulkEvent("b4", "track", moment, "ben", "globex", "https://h/", name="Signup"),
              BulkEvent("b5", "guide_seen", moment, "ben", "globex", "https://h/", guide="tour")]
    assert bulk_load_sqlite(str(path), app.id, events, batch=2) == 5
    assert await stored(settings, app.id) == [
        ("ana", "acme", "feature:new", True), ("ana", "acme", "page:home", True),
        ("ben", "globex", "event:Signup", True), ("ben", "globex", "guide:tour:seen", False)]
    assert await stored(settings, app.id) == await recomputed(settings, app.id)
    assert [second for second, ts in await seconds_of(settings, app.id) if second != ts] == []


async def test_a_view_matching_two_steps_of_a_funnel_is_one_event(client: AsyncTestClient, settings: Settings) -> None:
    """Two rows, one event: it satisfies one step only, so a second view is needed to go on."""
    app = await make_app(settings)
    assert (await put_page(client, app.secret_key, "demo", "/demo/*")).status_code == 201
    assert (await put_page(client, app.secret_key, "invoices", "/demo/invoices")).status_code == 201
    await send(client, app.public_key, event("page", "ann"), event("page", "bob"),
               event("page", "bob", seconds=1))
    answer = await client.get("/api/v1/reports/funnel", headers=auth(app.secret_key),
                              params={"steps": "page:demo,page:invoices"})
    assert answer.status_code == 200, answer.text
    assert [(s["entered"], s["converted"]) for s in answer.json()["steps"]] == [(2, 2), (2, 1)]
