"""Event batches: idempotent by event id, partial acceptance, limits, keys."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import select

from tests.support import at, event, make_app
from waymark.db.engine import create_engine
from waymark.db.models import Event, GuideState
from waymark.settings import Settings


async def stored(settings: Settings, app_id: str) -> list[tuple[str, str, int | None]]:
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(Event.event_id, Event.type, Event.step).where(Event.app_id == app_id).order_by(Event.event_id)
            )
            return [tuple(r) for r in rows]
    finally:
        await engine.dispose()


async def post(client: AsyncTestClient, key: str, body: Any, content_type: str = "text/plain") -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await client.post(f"/api/v1/events?key={key}", content=raw, headers={"Content-Type": content_type})


async def test_batch_is_stored_once_however_often_it_is_sent(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    batch = {"sent_at": at(1), "events": [
        event("guide_seen", "tour", id="e-1", props={"trigger": "auto"}),
        event("guide_step_advanced", "tour", id="e-2", step=1, ts=at(2)),
    ]}
    first = await post(client, app.public_key, batch)
    assert first.status_code == 202
    assert first.json() == {"accepted": 2, "duplicates": 0, "rejected": []}
    for _ in range(3):
        again = await post(client, app.public_key, batch)
        assert again.json() == {"accepted": 0, "duplicates": 2, "rejected": []}
    assert await stored(settings, app.id) == [("e-1", "guide_seen", 0), ("e-2", "guide_step_advanced", 1)]


async def test_concurrent_resends_store_each_event_once(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    batch = {"events": [event("guide_seen", "tour", id=f"c-{i}", visitor=f"v{i % 3}") for i in range(30)]}
    answers = await asyncio.gather(*(post(client, app.public_key, batch) for _ in range(5)))
    assert all(a.status_code == 202 for a in answers)
    assert sum(a.json()["accepted"] for a in answers) == 30
    assert len(await stored(settings, app.id)) == 30


async def test_same_id_twice_in_one_batch_counts_once(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    answer = await post(client, app.public_key, {"events": [event("guide_seen", "t", id="dup")] * 2})
    assert answer.json() == {"accepted": 1, "duplicates": 1, "rejected": []}


async def test_partial_batch_keeps_good_events_and_names_bad_ones(
    client: AsyncTestClient, settings: Settings
) -> None:
    app = await make_app(settings)
    batch = {"events": [
        event("guide_seen", "tour", id="good-1"),
        {"id": "bad-type", "type": "guide_exploded", "ts": at(0), "visitor": "v", "guide": "g"},
        {"id": "no-visitor", "type": "guide_seen", "ts": at(0), "guide": "g"},
        {"id": "bad-ts", "type": "guide_seen", "ts": "yesterday", "visitor": "v", "guide": "g"},
        {"id": "neg-step", "type": "guide_seen", "ts": at(0), "visitor": "v", "guide": "g",
         "step": -1},
        "not an object",
        event("guide_completed", "tour", id="good-2", step=2, ts=at(60)),
    ]}
    answer = await post(client, app.public_key, batch)
    assert answer.status_code == 202
    body = answer.json()
    assert body["accepted"] == 2
    rejected = {(r["index"], r["id"]): r["reason"] for r in body["rejected"]}
    assert rejected.keys() == {(1, "bad-type"), (2, "no-visitor"), (3, "bad-ts"), (4, "neg-step"), (5, None)}
    assert rejected[(1, "bad-type")] == "unknown event type 'guide_exploded'"
    assert "visitor" in rejected[(2, "no-visitor")]
    assert "ts" in rejected[(3, "bad-ts")]
    assert "step" in rejected[(4, "neg-step")]
    assert [r[0] for r in await stored(settings, app.id)] == ["good-1", "good-2"]


async def test_guide_state_follows_the_events(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await post(client, app.public_key, {"events": [
        event("guide_seen", "tour", id="s1", visitor="ann"),
        event("guide_step_advanced", "tour", id="s2", visitor="ann", step=1, ts=at(1)),
    ]})
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            row = (await conn.execute(select(GuideState.status, GuideState.step).where(
                GuideState.app_id == app.id, GuideState.visitor_id == "ann"))).one()
    finally:
        await engine.dispose()
    assert tuple(row) == ("in_progress", 1)


async def test_limits(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    huge_props = {"blob": "x" * (33 * 1024)}
    answer = await post(client, app.public_key, {"events": [
        event("guide_seen", "tour", id="big", props=huge_props), event("guide_seen", "tour", id="small"),
    ]})
    assert answer.status_code == 202
    assert answer.json()["accepted"] == 1
    assert answer.json()["rejected"][0]["index"] == 0
    assert "32768" in answer.json()["rejected"][0]["reason"]

    too_big = {"events": [event("guide_seen", "t", id=f"b{i}", props={"p": "y" * 20_000}) for i in range(30)]}
    refused = await post(client, app.public_key, too_big)
    assert refused.status_code == 413
    assert "512000" in refused.json()["detail"]
    assert [r[0] for r in await stored(settings, app.id)] == ["small"]


async def test_keys(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    batch = {"events": [event("guide_seen", "t")]}
    no_key = await client.post("/api/v1/events", content=json.dumps(batch))
    assert no_key.status_code == 401
    wrong = await post(client, "pk_wrong", batch)
    assert wrong.status_code == 403
    assert await stored(settings, app.id) == []


async def test_malformed_bodies_are_400_not_500(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    for body in (b"", b"{", b"[]", b'{"events": 5}', b'{"nope": []}', b"\xff\xfe"):
        answer = await post(client, app.public_key, body)
        assert answer.status_code == 400, (body, answer.text)
        assert answer.json()["detail"]


async def test_json_content_type_works_too(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    answer = await post(client, app.public_key, {"events": [event("guide_seen", "t")]}, "application/json")
    assert answer.json()["accepted"] == 1


async def test_do_not_track_is_honoured_when_the_app_says_so(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    auth = {"Authorization": f"Bearer {app.secret_key}"}
    batch = json.dumps({"events": [event("guide_seen", "g")]}).encode()
    kept = await client.post(f"/api/v1/events?key={app.public_key}", content=batch, headers={"DNT": "1"})
    assert kept.json()["accepted"] == 1  # the app does not honour DNT yet
    await client.put("/api/v1/settings", json={"honor_dnt": True, "retention_days": None}, headers=auth)
    again = json.dumps({"events": [event("guide_seen", "g")]}).encode()
    refused = await client.post(f"/api/v1/events?key={app.public_key}", content=again, headers={"DNT": "1"})
    assert refused.json()["accepted"] == 0
    assert "Do Not Track" in refused.json()["rejected"][0]["reason"]
    without = await client.post(f"/api/v1/events?key={app.public_key}", content=again)
    assert without.json()["accepted"] == 1
