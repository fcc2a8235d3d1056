"""A Segment identify without a timestamp still links the anonymous id to the user (the alias it implies)."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import select

from tests.support import make_app
from waymark.db.engine import create_engine
from waymark.db.models import Event, VisitorAlias
from waymark.segment.mapping import to_events
from waymark.settings import Settings


def test_the_implied_alias_has_no_null_time() -> None:
    identify, alias = to_events({"type": "identify", "userId": "user-1", "anonymousId": "anon-1",
                                 "messageId": "m-1", "traits": {"plan": "pro"}})
    assert alias["type"] == "alias" and alias["previous"] == "anon-1"
    assert "ts" not in identify and "ts" not in alias
    with_time = to_events({"type": "identify", "userId": "u", "anonymousId": "a", "timestamp": "2026-01-02T03:04:05Z"})
    assert [e["ts"] for e in with_time] == ["2026-01-02T03:04:05Z"] * 2


async def test_identify_without_timestamp_links_the_anonymous_visitor(
    client: AsyncTestClient, settings: Settings
) -> None:
    app = await make_app(settings)
    auth = (app.public_key, "")

    async def send(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await client.post(path, json=body, auth=auth)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    before = await send("/v1/track", {"anonymousId": "anon-1", "event": "Viewed Pricing", "messageId": "t-1"})
    assert before["accepted"] == 1
    answer = await send("/v1/identify", {"userId": "user-1", "anonymousId": "anon-1", "messageId": "i-1",
                                         "traits": {"email": "u1@example.com"}})
    assert answer == {"success": True, "accepted": 2, "duplicates": 0, "rejected": []}
    after = await send("/v1/batch", {"batch": [
        {"type": "track", "anonymousId": "anon-1", "event": "Clicked Buy", "messageId": "t-2"},
    ]})
    assert after["accepted"] == 1

    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            links = (await conn.execute(select(VisitorAlias.alias, VisitorAlias.visitor_id)
                                        .where(VisitorAlias.app_id == app.id))).all()
            events = (await conn.execute(select(Event.event_id, Event.type, Event.visitor_id)
                                         .where(Event.app_id == app.id))).all()
    finally:
        await engine.dispose()
    assert [tuple(r) for r in links] == [("anon-1", "user-1")]
    assert sorted(tuple(r) for r in events) == [
        ("i-1", "identify", "user-1"), ("i-1:alias", "alias", "user-1"),
        ("t-1", "track", "user-1"), ("t-2", "track", "user-1"),
    ]
