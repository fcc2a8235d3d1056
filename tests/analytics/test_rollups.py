"""Roll-ups: kept up to date by every ingest, rebuilt when a rule changes, equal to a recount from events."""

from __future__ import annotations

import asyncio
import itertools
import random

from litestar.testing import AsyncTestClient
from sqlalchemy import delete

from tests.analytics.helpers import click, element, event, put_feature, put_page, report, send, usage_rows
from tests.support import make_app
from waymark.analytics.rollups import rebuild_all
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.models import Event
from waymark.settings import Settings


async def _recount(settings: Settings, app_id: str) -> None:
    engine = create_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            await rebuild_all(session, app_id)
            await session.commit()
    finally:
        await engine.dispose()


async def test_ingest_rolls_up_pages_features_events_guides_and_activity(
    client: AsyncTestClient, settings: Settings
) -> None:
    app = await make_app(settings)
    assert (await put_page(client, app.secret_key, "invoices", "/demo/invoices")).status_code == 201
    assert (await put_page(client, app.secret_key, "invoice", "/demo/invoices/*")).status_code == 201
    assert (await put_feature(client, app.secret_key, "new-invoice", "#new-invoice")).status_code == 201
    await send(client, app.public_key,
               event("page", "ann"),
               click("new-invoice", "ann", seconds=1),
               click("new-invoice", "ann", seconds=2),
               click("export-csv", "ann", seconds=3),
               event("time", "ann", ms=4000, seconds=4),
               event("page", "ann", path="/demo/invoices/INV-1", seconds=5),
               event("time", "ann", path="/demo/invoices/INV-1", ms=1500, seconds=6),
               event("track", "ann", name="invoice_sent", seconds=7),
               event("guide_seen", "ann", guide="welcome-tour", step=0, seconds=8),
               event("guide_dismissed", "ann", guide="welcome-tour", step=0, seconds=9),
               event("page", "bob", tenant="globex"))
    assert await usage_rows(settings, app.id) == [
        ("acme", "ann", "active", "", 10, 5500),  # time in the app: both time events
        ("acme", "ann", "event", "invoice_sent", 1, 0),
        ("acme", "ann", "feature", "new-invoice", 2, 0),
        ("acme", "ann", "guide", "welcome-tour", 1, 0),
        ("acme", "ann", "page", "invoice", 1, 1500),
        ("acme", "ann", "page", "invoices", 1, 4000),
        ("globex", "bob", "active", "", 1, 0),
        ("globex", "bob", "page", "invoices", 1, 0),
    ]


async def test_a_resent_batch_is_counted_once(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await put_page(client, app.secret_key, "invoices", "/demo/invoices")
    batch = [event("page", "ann", id="p-1"), click("new-invoice", "ann", id="c-1")]
    await send(client, app.public_key, *batch)
    again = await send(client, app.public_key, *batch)
    assert again["duplicates"] == 2
    assert await usage_rows(settings, app.id) == [
        ("acme", "ann", "active", "", 2, 0), ("acme", "ann", "page", "invoices", 1, 0),
    ]


async def test_a_feature_defined_today_counts_the_clicks_already_stored(
    client: AsyncTestClient, settings: Settings
) -> None:
    app = await make_app(settings)
    await send(client, app.public_key, *(click("export-csv", v) for v in ("ann", "ann", "bob")),
               click("new-invoice", "ann"))
    assert (await report(client, app.secret_key))["features"] == []
    defined = await put_feature(client, app.secret_key, "export", "#export-csv", name="Export CSV")
    assert defined.status_code == 201
    assert defined.headers["x-waymark-rebuilt"] == "3"
    assert (await report(client, app.secret_key))["features"] == [
        {"id": "export", "name": "Export CSV", "clicks": 3, "visitors": 2},
    ]
    # and clicks after the definition are counted on ingest
    await send(client, app.public_key, click("export-csv", "cid"))
    assert (await report(client, app.secret_key))["features"][0]["clicks"] == 4


async def test_changing_a_rule_recounts_and_renaming_does_not(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await send(client, app.public_key, click("export-csv"), click("new-invoice"), click("new-invoice"),
               event("page", path="/demo/settings"), event("page", path="/demo/settings/team"),
               event("time", path="/demo/settings/team", ms=700))
    await put_feature(client, app.secret_key, "button", "#export-csv")
    await put_page(client, app.secret_key, "settings", "/demo/settings")

    async def figures() -> tuple[list[tuple[str, int]], list[tuple[str, int, int]]]:
        body = await report(client, app.secret_key)
        return ([(f["name"], f["clicks"]) for f in body["features"]],
                [(p["name"], p["views"], p["ms"]) for p in body["pages"]])

    assert await figures() == ([("A feature", 1)], [("A page", 1, 0)])
    changed = await put_feature(client, app.secret_key, "button", "#new-invoice")
    assert (changed.status_code, changed.headers["x-waymark-rebuilt"]) == (200, "2")
    await put_page(client, app.secret_key, "settings", "/demo/settings**")
    assert await figures() == ([("A feature", 2)], [("A page", 2, 700)])
    renamed = await put_feature(client, app.secret_key, "button", "#new-invoice", name="New invoice")
    assert renamed.headers["x-waymark-rebuilt"] == "no"
    assert await figures() == ([("New invoice", 2)], [("A page", 2, 700)])


async def test_a_feature_on_a_page_counts_clicks_on_that_page_only(
    client: AsyncTestClient, settings: Settings
) -> None:
    app = await make_app(settings)
    await send(client, app.public_key, click("help", path="/demo/invoices"), click("help", path="/demo/settings"),
               click("help", path="/demo/settings/team"))
    await put_feature(client, app.secret_key, "help-settings", "#help", page="/demo/settings**")
    await put_feature(client, app.secret_key, "help-anywhere", "#help")
    clicks = {f["id"]: f["clicks"] for f in (await report(client, app.secret_key))["features"]}
    assert clicks == {"help-settings": 2, "help-anywhere": 3}


async def test_deleting_a_rule_removes_its_figures(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await send(client, app.public_key, click("export-csv"))
    await put_feature(client, app.secret_key, "export", "#export-csv")
    deleted = await client.delete("/api/v1/features/export", headers={"Authorization": f"Bearer {app.secret_key}"})
    assert deleted.status_code == 204
    assert [r for r in await usage_rows(settings, app.id) if r[2] == "feature"] == []
    assert (await report(client, app.secret_key))["features"] == []


async def test_an_alias_merges_the_anonymous_visitors_figures(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await put_page(client, app.secret_key, "invoices", "/demo/invoices")
    await send(client, app.public_key, event("page", "anon-1"), click("new-invoice", "anon-1", seconds=1))
    await send(client, app.public_key, event("page", "ann", seconds=2),
               event("alias", "ann", previous="anon-1", seconds=3), event("page", "anon-1", seconds=4))
    body = await report(client, app.secret_key)
    assert body["visitors"] == [{"visitor": "ann", "days_active": 1, "events": 5}]
    assert body["pages"][0]["views"] == 3 and body["pages"][0]["visitors"] == 1
    await _recount(settings, app.id)
    assert (await report(client, app.secret_key))["visitors"] == body["visitors"]


async def test_the_report_reads_only_the_roll_up(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await put_page(client, app.secret_key, "invoices", "/demo/invoices")
    await send(client, app.public_key, event("page", "ann"), event("time", "ann", ms=900))
    before = await report(client, app.secret_key)
    engine = create_engine(settings.database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(delete(Event).where(Event.app_id == app.id))
    finally:
        await engine.dispose()
    assert await report(client, app.secret_key) == before


def _random_events(rng: random.Random, count: int) -> list[dict[str, object]]:
    paths = ["/demo/invoices", "/demo/invoices/INV-1", "/demo/settings", "/demo/settings/team", "/other"]
    ids = ["new-invoice", "export-csv", "send-invoice", "save-settings", "help-button", ""]
    out: list[dict[str, object]] = []
    for i in range(count):
        visitor, tenant, path = rng.choice(["a", "b", "c", "d"]), rng.choice(["acme", "globex", None]), \
            rng.choice(paths)
        kind = rng.choice(["page", "click", "click", "time", "track", "guide_seen", "identify"])
        extra: dict[str, object] = {}
        if kind == "click":
            extra["element"] = element(rng.choice(ids), text="x")
        elif kind == "time":
            extra["ms"] = rng.randint(0, 60_000)
        elif kind == "track":
            extra["name"] = rng.choice(["sent", "saved"])
        elif kind == "guide_seen":
            extra["guide"] = rng.choice(["tour", "tip"])
        out.append(event(kind, visitor, tenant=tenant, path=path, seconds=-i, **extra))
    return out


async def test_incremental_roll_ups_equal_a_recount_even_with_concurrent_rule_changes(
    client: AsyncTestClient, settings: Settings
) -> None:
    app = await make_app(settings)
    rng = random.Random(3)
    events = _random_events(rng, 240)
    await send(client, app.public_key, *events[:60])
    rule_changes = [
        put_page(client, app.secret_key, "invoices", "/demo/invoices**"),
        put_feature(client, app.secret_key, "send", "#send-invoice, #new-invoice", page="/demo/invoices/*"),
        put_page(client, app.secret_key, "settings", {"path": "/demo/settings*", "host": "app.example.com"}),
        put_feature(client, app.secret_key, "buttons", "div.actions > button"),
        put_feature(client, app.secret_key, "send", "#send-invoice"),
    ]
    batches = [send(client, app.public_key, *events[i:i + 20]) for i in range(60, 240, 20)]
    mixed = [c for pair in itertools.zip_longest(batches, rule_changes) for c in pair if c is not None]
    answers = await asyncio.gather(*mixed)
    assert all(getattr(a, "status_code", 202) in (200, 201, 202) for a in answers)
    incremental = await usage_rows(settings, app.id)
    assert any(r[2] == "feature" for r in incremental) and any(r[2] == "page" for r in incremental)
    await _recount(settings, app.id)
    assert incremental == await usage_rows(settings, app.id)
