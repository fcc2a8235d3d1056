"""The lexicon through the API: names and properties recorded, edits, blocked events dropped and counted,
hidden events out of the pickable list, and hostile input refused with the field named (both databases)."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import update

from tests.analytics.helpers import auth
from tests.analytics.summary_helpers import ago, on, send
from tests.support import make_app, on_shared_server
from waymark.app import create_app
from waymark.db.engine import create_engine, make_sessionmaker
from waymark.db.lexicon_models import LexiconEvent
from waymark.settings import Settings


def track(name: str, visitor: str, days_ago: int, minutes: int = 30, **props: Any) -> dict[str, Any]:
    ev = on("track", visitor, "acme", days_ago, name=name, props=props)
    moment = datetime.combine(ago(days_ago), datetime.min.time(), tzinfo=UTC) + timedelta(minutes=minutes)
    ev["ts"] = moment.isoformat().replace("+00:00", "Z")
    return ev


def moment(days_ago: int, minutes: int = 30) -> str:
    return (datetime.combine(ago(days_ago), datetime.min.time(), tzinfo=UTC)
            + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


async def events_of(client: AsyncTestClient, secret: str, **query: str) -> dict[str, dict[str, Any]]:
    answer = await client.get("/api/v1/lexicon/events", params=query, headers=auth(secret))
    assert answer.status_code == 200, answer.text
    return {e["name"]: e for e in answer.json()["events"]}


async def edit(client: AsyncTestClient, secret: str, name: str, body: Any) -> Any:
    return await client.patch(f"/api/v1/lexicon/events/{quote(name, safe='')}", content=json.dumps(body),
                              headers={**auth(secret), "Content-Type": "application/json"})


async def post_events(client: AsyncTestClient, public_key: str, *events: dict[str, Any]) -> dict[str, Any]:
    answer = await client.post(f"/api/v1/events?key={public_key}", content=json.dumps({"events": list(events)}),
                               headers={"Content-Type": "text/plain"})
    assert answer.status_code == 202, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def test_names_and_properties_are_recorded_with_first_and_last_seen(
    client: AsyncTestClient, settings: Settings
) -> None:
    app = await make_app(settings)
    # two batches, the second bringing older history (a backfill) and a newer event: first/last widen both ways
    await send(client, app.public_key, track("Invoice Sent", "v1", 5, amount=1, currency="EUR"),
               track("Invoice Sent", "v2", 3, amount=2), track("Signup", "v1", 40, plan="pro"))
    await send(client, app.public_key, track("Invoice Sent", "v1", 20, 10, amount=3, draft=True),
               track("Invoice Sent", "v1", 1, 50, currency="USD"),
               on("page", "v1", "acme", 0))  # a page view is no track event: nothing in the lexicon
    found = await events_of(client, app.secret_key)
    assert list(found) == ["Invoice Sent", "Signup"]
    sent = found["Invoice Sent"]
    assert (sent["first_seen"], sent["last_seen"]) == (moment(20, 10), moment(1, 50))
    assert sent["status"] == "visible" and sent["description"] == ""
    props = {p["name"]: (p["first_seen"], p["last_seen"]) for p in sent["properties"]}
    assert props == {"amount": (moment(20, 10), moment(3)), "currency": (moment(5), moment(1, 50)),
                     "draft": (moment(20, 10), moment(20, 10))}
    # the 30-day volume counts the days of the window only: Signup was 40 days ago
    assert sent["volume_30d"] == 4 and found["Signup"]["volume_30d"] == 0
    assert [p["name"] for p in found["Signup"]["properties"]] == ["plan"]
    # a resend of the same events changes nothing
    again = await post_events(client, app.public_key, track("Invoice Sent", "v1", 0) | {"id": "fixed"})
    assert again["accepted"] == 1
    assert (await post_events(client, app.public_key, track("Invoice Sent", "v1", 0) | {"id": "fixed"})
            )["duplicates"] == 1
    assert (await events_of(client, app.secret_key))["Invoice Sent"]["volume_30d"] == 5


async def test_volume_window_is_the_thirty_days_up_to_today(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await send(client, app.public_key, *(track("Edge", f"v{d}", d) for d in (0, 1, 29, 29, 30, 31)))
    answer = await client.get("/api/v1/lexicon/events", headers=auth(app.secret_key))
    assert answer.json()["as_of"] == ago(0).isoformat()
    assert answer.json()["events"][0]["volume_30d"] == 4  # days 0, 1, 29 (twice); 30 and 31 are outside


async def test_description_and_status_edits(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await send(client, app.public_key, track("Export", "v1", 2, format="csv"))
    answer = await edit(client, app.secret_key, "Export", {"description": "A report downloaded.\nAny format."})
    assert answer.status_code == 200, answer.text
    assert answer.json()["description"] == "A report downloaded.\nAny format." and answer.json()["status"] == "visible"
    answer = await edit(client, app.secret_key, "Export", {"status": "hidden"})
    assert answer.status_code == 200 and answer.json()["status"] == "hidden"
    assert answer.json()["description"] == "A report downloaded.\nAny format."  # left as it was
    # a later event keeps what people wrote
    await send(client, app.public_key, track("Export", "v2", 0, format="pdf"))
    kept = (await events_of(client, app.secret_key))["Export"]
    assert (kept["status"], kept["description"], kept["volume_30d"]) == ("hidden", "A report downloaded.\nAny format.",
                                                                        2)
    missing = await edit(client, app.secret_key, "Never sent", {"status": "hidden"})
    assert missing.status_code == 404


async def test_hidden_and_blocked_events_are_not_pickable(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    await send(client, app.public_key, *(track(n, "v1", 1) for n in ("Alpha", "Beta", "Gamma")))
    assert (await edit(client, app.secret_key, "Beta", {"status": "hidden"})).status_code == 200
    assert (await edit(client, app.secret_key, "Gamma", {"status": "blocked"})).status_code == 200
    assert list(await events_of(client, app.secret_key, status="visible")) == ["Alpha"]
    assert list(await events_of(client, app.secret_key, status="hidden")) == ["Beta"]
    assert list(await events_of(client, app.secret_key, status="blocked")) == ["Gamma"]
    assert list(await events_of(client, app.secret_key)) == ["Alpha", "Beta", "Gamma"]


async def test_blocked_events_are_dropped_with_a_typed_reason_and_counted(
    client: AsyncTestClient, settings: Settings
) -> None:
    app = await make_app(settings)
    await send(client, app.public_key, track("Spam", "v1", 3), track("Keep", "v1", 3))
    assert (await edit(client, app.secret_key, "Spam", {"status": "blocked"})).status_code == 200
    batch = [track("Keep", "v1", 0), track("Spam", "v1", 0), track("Spam", "v2", 0),
             track("Spam", "v1", 2), on("page", "v1", "acme", 0), track("Keep", "v2", 0)]
    answer = await post_events(client, app.public_key, *batch)
    assert answer["accepted"] == 3  # two Keep and the page view, nothing of Spam
    assert [(r["index"], r["id"], r["code"]) for r in answer["rejected"]] == [
        (1, batch[1]["id"], "blocked_event"), (2, batch[2]["id"], "blocked_event"),
        (3, batch[3]["id"], "blocked_event")]
    assert all("'Spam' is blocked" in r["reason"] for r in answer["rejected"])
    found = await events_of(client, app.secret_key)
    assert (found["Spam"]["blocked_30d"], found["Spam"]["blocked_total"]) == (3, 3)
    assert found["Spam"]["volume_30d"] == 1  # the one stored before it was blocked
    assert (found["Keep"]["volume_30d"], found["Keep"]["blocked_30d"]) == (3, 0)
    exported = await client.get("/api/v1/events/export", params={"type": "track"}, headers=auth(app.secret_key))
    assert sorted(json.loads(line)["name"] for line in exported.text.splitlines()) == ["Keep", "Keep", "Keep", "Spam"]
    # the Segment API drops them alike; making the event visible again lets it through
    seg = await client.post("/v1/track", json={"userId": "v1", "event": "Spam", "messageId": "seg-1"},
                            auth=(app.public_key, ""))
    assert seg.status_code == 200 and seg.json()["rejected"][0]["code"] == "blocked_event"
    assert (await events_of(client, app.secret_key))["Spam"]["blocked_total"] == 4
    assert (await edit(client, app.secret_key, "Spam", {"status": "visible"})).status_code == 200
    assert (await post_events(client, app.public_key, track("Spam", "v1", 0)))["accepted"] == 1


async def test_blocking_is_read_from_memory_and_refreshed_by_an_edit(settings: Settings) -> None:
    """With a long staleness interval, a status written behind the server's back is not seen by ingestion (it
    reads the profile in memory, not the table per event); an edit through the API is seen at once."""
    slow = dataclasses.replace(settings, snapshot_check_seconds=3600.0)
    async with AsyncTestClient(app=create_app(slow)) as client:
        app = await make_app(slow)
        await send(client, app.public_key, track("Noise", "v1", 1), track("Other", "v1", 1))
        engine = create_engine(slow.database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                await session.execute(update(LexiconEvent).where(LexiconEvent.app_id == app.id,
                                                                 LexiconEvent.name == "Noise").values(status="blocked"))
                await session.commit()
        finally:
            await engine.dispose()
        assert (await post_events(client, app.public_key, track("Noise", "v1", 0)))["accepted"] == 1
        assert (await edit(client, app.secret_key, "Other", {"status": "blocked"})).status_code == 200
        answer = await post_events(client, app.public_key, track("Noise", "v1", 0), track("Other", "v1", 0))
        assert answer["accepted"] == 0 and [r["code"] for r in answer["rejected"]] == ["blocked_event"] * 2


@on_shared_server
@pytest.mark.parametrize(("body", "field"), [
    ({"description": "x" * 2001}, "description"),
    ({"description": "bad \u0000 nul"}, "description"),
    ({"status": "deleted"}, "status"),
    ({"status": 3}, "status"),
    ({"colour": "red"}, "colour"),
])
async def test_hostile_edits_are_refused_naming_the_field(
    server: AsyncTestClient, shared_settings: Settings, body: dict[str, Any], field: str
) -> None:
    app = await make_app(shared_settings)
    await send(server, app.public_key, track("Target", "v1", 1))
    answer = await edit(server, app.secret_key, "Target", body)
    assert answer.status_code == 400, answer.text
    assert field in json.dumps(answer.json())
    unchanged = (await events_of(server, app.secret_key))["Target"]
    assert (unchanged["status"], unchanged["description"]) == ("visible", "")


@on_shared_server
@pytest.mark.parametrize("name", ["a\u0001b", "tab\tname", "x" * 201])
async def test_hostile_names_are_refused_naming_the_field(
    server: AsyncTestClient, shared_settings: Settings, name: str
) -> None:
    app = await make_app(shared_settings)
    answer = await edit(server, app.secret_key, name, {"status": "hidden"})
    assert answer.status_code == 400, answer.text
    assert "name" in json.dumps(answer.json()) or "path" in json.dumps(answer.json()).lower()


async def test_unknown_status_filter_is_refused(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    answer = await client.get("/api/v1/lexicon/events", params={"status": "gone"}, headers=auth(app.secret_key))
    assert answer.status_code == 400 and "status" in answer.text


async def test_property_names_that_cannot_be_kept_are_left_out(client: AsyncTestClient, settings: Settings) -> None:
    app = await make_app(settings)
    # (a key with a control character refuses the whole event at ingestion, before the lexicon)
    await send(client, app.public_key, track("Odd", "v1", 1, **{"ok": 1, "": 2, "k" * 201: 3}))
    found = (await events_of(client, app.secret_key))["Odd"]
    assert [p["name"] for p in found["properties"]] == ["ok"]
