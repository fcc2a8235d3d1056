"""The first day of each thing follows the daily roll-up: ingest, a rule defined, changed or deleted later, an
alias, a late tenant, erasure, retention, the bulk loader and the upgrade's back-fill; it always equals a
recomputation from ``daily_usage``. Signal's window read from it answers as the roll-up read did, also for a
unit whose first day of a thing is before it was first seen."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.analytics.helpers import auth, click, event, put_feature, put_page, send
from tests.analytics.summary_helpers import erase
from tests.support import at, make_app, purge
from waymark.analytics.bulk import bulk_load_sqlite
from waymark.analytics.bulk_event import BulkEvent
from waymark.analytics.item_first_days import ITEM_KINDS, ItemFirstDay
from waymark.behaviour.daily_facts import Who, goal_offsets, item_label, window_items
from waymark.behaviour.refs import Unit
from waymark.clock import as_utc
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.models import DailyUsage, Tenant, Visitor
from waymark.db.scope import Scope, scoped_session
from waymark.settings import Settings
from waymark.upgrade.run import upgrade

Row = tuple[str, str, str, str, date]
"""(visitor, tenant, kind, key, first day)."""
DAY = 86_400


def _day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


async def stored(settings: Settings, app_id: str) -> list[Row]:
    engine = create_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            rows = (await session.execute(select(
                ItemFirstDay.visitor_id, ItemFirstDay.tenant_id, ItemFirstDay.kind, ItemFirstDay.key,
                ItemFirstDay.first_day).where(ItemFirstDay.app_id == app_id))).tuples().all()
    finally:
        await engine.dispose()
    return sorted(rows)


async def recomputed(settings: Settings, app_id: str) -> list[Row]:
    """What the rows are by definition: the earliest day of each roll-up row that counts a thing."""
    engine = create_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            rows = (await session.execute(select(
                DailyUsage.visitor_id, DailyUsage.tenant_id, DailyUsage.kind, DailyUsage.key, DailyUsage.day,
                DailyUsage.count).where(DailyUsage.app_id == app_id))).tuples().all()
    finally:
        await engine.dispose()
    firsts: dict[tuple[str, str, str, str], date] = {}
    for visitor, tenant, kind, key, day, count in rows:
        if kind in ITEM_KINDS and count > 0:
            pair = (visitor, tenant, kind, key)
            firsts[pair] = min(firsts.get(pair, day), day)
    return sorted((*pair, day) for pair, day in firsts.items())


async def assert_mirrors(settings: Settings, app_id: str) -> list[Row]:
    rows = await stored(settings, app_id)
    assert rows == await recomputed(settings, app_id)
    return rows


def _today() -> date:
    return datetime.now(UTC).date()


def _ago(days: int) -> date:
    return (datetime.now(UTC) - timedelta(minutes=1) - timedelta(days=days)).date()


async def test_ingest_keeps_the_earliest_day_a_thing_was_counted(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    assert (await put_page(client, app.secret_key, "invoices", "/demo/invoices")).status_code == 201
    await send(client, app.public_key, event("track", "ann", name="Signup", ts=at(-3 * DAY)),
               event("time", "bob", ms=4000),  # time on a page counts no view: no row
               click("new-invoice", "bob"), event("page", "ann"))
    # history sent late moves the first day back; a later day leaves it
    await send(client, app.public_key, event("page", "ann", ts=at(-5 * DAY)),
               event("track", "ann", name="Signup", seconds=1))
    rows = await assert_mirrors(settings, app.id)
    assert [(v, t, k, key, d) for v, t, k, key, d in rows] == [
        ("ann", "acme", "event", "Signup", _ago(3)), ("ann", "acme", "page", "invoices", _ago(5))]


async def test_a_rule_defined_changed_or_deleted_later_changes_its_rows(
    client: AsyncTestClient, settings: Settings
) -> None:
    app = await make_app(settings)
    await send(client, app.public_key, event("page", "ann", ts=at(-2 * DAY)), click("new-invoice", "ann"),
               event("page", "bob", path="/demo/settings"))
    assert await assert_mirrors(settings, app.id) == []
    assert (await put_page(client, app.secret_key, "demo", "/demo/invoices")).status_code == 201
    assert (await put_feature(client, app.secret_key, "new-invoice", "#new-invoice")).status_code == 201
    assert len(await assert_mirrors(settings, app.id)) == 2
    assert (await put_page(client, app.secret_key, "demo", "/demo/settings")).status_code == 200
    assert [r[:4] for r in await assert_mirrors(settings, app.id)] == [
        ("ann", "acme", "feature", "new-invoice"), ("bob", "acme", "page", "demo")]
    gone = await client.delete("/api/v1/features/new-invoice", headers=auth(app.secret_key))
    assert gone.status_code == 204, gone.text
    assert [r[:4] for r in await assert_mirrors(settings, app.id)] == [("bob", "acme", "page", "demo")]


async def test_an_alias_keeps_the_earlier_first_day_of_the_two_ids(
    client: AsyncTestClient, settings: Settings
) -> None:
    app = await make_app(settings)
    await send(client, app.public_key, event("track", "anon-1", name="Signup", ts=at(-4 * DAY)),
               event("track", "anon-1", name="Invite", ts=at(-1 * DAY)),
               event("track", "ann", name="Invite", ts=at(-2 * DAY)))
    await send(client, app.public_key, event("alias", "ann", previous="anon-1"))
    assert await assert_mirrors(settings, app.id) == [
        ("ann", "acme", "event", "Invite", _ago(2)), ("ann", "acme", "event", "Signup", _ago(4))]


async def test_a_late_tenant_moves_the_days_it_reaches_and_leaves_the_rest(
    client: AsyncTestClient, settings: Settings
) -> None:
    app = await make_app(settings)
    keep = await client.put("/api/v1/settings", json={"honor_dnt": False, "retention_days": 30},
                            headers=auth(app.secret_key))
    assert keep.status_code == 200, keep.text
    await send(client, app.public_key, event("track", "ann", tenant=None, name="Signup", ts=at(-40 * DAY)),
               event("track", "ann", tenant=None, name="Signup", ts=at(-3 * DAY)),
               event("track", "ann", tenant=None, name="Invite", ts=at(-2 * DAY)))
    assert await purge(settings) == {app.id: 1}  # the roll-up keeps day -40; no event is left to move
    await send(client, app.public_key, event("group", "ann", tenant="acme", traits={}))
    assert await assert_mirrors(settings, app.id) == [
        ("ann", "", "event", "Signup", _ago(40)), ("ann", "acme", "event", "Invite", _ago(2)),
        ("ann", "acme", "event", "Signup", _ago(3))]


async def test_erasure_deletes_the_rows_and_retention_keeps_what_the_roll_up_keeps(
    client: AsyncTestClient, settings: Settings
) -> None:
    app = await make_app(settings)
    keep = await client.put("/api/v1/settings", json={"honor_dnt": False, "retention_days": 30},
                            headers=auth(app.secret_key))
    assert keep.status_code == 200, keep.text
    await send(client, app.public_key, event("track", "ann", name="Old", ts=at(-40 * DAY)),
               event("track", "ann", name="New"), event("track", "bob", name="Old", ts=at(-40 * DAY)))
    await erase(client, app.secret_key, "bob")
    before = await assert_mirrors(settings, app.id)
    assert [r[0] for r in before] == ["ann", "ann"]
    assert await purge(settings) == {app.id: 1}
    assert await assert_mirrors(settings, app.id) == before


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
    first, later = now - timedelta(days=2), now - timedelta(hours=1)
    events = [BulkEvent("b1", "track", later, "ben", None, "https://h/", name="Signup"),
              BulkEvent("b2", "page", later, "ana", "acme", "https://h/"),
              BulkEvent("b3", "time", first, "ana", "acme", "https://h/", ms=5),  # no view: not a first day
              BulkEvent("b4", "track", first, "ben", None, "https://h/", name="Signup"),  # a later batch, earlier
              BulkEvent("b5", "guide_seen", later, "ben", "globex", "https://h/", guide="tour")]
    assert bulk_load_sqlite(str(path), app.id, events, batch=2) == 5
    assert await assert_mirrors(settings, app.id) == [
        ("ana", "acme", "page", "home", later.date()), ("ben", "", "event", "Signup", first.date()),
        ("ben", "globex", "guide", "tour", later.date())]


def test_the_upgrade_fills_the_rows_of_a_store_made_before_them(old_store: str) -> None:
    asyncio.run(_store_with_a_roll_up(old_store))
    upgrade(old_store)
    assert asyncio.run(_first_days_of(old_store)) == [
        ("ann", "", "page", "home", date(2026, 9, 3)), ("ann", "acme", "page", "home", date(2026, 9, 2)),
        ("bob", "acme", "event", "Signup", date(2026, 9, 1))]


async def _store_with_a_roll_up(url: str) -> None:
    """App ``a1`` and its roll-up rows, as an older Waymark wrote them (no first days)."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO apps (id, name, public_key, guides_version, throttle_seconds, "
                                    "created_at) VALUES ('a1', 'A', 'pk', 0, 86400, :now)"),
                               {"now": datetime(2026, 9, 1, tzinfo=UTC)})
            await conn.execute(text(
                "INSERT INTO daily_usage (app_id, day, tenant_id, visitor_id, kind, key, count, ms) "
                "VALUES ('a1', :day, :tenant, :visitor, :kind, :key, :count, 0)"), [
                {"day": date(2026, 9, d), "tenant": t, "visitor": v, "kind": k, "key": key, "count": c}
                for d, t, v, k, key, c in (
                    (1, "acme", "ann", "page", "home", 0),  # time only: no view
                    (2, "acme", "ann", "page", "home", 3), (4, "acme", "ann", "page", "home", 1),
                    (3, "", "ann", "page", "home", 1), (1, "acme", "ann", "active", "", 5),
                    (2, "acme", "bob", "event", "Signup", 1), (1, "acme", "bob", "event", "Signup", 2))])
    finally:
        await engine.dispose()


async def _first_days_of(url: str) -> list[Row]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT visitor_id, tenant_id, kind, key, first_day FROM item_first_days "
                                            "ORDER BY visitor_id, tenant_id, kind, key"))).tuples().all()
    finally:
        await engine.dispose()
    return [(v, t, k, key, _day(d)) for v, t, k, key, d in rows]


# --- signal's window, read from the first days ---------------------------------------------------


async def _window(settings: Settings, app_id: str, unit: Unit, since: date, until: date, days: int
                  ) -> tuple[list[tuple[str, int, str]], list[tuple[str, int, str]]]:
    """(what :func:`window_items` answers, what the roll-up's rows say by definition)."""
    return await _answer_and_definition(settings, app_id, unit, since, until, 0, days - 1, ITEM_KINDS)


async def _goal(settings: Settings, app_id: str, unit: Unit, since: date, until: date, from_day: int, to_day: int
                ) -> tuple[list[tuple[str, int, str]], list[tuple[str, int, str]]]:
    """(what :func:`goal_offsets` answers for any activity, what the roll-up's rows say by definition)."""
    return await _answer_and_definition(settings, app_id, unit, since, until, from_day, to_day, ("active",))


async def _answer_and_definition(settings: Settings, app_id: str, unit: Unit, since: date, until: date,
                                 from_day: int, to_day: int, kinds: tuple[str, ...]
                                 ) -> tuple[list[tuple[str, int, str]], list[tuple[str, int, str]]]:
    engine = create_engine(settings.database_url)
    try:
        async with scoped_session(make_sessionmaker(engine), Scope(app_id)) as session:
            if kinds == ITEM_KINDS:
                answer = await window_items(session, app_id, Who(unit), since, until, to_day + 1)
            else:
                answer = [(u, first, "active:") for u, first in await goal_offsets(
                    session, app_id, Who(unit), None, since, until, from_day, to_day)]
            model = Visitor if unit == "visitors" else Tenant
            seen = {u: as_utc(s).date() for u, s in (await session.execute(
                select(model.id, model.first_seen).where(model.app_id == app_id))).tuples()}
            usage = (await session.execute(select(
                DailyUsage.visitor_id, DailyUsage.tenant_id, DailyUsage.kind, DailyUsage.key, DailyUsage.day,
                DailyUsage.count).where(DailyUsage.app_id == app_id))).tuples().all()
    finally:
        await engine.dispose()
    firsts: dict[tuple[str, str, str], int] = {}
    for visitor, tenant, kind, key, day, count in usage:
        found = visitor if unit == "visitors" else tenant
        if kind not in kinds or count <= 0 or found == "" or found not in seen:
            continue
        offset = (day - seen[found]).days
        if since <= seen[found] <= until and from_day <= offset <= to_day:
            thing = (found, kind, key)
            firsts[thing] = min(firsts.get(thing, offset), offset)
    expected = sorted((u, offset, item_label(kind, key)) for (u, kind, key), offset in firsts.items())
    return sorted(answer), expected


async def test_the_window_answers_as_the_roll_up_also_before_first_seen(
    client: AsyncTestClient, settings: Settings
) -> None:
    app = await make_app(settings)
    assert (await put_page(client, app.secret_key, "invoices", "/demo/invoices")).status_code == 201
    # ann's first days without a tenant move to initech, first seen later: her Signup starts before it
    await send(client, app.public_key,
               event("track", "ann", tenant=None, name="Signup", ts=at(-10 * DAY)),
               event("page", "ann", tenant=None, ts=at(-9 * DAY)),
               event("page", "bob", tenant="globex", ts=at(-6 * DAY)),
               event("track", "bob", tenant="globex", name="Signup", ts=at(-2 * DAY)),
               event("page", "cid", tenant=None, ts=at(-1 * DAY)))
    await send(client, app.public_key, event("group", "ann", tenant="initech", traits={}, ts=at(-4 * DAY)),
               event("track", "ann", tenant="initech", name="Signup", ts=at(-3 * DAY)))
    engine = create_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            tenant_seen = as_utc(await session.scalar(select(Tenant.first_seen).where(
                Tenant.app_id == app.id, Tenant.id == "initech")))
            early = await session.scalar(select(func.count()).select_from(ItemFirstDay).where(
                ItemFirstDay.app_id == app.id, ItemFirstDay.tenant_id == "initech",
                ItemFirstDay.first_day < tenant_seen.date()))
    finally:
        await engine.dispose()
    assert early, "the case under test: a first day of initech's before initech was first seen"
    for unit in ("visitors", "tenants"):
        for since, until, days in ((_ago(30), _today(), 7), (_ago(4), _ago(1), 2), (_ago(10), _ago(10), 1)):
            answer, expected = await _window(settings, app.id, unit, since, until, days)
            assert answer == expected, (unit, since, until, days)
        answer, expected = await _goal(settings, app.id, unit, _ago(30), _today(), 1, 3)
        assert answer == expected and answer, unit
    answer, _ = await _window(settings, app.id, "tenants", _ago(30), _today(), 7)
    assert ("initech", 1, "event:Signup") in answer
