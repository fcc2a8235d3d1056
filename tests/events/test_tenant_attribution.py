"""Tenant attribution: the same tenants and per-tenant figures however events are split into requests and commits."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import select

from tests.analytics.helpers import auth, report, usage_rows
from tests.support import at, make_app
from waymark.analytics.rollups import rebuild_all
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.models import Event, Tenant
from waymark.events.pipeline import prepare
from waymark.events.schemas import event_decoder
from waymark.events.services import store_events
from waymark.settings import Settings
from waymark.wiring import registered_projections


def ev(kind: str, visitor: str = "v1", seconds: float = 0, **fields: Any) -> dict[str, Any]:
    """A widget event without a tenant unless one is given; ``seconds`` orders events in time."""
    return {"id": uuid.uuid4().hex, "type": kind, "ts": at(seconds), "visitor": visitor,
            "url": "https://app.example.com/invoices", **fields}


def noon(days_ago: int, seconds: int = 0) -> str:
    """A time on a past UTC day: events that must count for given days do not depend on when the test runs."""
    day = datetime.now(UTC).date() - timedelta(days=days_ago)
    return (datetime(day.year, day.month, day.day, 12, tzinfo=UTC) + timedelta(seconds=seconds)).isoformat()


def track(visitor: str = "v1", seconds: float = 0, name: str = "Invoice Sent", **fields: Any) -> dict[str, Any]:
    return ev("track", visitor, seconds, name=name, **fields)


def group(tenant: str, visitor: str = "v1", seconds: float = 0) -> dict[str, Any]:
    return ev("group", visitor, seconds, tenant=tenant, traits={"plan": "pro"})


async def post(client: AsyncTestClient, key: str, *events: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(f"/api/v1/events?key={key}", content=json.dumps({"events": list(events)}),
                                 headers={"Content-Type": "text/plain"})
    assert response.status_code == 202, response.text
    return response.json()  # type: ignore[no-any-return]


async def tenants(settings: Settings, app_id: str) -> dict[str, str | None]:
    """Event id → stored tenant."""
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(select(Event.event_id, Event.tenant_id).where(Event.app_id == app_id))
            return {r[0]: r[1] for r in rows}
    finally:
        await engine.dispose()


async def recounted(settings: Settings, app_id: str) -> list[tuple[str, str, str, str, int, int]]:
    """The roll-ups as a full recount from the stored events makes them (what incremental ones must equal)."""
    engine = create_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            await rebuild_all(session, app_id)
            await session.commit()
    finally:
        await engine.dispose()
    return await usage_rows(settings, app_id)


async def test_a_group_call_in_a_later_request_gives_earlier_events_its_tenant(
    client: AsyncTestClient, settings: Settings
) -> None:
    app = await make_app(settings)
    two_days_ago = [{**track(), "ts": noon(2, i)} for i in range(3)]
    yesterday = [{**track(), "ts": noon(1, i)} for i in range(4)] + [{**ev("page", title="Invoices"), "ts": noon(1, 9)}]
    await post(client, app.public_key, *two_days_ago)
    await post(client, app.public_key, *yesterday)
    assert set((await tenants(settings, app.id)).values()) == {None}
    assert {r[0] for r in await usage_rows(settings, app.id)} == {""}

    # The group call, then one more track the same day: its rows under acme exist when the old ones move in.
    await post(client, app.public_key, {**group("acme"), "ts": noon(1, 20)}, {**track(), "ts": noon(1, 21)})
    stored = await tenants(settings, app.id)
    assert len(stored) == 10
    assert set(stored.values()) == {"acme"}
    rows = await usage_rows(settings, app.id)
    assert {r[0] for r in rows} == {"acme"}
    active = [r for r in rows if r[2] == "active"]
    assert sorted(r[4] for r in active) == [3, 7]  # 3 events two days ago; yesterday's 5 + group + track, one row
    assert rows == await recounted(settings, app.id)

    usage = await report(client, app.secret_key, tenant="acme")
    assert usage["active_visitors"] == 1
    assert usage["visitors"] == [{"visitor": "v1", "days_active": 2, "events": 10}]
    assert usage["events"] == [{"name": "Invoice Sent", "count": 8, "visitors": 1}]
    assert (await report(client, app.secret_key, tenant=""))["active_visitors"] == 0

    # idempotent: the same group call again moves nothing more (it only counts itself)
    await post(client, app.public_key, {**group("acme"), "ts": noon(1, 30)})
    again = await usage_rows(settings, app.id)
    assert {r[0] for r in again} == {"acme"}
    assert sorted(r[4] for r in again if r[2] == "active") == [3, 8]
    assert [r for r in again if r[2] != "active"] == [r for r in rows if r[2] != "active"]


async def test_a_group_call_counts_for_the_events_around_it_in_one_batch(
    client: AsyncTestClient, settings: Settings
) -> None:
    app = await make_app(settings)
    before = [track("before", seconds=i) for i in range(3)] + [group("acme", "before", seconds=3)]
    after = [group("globex", "after", seconds=0)] + [track("after", seconds=1 + i) for i in range(3)]
    answer = await post(client, app.public_key, *before, *after)
    assert answer == {"accepted": 8, "duplicates": 0, "rejected": []}
    stored = await tenants(settings, app.id)
    assert {stored[e["id"]] for e in before} == {"acme"}
    assert {stored[e["id"]] for e in after} == {"globex"}
    rows = await usage_rows(settings, app.id)
    assert {(r[0], r[1]) for r in rows} == {("acme", "before"), ("globex", "after")}
    assert rows == await recounted(settings, app.id)


async def test_time_not_batch_position_orders_a_group_call_and_the_events_around_it(
    client: AsyncTestClient, settings: Settings
) -> None:
    app = await make_app(settings)
    await post(client, app.public_key, group("acme", seconds=-100))
    late_sent = track(seconds=-50)
    # Sent after the move to globex, but it happened before it.
    await post(client, app.public_key, group("globex", seconds=-40), track(seconds=-30), late_sent)
    stored = await tenants(settings, app.id)
    assert stored[late_sent["id"]] == "acme"
    assert sorted(t for t in stored.values() if t) == ["acme", "acme", "globex", "globex"]


async def test_a_visitor_moving_to_another_tenant_keeps_the_old_one_on_past_events(
    client: AsyncTestClient, settings: Settings
) -> None:
    app = await make_app(settings)
    first = [track(seconds=-100), group("acme", seconds=-90), track(seconds=-80)]
    await post(client, app.public_key, *first)
    moved = [track(seconds=-70), group("globex", seconds=-60), track(seconds=-50), group("initech", seconds=-40),
             track(seconds=-30)]
    await post(client, app.public_key, *moved)
    stored = await tenants(settings, app.id)
    assert [stored[e["id"]] for e in first + moved] == [
        "acme", "acme", "acme", "acme", "globex", "globex", "initech", "initech",
    ]
    rows = await usage_rows(settings, app.id)
    assert {r[0] for r in rows} == {"acme", "globex", "initech"}
    assert rows == await recounted(settings, app.id)


async def test_concurrent_requests_give_every_event_the_tenant_whatever_commit_they_share(
    client: AsyncTestClient, settings: Settings
) -> None:
    app = await make_app(settings)
    for round_ in range(4):
        visitor = f"user-{round_}"
        batches = [[ev("identify", visitor, 0, traits={"email": f"{visitor}@example.com"}), group("acme", visitor, 0)]
                   + [track(visitor, 1 + i) for i in range(13)]]
        batches += [[track(visitor, 15 + 15 * b + i) for i in range(15)] for b in range(3)]
        if round_ % 2:
            batches.reverse()  # the group call's batch last in line
        answers = await asyncio.gather(*(post(client, app.public_key, *b) for b in batches))
        assert sum(a["accepted"] for a in answers) == 60
    stored = await tenants(settings, app.id)
    assert len(stored) == 240
    assert set(stored.values()) == {"acme"}
    rows = await usage_rows(settings, app.id)
    assert {r[0] for r in rows} == {"acme"}
    assert rows == await recounted(settings, app.id)
    usage = await report(client, app.secret_key, tenant="acme")
    assert usage["events"] == [{"name": "Invoice Sent", "count": 4 * 58, "visitors": 4}]


async def test_an_alias_brings_the_anonymous_events_into_the_users_tenant(
    client: AsyncTestClient, settings: Settings
) -> None:
    app = await make_app(settings)
    await post(client, app.public_key, group("acme", "known", seconds=-100))
    anonymous = [track("anon-1", seconds=-90), track("anon-2", seconds=-80)]
    await post(client, app.public_key, *anonymous)
    # anon-1 logs in as a user whose tenant is known; anon-2 as a new user, with the group call beside it
    await post(client, app.public_key, ev("alias", "known", seconds=-50, previous="anon-1"))
    await post(client, app.public_key, ev("alias", "new", seconds=-40, previous="anon-2"), group("globex", "new", -30))
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(
                select(Event.event_id, Event.visitor_id, Event.tenant_id).where(Event.app_id == app.id)
            )).all()
    finally:
        await engine.dispose()
    by_id = {r[0]: (r[1], r[2]) for r in rows}
    assert by_id[anonymous[0]["id"]] == ("known", "acme")
    assert by_id[anonymous[1]["id"]] == ("new", "globex")
    assert None not in {r[2] for r in rows}
    usage = await usage_rows(settings, app.id)
    assert {(r[0], r[1]) for r in usage} == {("acme", "known"), ("globex", "new")}
    assert usage == await recounted(settings, app.id)


async def test_a_group_call_refused_for_an_opted_out_tenant_gives_the_visitor_no_tenant(
    client: AsyncTestClient, settings: Settings
) -> None:
    app = await make_app(settings)
    engine = create_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            session.add(Tenant(app_id=app.id, id="private", opted_out=True, meta={}, drop_fields=[]))
            await session.commit()
    finally:
        await engine.dispose()
    earlier = track(seconds=-10)
    await post(client, app.public_key, earlier)
    answer = await post(client, app.public_key, group("private", seconds=-5), track(seconds=-1))
    assert answer["accepted"] == 1
    assert [r["reason"] for r in answer["rejected"]] == ["the tenant has opted out of collection"]
    assert set((await tenants(settings, app.id)).values()) == {None}
    assert {r[0] for r in await usage_rows(settings, app.id)} == {""}


async def test_a_concurrent_writer_cannot_leave_events_without_a_tenant(settings: Settings) -> None:
    """Two writers (as two workers would): one stores tracks it read no tenant for, the other the group call.

    Whichever commits first, every event ends up with the tenant, and so do the roll-ups.
    """
    app = await make_app(settings)
    now = datetime.now(UTC) - timedelta(minutes=1)

    def judged(*events: dict[str, Any]) -> list[tuple[int, Any]]:
        return [(i, event_decoder.decode(json.dumps({**e, "ts": (now + timedelta(seconds=i)).isoformat()})))
                for i, e in enumerate(events)]

    engines = [create_engine(settings.database_url), create_engine(settings.database_url)]
    try:
        first, second = (make_sessionmaker(e) for e in engines)
        for visitor, group_first in (("a", True), ("b", False)):
            tracks = judged(*(track(visitor) for _ in range(5)))
            call = judged(group("acme", visitor))
            async with first() as slow:
                # reads "no tenant" for the visitor, then the other writer commits before it writes
                prepared = await prepare(slow, app.id, call if group_first else tracks)
                async with second() as fast:
                    other = await prepare(fast, app.id, tracks if group_first else call)
                    await store_events(fast, app.id, other.events, lambda _: True, lambda _: 1,
                                       registered_projections(), other.untenanted)
                    await fast.commit()
                await store_events(slow, app.id, prepared.events, lambda _: True, lambda _: 1, registered_projections(),
                                   prepared.untenanted)
                await slow.commit()
    finally:
        for e in engines:
            await e.dispose()
    stored = await tenants(settings, app.id)
    assert len(stored) == 12
    assert set(stored.values()) == {"acme"}
    rows = await usage_rows(settings, app.id)
    assert {r[0] for r in rows} == {"acme"}
    assert rows == await recounted(settings, app.id)


async def test_the_usage_report_of_a_tenant_counts_backfilled_days(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await post(client, app.public_key, *({**track("v9"), "ts": noon(d)} for d in (1, 2, 3)))
    await post(client, app.public_key, {**group("acme", "v9"), "ts": noon(1, 5)})
    start = (datetime.now(UTC).date() - timedelta(days=5)).isoformat()
    response = await client.get("/api/v1/reports/usage", params={"tenant": "acme", "from": start},
                                headers=auth(app.secret_key))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["visitors"] == [{"visitor": "v9", "days_active": 3, "events": 4}]
    assert sum(d["active_visitors"] for d in body["days"]) == 3
